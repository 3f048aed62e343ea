"""Reconciliation (核对) pages: the host's two lists (named but absent, present but not named),
a decision per person, closing and reopening, and the list as an Excel file."""

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.errors import DomainError
from core.files import safe_filename
from core.tabular import XLSX_CONTENT_TYPE, Column, Sheet, xlsx_bytes
from enrollment.models import Enrollment
from enrollment.selectors import reconciliation as sel
from enrollment.services import reconciliation as svc
from enrollment.views.base import _page, manager_page


@manager_page
def reconciliation(request, program):
    if not sel.has_sent_notice(program):
        raise Http404
    return _page(
        request,
        "enrollment/reconciliation.html",
        program,
        "notice",
        listing=sel.reconciliation(program),
    )


@manager_page
@require_POST
def reconciliation_decide(request, program):
    try:
        enrollment = Enrollment.objects.select_related("program").get(
            pk=request.POST.get("enrollment"), program=program
        )
    except (Enrollment.DoesNotExist, ValueError, TypeError):
        raise Http404 from None
    try:
        svc.reconciliation_decide(
            enrollment=enrollment,
            decision=request.POST.get("decision", ""),
            note=request.POST.get("note", ""),
            by=request.user,
        )
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request, _("已记录 %(name)s 的处理。") % {"name": enrollment.user.full_name}
        )
    return redirect(f"{_url(program)}#e{enrollment.pk}")


@manager_page
@require_POST
def reconciliation_close(request, program):
    try:
        svc.reconciliation_close(program=program, by=request.user)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("核对已完成。"))
    return redirect(_url(program))


@manager_page
@require_POST
def reconciliation_reopen(request, program):
    try:
        svc.reconciliation_reopen(
            program=program, by=request.user, reason=request.POST.get("reason", "")
        )
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("核对已重新打开。"))
    return redirect(_url(program))


def _url(program) -> str:
    from django.urls import reverse

    return reverse("enrollment:reconciliation", args=[program.pk])


@manager_page
def reconciliation_export(request, program):
    if not sel.has_sent_notice(program):
        raise Http404
    listing = sel.reconciliation(program)
    columns = [
        Column(_("情形"), width=14),
        Column(_("单位"), width=28, wrap=True),
        Column(_("姓名"), width=10),
        Column(_("职务"), width=20, wrap=True),
        Column(_("提名单位"), width=24, wrap=True),
        Column(_("处理"), width=14),
        Column(_("说明"), width=30, wrap=True),
        Column(_("处理人"), width=10),
    ]

    def rows():
        for r in listing.rows:
            e, d = r.enrollment, r.decision
            yield [
                sel.K(r.kind).label,
                e.unit.name if e.unit_id else "",
                e.user.full_name,
                e.user.position,
                e.quota.unit.name if e.quota_id else "",
                d.get_decision_display() if d else _("未处理"),
                d.note if d else "",
                d.decided_by.full_name if d and d.decided_by_id else "",
            ]

    status = _("已完成核对") if listing.closed else _("核对中")
    title = _("调训核对:%(t)s") % {"t": program.title}
    data = xlsx_bytes(
        [
            Sheet(
                _("核对名单"),
                columns,
                rows(),
                title_lines=[
                    title,
                    _("提名 %(named)d 人 · 实到 %(attended)d 人 · %(status)s")
                    % {"named": listing.named, "attended": listing.attended, "status": status},
                ],
                landscape=True,
            )
        ],
        title=title,
    )
    response = HttpResponse(data, content_type=XLSX_CONTENT_TYPE)
    filename = safe_filename(f"{title}.xlsx")
    response["Content-Disposition"] = content_disposition_header(True, filename)
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response
