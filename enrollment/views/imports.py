"""Roster import pages: upload, preview with unit choices and inline edits, confirm, cancel
(the workflow: enrollment.imports)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.models import OrgUnit
from core.errors import DomainError
from enrollment import forms, selectors, services
from enrollment.imports.selectors import import_unknown_units
from enrollment.views.base import _page, _run, manager_page

# ---- import ----------------------------------------------------------------------------------


@manager_page
def import_upload(request, program):
    form = forms.ImportUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            batch = services.import_preview_create(
                program=program, upload=form.cleaned_data["file"], by=request.user
            )
        except DomainError as exc:
            form.add_error("file", exc.message)
        else:
            return redirect("enrollment:import_preview", batch.pk)
    return _page(
        request, "enrollment/import_upload.html", program, "import", form=form, max_mb=_max_mb()
    )


def _max_mb():
    from core.uploads import upload_ceiling

    return upload_ceiling() // 1048576


@login_required
def import_preview(request, pk):
    batch = selectors.import_batch_get(user=request.user, pk=pk)
    return _page(
        request,
        "enrollment/import_preview.html",
        batch.program,
        "import",
        batch=batch,
        rows=batch.rows,
        tally=services.import_counts(batch.rows),
        unknown_units=import_unknown_units(batch) if batch.status == "preview" else [],
        form=forms.ImportConfirmForm(initial={"preview_hash": batch.preview_hash}),
        purge_days=services.IMPORT_DETAIL_DAYS,
    )


@login_required
@require_POST
def import_confirm(request, pk):
    batch = selectors.import_batch_get(user=request.user, pk=pk)
    form = forms.ImportConfirmForm(request.POST)
    valid = form.is_valid()
    create = valid and form.cleaned_data["create_missing"]
    seen = (valid and form.cleaned_data["preview_hash"]) or None
    done = _run(
        request,
        lambda: services.import_commit(
            batch=batch, by=request.user, create_missing=create, seen_hash=seen
        ),
        "",
    )
    if done is None:
        return redirect("enrollment:import_preview", batch.pk)
    s = done.summary
    messages.success(
        request,
        _("导入完成:录取 %(e)d 人(其中新建账号 %(c)d 人),跳过 %(x)d 行。")
        % {
            "e": s["enrolled"] + s["created"],
            "c": s["created"],
            "x": s["errors"] + s["already"] + s["skipped_new"],
        },
    )
    return redirect("enrollment:roster", batch.program_id)


@login_required
@require_POST
def import_unit_resolve(request, pk):
    batch = selectors.import_batch_get(user=request.user, pk=pk)
    form = forms.ImportUnitForm(request.POST)
    if form.is_valid():
        unit = OrgUnit.objects.filter(pk=form.cleaned_data["unit"]).first()
        text = form.cleaned_data["text"]
        _run(
            request,
            lambda: services.import_unit_resolve(
                batch=batch, text=text, unit=unit, by=request.user
            ),
            _("已将“%(text)s”对应到所选单位,并记住这一写法。") % {"text": text},
        )
    else:
        messages.error(request, _("请选择对应的单位。"))
    return redirect("enrollment:import_preview", batch.pk)


@login_required
@require_POST
def import_row_edit(request, pk, row):
    batch = selectors.import_batch_get(user=request.user, pk=pk)
    form = forms.ImportRowForm(request.POST)
    if form.is_valid():
        _run(
            request,
            lambda: services.import_row_edit(
                batch=batch, row=row, cells=form.cleaned_data, by=request.user
            ),
            _("第 %(n)d 行已修改并重新核对。") % {"n": row},
        )
    else:
        messages.error(request, _("修改的内容过长,请检查。"))
    return redirect(reverse("enrollment:import_preview", args=[batch.pk]) + f"#row-{row}")


@login_required
@require_POST
def import_cancel(request, pk):
    batch = selectors.import_batch_get(user=request.user, pk=pk)
    _run(
        request,
        lambda: services.import_cancel(batch=batch, by=request.user),
        _("已取消本次导入,未写入任何数据。"),
    )
    return redirect("enrollment:import_upload", batch.program_id)
