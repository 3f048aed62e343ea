"""Enrollment pages. Thin: parse, call one service or selector, render or redirect.

Expected failures (DomainError) come back as messages on the page the user came from."""

from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.models import OrgUnit
from accounts.scoping import roles_of
from core import services as core_services
from core.errors import DomainError
from enrollment import exports, forms, selectors, selectors_notices, services
from enrollment.models import DiscussionGroup, Enrollment
from programs.access import Access, jurisdiction_path, program_get
from programs.models import Program
from programs.selectors import runs_programs

S = Enrollment.Status


def _back(request, fallback: str):
    target = request.POST.get("next") or request.GET.get("next")
    if target and url_has_allowed_host_and_scheme(target, {request.get_host()}):
        return redirect(target)
    return redirect(fallback)


def _run(request, action, success: str):
    """Call a service; a DomainError becomes an error message. Returns the result or None."""
    try:
        result = action()
    except DomainError as exc:
        messages.error(request, exc.message)
        return None
    if success:
        messages.success(request, success)
    return result


def _manage(request, pk):
    return program_get(user=request.user, pk=pk, need=Access.MANAGE)


def manager_page(view):
    """Views of one program's enrollment pages: login, MANAGE access, program in context."""

    @wraps(view)
    @login_required
    def wrapper(request, pk, *args, **kwargs):
        return view(request, _manage(request, pk), *args, **kwargs)

    return wrapper


def _page(request, template, program, tab, **context):
    counts = selectors.status_counts(program)
    return render(request, template, {"program": program, "tab": tab, "counts": counts, **context})


# ---- trainee ---------------------------------------------------------------------------------


@login_required
def open_programs(request):
    return render(
        request,
        "enrollment/open_programs.html",
        {"programs": selectors.open_programs_for(request.user), "form": forms.ApplyForm()},
    )


@login_required
def mine(request):
    return render(
        request,
        "enrollment/mine.html",
        {"enrollments": selectors.my_enrollments(request.user), "form": forms.ReasonForm()},
    )


@login_required
@require_POST
def apply(request, pk):
    program = program_get(user=request.user, pk=pk, need=Access.AUDIENCE)
    form = forms.ApplyForm(request.POST)
    note = form.cleaned_data["note"] if form.is_valid() else ""
    e = _run(
        request,
        lambda: services.application_create(program=program, user=request.user, note=note),
        "",
    )
    if e is not None:
        if e.program_full:
            messages.warning(request, _("报名已提交。本班名额已满,审核通过后将进入候补。"))
        else:
            messages.success(request, _("报名已提交,请等待审核。"))
    return _back(request, reverse("enrollment:open"))


@login_required
@require_POST
def withdraw(request, pk):
    e = selectors.enrollment_get(user=request.user, pk=pk, need=Access.INVOLVED)
    if e.user_id != request.user.pk:
        raise PermissionDenied
    form = forms.ReasonForm(request.POST)
    reason = form.cleaned_data["reason"] if form.is_valid() else ""
    try:
        wr = services.withdrawal_request(enrollment=e, by=request.user, reason=reason)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("退训申请已提交,请等待审批。") if wr else _("已取消报名。"))
    return redirect("enrollment:mine")


# ---- manager: roster, review -------------------------------------------------------------------


@manager_page
def roster(request, program):
    return _page(
        request,
        "enrollment/roster.html",
        program,
        "roster",
        enrollments=selectors.roster(program),
        history=selectors.history(program),
    )


REVIEW_PER_PAGE = 20
# Each section of the review queue pages on its own: query parameter per section.
REVIEW_SECTIONS = {
    "nominations": "np",
    "applications": "ap",
    "waitlist": "wp",
    "withdrawals": "dp",
    "substitutions": "sp",
}


def _paginate(request, qs, param: str, per_page: int):
    """A page of `qs` from `?<param>=`, with prev_url/next_url that keep every other query
    parameter (filters, the other sections' pages)."""
    page = Paginator(qs, per_page).get_page(request.GET.get(param))

    def url(number):
        query = request.GET.copy()
        query[param] = number
        return f"?{query.urlencode()}"

    page.prev_url = url(page.previous_page_number()) if page.has_previous() else ""
    page.next_url = url(page.next_page_number()) if page.has_next() else ""
    return page


@manager_page
def review(request, program):
    sections = {
        **selectors.review_queue(program),
        "substitutions": selectors_notices.substitutions_pending(program),
    }
    queue = {
        name: _paginate(request, qs, REVIEW_SECTIONS[name], REVIEW_PER_PAGE)
        for name, qs in sections.items()
    }
    return _page(
        request, "enrollment/review.html", program, "review", queue=queue, form=forms.ReasonForm()
    )


@login_required
def reviews(request):
    if not runs_programs(user=request.user):
        raise PermissionDenied
    programs = selectors.managed_programs(request.user).exclude(status=Program.Status.ARCHIVED)
    return render(request, "enrollment/reviews.html", {"programs": programs})


def _decide(request, pk, action, success):
    e = selectors.enrollment_get(user=request.user, pk=pk, need=Access.MANAGE)
    _run(request, lambda: action(e), success)
    return _back(request, reverse("enrollment:review", args=[e.program_id]))


def _reason(request):
    form = forms.ReasonForm(request.POST)
    return form.cleaned_data["reason"] if form.is_valid() else ""


@login_required
@require_POST
def nomination_confirm(request, pk):
    return _decide(
        request,
        pk,
        lambda e: services.nomination_confirm(enrollment=e, by=request.user),
        _("已确认。"),
    )


@login_required
@require_POST
def nomination_send_back(request, pk):
    reason = _reason(request)
    return _decide(
        request,
        pk,
        lambda e: services.nomination_send_back(enrollment=e, by=request.user, reason=reason),
        _("已退回。"),
    )


@login_required
@require_POST
def application_approve(request, pk):
    return _decide(
        request,
        pk,
        lambda e: services.application_approve(enrollment=e, by=request.user),
        _("已审核通过。"),
    )


@login_required
@require_POST
def application_reject(request, pk):
    reason = _reason(request)
    return _decide(
        request,
        pk,
        lambda e: services.application_reject(enrollment=e, by=request.user, reason=reason),
        _("已标记为未通过。"),
    )


@login_required
@require_POST
def withdrawal_approve(request, pk):
    wr = selectors.withdrawal_get(user=request.user, pk=pk)
    _run(
        request,
        lambda: services.withdrawal_approve(
            request=wr, by=request.user, note=request.POST.get("reason", "")
        ),
        _("已批准退训。"),
    )
    return _back(request, reverse("enrollment:review", args=[wr.enrollment.program_id]))


@login_required
@require_POST
def withdrawal_reject(request, pk):
    wr = selectors.withdrawal_get(user=request.user, pk=pk)
    _run(
        request,
        lambda: services.withdrawal_reject(request=wr, by=request.user, note=_reason(request)),
        _("已驳回退训申请。"),
    )
    return _back(request, reverse("enrollment:review", args=[wr.enrollment.program_id]))


# ---- quotas and policy -------------------------------------------------------------------------


def _quota_units(program):
    """Units that may receive a quota: below the program's jurisdiction, not schools."""
    return (
        OrgUnit.objects.filter(path__startswith=jurisdiction_path(program.organizing_unit))
        .exclude(kind__in=[OrgUnit.Kind.SCHOOL, OrgUnit.Kind.PROVINCE])
        .order_by("path")
    )


@manager_page
def quotas(request, program):
    units = _quota_units(program)
    form = forms.QuotaForm(request.POST or None, units=units)
    if request.method == "POST" and form.is_valid():
        done = _run(
            request,
            lambda: (
                services.quota_set(
                    program=program,
                    unit=form.cleaned_data["unit"],
                    seats=form.cleaned_data["seats"],
                    by=request.user,
                )
                or True
            ),
            _("名额已保存。"),
        )
        if done:
            return redirect("enrollment:quotas", program.pk)
    policy = selectors.policy_for(program)
    return _page(
        request,
        "enrollment/quotas.html",
        program,
        "quotas",
        quotas=selectors.program_quotas(program),
        form=form,
        policy_form=forms.PolicyForm(instance=policy),
        units=units,
    )


@manager_page
@require_POST
def policy(request, program):
    form = forms.PolicyForm(request.POST, instance=selectors.policy_for(program))
    if form.is_valid():
        data = form.cleaned_data
        services.policy_update(program=program, by=request.user, **data)
        messages.success(request, _("报名设置已保存。"))
    else:
        messages.error(request, _("报名设置有误:%(e)s") % {"e": form.errors.as_text()})
    return redirect("enrollment:quotas", program.pk)


# ---- liaison -------------------------------------------------------------------------------


@login_required
def liaison(request):
    if not roles_of(request.user).is_liaison:
        raise PermissionDenied
    return render(
        request, "enrollment/liaison.html", {"quotas": selectors.liaison_quotas(request.user)}
    )


@login_required
def quota(request, pk):
    q = selectors.quota_get(user=request.user, pk=pk)
    search = request.GET.get("q", "").strip()
    context = {
        "quota": q,
        "program": q.program,
        "substitutions": selectors_notices.quota_substitutions(q),
        "search": search,
        "nominees": selectors.quota_nominees(q),
        "used": selectors.quota_nominees(q).filter(status__in=selectors.QUOTA_STATUSES).count(),
        "window_open": selectors.nominations_open(q.program),
        "policy": selectors.policy_for(q.program),
    }
    if q.can_nominate:
        context["candidates"] = selectors.quota_candidates(q, search=search)
    if request.htmx:
        return render(request, "enrollment/quota.html#candidates", context)
    return render(request, "enrollment/quota.html", context)


@login_required
@require_POST
def nominate(request, pk):
    q = selectors.quota_get(user=request.user, pk=pk)
    if not q.can_nominate:
        raise PermissionDenied
    form = forms.PersonChoiceForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("请选择要提名的人员。"))
    else:
        _run(
            request,
            lambda: services.nomination_create(
                quota=q, user=form.cleaned_data["user"], by=request.user
            ),
            _("已提名 %(name)s,等待主办方审核。") % {"name": form.cleaned_data["user"]},
        )
    return redirect("enrollment:quota", q.pk)


@login_required
@require_POST
def substitute(request, pk):
    e = selectors.nomination_get(user=request.user, pk=pk)
    if not e.quota.can_nominate:
        raise PermissionDenied
    q = e.quota
    form = forms.PersonChoiceForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("请选择替换人员。"))
    else:
        new_user, reason = form.cleaned_data["user"], form.cleaned_data["reason"]
        if selectors.nominations_open(q.program):
            _run(
                request,
                lambda: services.nomination_substitute(
                    enrollment=e, new_user=new_user, by=request.user, reason=reason
                ),
                _("已用 %(new)s 替换 %(old)s,等待主办方审核。") % {"new": new_user, "old": e.user},
            )
        else:  # after the reply deadline the host decides
            _run(
                request,
                lambda: services.substitution_request(
                    enrollment=e, new_user=new_user, by=request.user, reason=reason
                ),
                _("已提交替换申请(%(old)s → %(new)s),等待主办方审批。")
                % {"new": new_user, "old": e.user},
            )
    return redirect("enrollment:quota", q.pk)


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
        unknown_units=selectors.import_unknown_units(batch) if batch.status == "preview" else [],
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


# ---- groups ----------------------------------------------------------------------------------


@manager_page
def groups(request, program):
    groups_, ungrouped = selectors.groups_with_members(program)
    return _page(
        request,
        "enrollment/groups.html",
        program,
        "groups",
        groups=groups_,
        ungrouped=ungrouped,
        generate_form=forms.GroupGenerateForm(initial={"count": len(groups_) or 6}),
    )


@manager_page
@require_POST
def groups_generate(request, program):
    form = forms.GroupGenerateForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("请填写 1–50 之间的分组数。"))
    else:
        _run(
            request,
            lambda: services.groups_generate(
                program=program,
                count=form.cleaned_data["count"],
                by=request.user,
                rooms=form.room_list(),
            ),
            _("已按单位和职级均衡分组。"),
        )
    return redirect("enrollment:groups", program.pk)


@login_required
@require_POST
def group_edit(request, pk):
    group = selectors.group_get(user=request.user, pk=pk)
    form = forms.GroupEditForm(request.POST, group=group)
    if not form.is_valid():
        messages.error(request, _("小组信息有误:%(e)s") % {"e": form.errors.as_text()})
    else:
        _run(
            request,
            lambda: services.group_update(group=group, by=request.user, **form.cleaned_data),
            _("小组已更新。"),
        )
    return redirect("enrollment:groups", group.program_id)


@manager_page
@require_POST
def group_move(request, program):
    form = forms.GroupMoveForm(request.POST)
    ok = form.is_valid()
    if ok:
        e = Enrollment.objects.filter(program=program, pk=form.cleaned_data["enrollment"]).first()
        gid = form.cleaned_data["group"]
        group = DiscussionGroup.objects.filter(program=program, pk=gid).first() if gid else None
        ok = e is not None and (group is not None or not gid)
    if not ok:
        messages.error(request, _("请选择学员和小组。"))
    else:
        _run(
            request,
            lambda: services.group_move(enrollment=e, group=group, by=request.user),
            _("已调整分组。"),
        )
    if request.htmx:
        groups_, ungrouped = selectors.groups_with_members(program)
        return render(
            request,
            "enrollment/groups.html#board",
            {"program": program, "groups": groups_, "ungrouped": ungrouped},
        )
    return redirect("enrollment:groups", program.pk)


# ---- exports ---------------------------------------------------------------------------------


@manager_page
def export_xlsx(request, program):
    from django.utils.http import content_disposition_header

    from core.files import safe_filename

    response = HttpResponse(
        exports.roster_xlsx(program),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    filename = safe_filename(exports.roster_filename(program, "xlsx"))
    response["Content-Disposition"] = content_disposition_header(True, filename)
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


@manager_page
@require_POST
def export_pdf(request, program):
    from enrollment.tasks import roster_pdf_render

    gf = core_services.generated_file_start(
        owner=request.user,
        kind="enrollment.roster_pdf",
        title=_("学员名册(PDF):%(t)s") % {"t": program.title},
        params={"program": program.pk},
        task=roster_pdf_render,
        args=[program.pk],
    )
    return redirect("generated_file", gf.pk)
