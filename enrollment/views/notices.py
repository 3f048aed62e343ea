"""Nomination notice (调训通知) pages: the host drafts, sends and follows the replies per unit;
a unit's liaison reads the notice (read receipt), downloads its PDF and may decline."""

import datetime

from django import forms as djforms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from core.errors import DomainError
from core.pdf import render_pdf
from enrollment import selectors
from enrollment.models import NominationNotice
from enrollment.selectors import notices as sel
from enrollment.services import notices as svc
from enrollment.services import substitutions as svc_subs
from enrollment.views.base import _back, _page, manager_page
from programs.access import Access, program_access
from programs.models import Program


class NoticeForm(djforms.Form):
    doc_number = djforms.CharField(
        label=gettext_lazy("文号"),
        max_length=60,
        help_text=gettext_lazy("例如:云组干调〔2026〕12号"),
    )
    title = djforms.CharField(label=gettext_lazy("标题"), max_length=200)
    body = djforms.CharField(
        label=gettext_lazy("正文"), max_length=8000, widget=djforms.Textarea(attrs={"rows": 10})
    )
    reply_deadline = djforms.DateTimeField(
        label=gettext_lazy("回执截止时间"),
        widget=djforms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )
    contact = djforms.CharField(
        label=gettext_lazy("联系人及电话"),
        max_length=120,
        help_text=gettext_lazy("例如:王老师,0871-6000000"),
    )
    issuing_unit = djforms.CharField(label=gettext_lazy("发文单位"), max_length=120)
    issue_date = djforms.DateField(
        label=gettext_lazy("发文日期"), widget=djforms.DateInput(attrs={"type": "date"})
    )


def _initial(program, notice):
    if notice:
        return {k: getattr(notice, k) for k in svc.FIELDS}
    data = svc.notice_defaults(program=program)
    data["reply_deadline"] = timezone.localtime(data["reply_deadline"])
    return data


@manager_page
def notice(request, program):
    existing = sel.notice_for(program)
    form = NoticeForm(request.POST or None, initial=_initial(program, existing))
    if request.method == "POST":
        if existing and existing.status == NominationNotice.Status.SENT:
            messages.error(request, _("调训通知已发送,不能再修改。"))
            return redirect("enrollment:notice", program.pk)
        if form.is_valid():
            try:
                svc.notice_save(program=program, by=request.user, **form.cleaned_data)
            except DomainError as exc:
                form.add_error(exc.field if exc.field in form.fields else None, exc.message)
            else:
                messages.success(request, _("调训通知已保存。"))
                return redirect("enrollment:notice", program.pk)
    rows = sel.reply_overview(existing) if existing else []
    return _page(
        request,
        "enrollment/notice.html",
        program,
        "notice",
        notice=existing,
        form=form,
        rows=rows,
        reply_counts=sel.reply_counts(rows),
        quotas=sel.quota_rows(program),
    )


@manager_page
@require_POST
def notice_send(request, program):
    existing = sel.notice_for(program)
    if existing is None:
        messages.error(request, _("请先保存调训通知。"))
    else:
        try:
            receipts = svc.notice_send(notice=existing, by=request.user)
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("调训通知已发送至 %(n)d 个单位。") % {"n": len(receipts)})
    return redirect("enrollment:notice", program.pk)


def _chinese_date(d: datetime.date) -> str:
    return _("%(y)d年%(m)d月%(d)d日") % {"y": d.year, "m": d.month, "d": d.day}


def notice_pdf_bytes(notice) -> bytes:
    return render_pdf(
        "enrollment/notice_pdf.html",
        {
            "notice": notice,
            "program": notice.program,
            "paragraphs": [p for p in notice.body.splitlines() if p.strip()],
            "quotas": sel.quota_rows(notice.program),
            "deadline": timezone.localtime(notice.reply_deadline),
            "issue_date": _chinese_date(notice.issue_date),
        },
        title=notice.title,
    )


@login_required
def notice_pdf(request, pk):
    """The official PDF: the program's managers (also a draft), or a liaison of a unit the
    notice was sent to (which counts as reading it)."""
    try:
        program = Program.objects.select_related("organizing_unit", "plan_item").get(pk=pk)
    except (Program.DoesNotExist, ValueError, TypeError):
        raise Http404 from None
    existing = sel.notice_for(program)
    receipt = sel.liaison_receipt(request.user, program) if existing else None
    level = program_access(request.user, program)
    if receipt is None:
        if level == Access.NONE:
            raise Http404
        if level < Access.MANAGE:
            raise PermissionDenied
        if existing is None:
            raise Http404
    else:
        svc.receipt_mark_read(receipt=receipt, by=request.user)
    response = HttpResponse(notice_pdf_bytes(existing), content_type="application/pdf")
    response["Content-Disposition"] = content_disposition_header(False, f"{existing.title}.pdf")
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


@login_required
def notice_receipt(request, pk):
    receipt = sel.receipt_get(user=request.user, pk=pk)
    if receipt.can_reply:
        receipt = svc.receipt_mark_read(receipt=receipt, by=request.user)
    notice = receipt.notice
    program = notice.program
    quota = program.quotas.filter(unit=receipt.unit).first()
    used = quota.enrollments.filter(status__in=selectors.QUOTA_STATUSES).count() if quota else 0
    state = sel.reply_state(
        receipt=receipt,
        seats=quota.seats if quota else 0,
        used=used,
        deadline=notice.reply_deadline,
        now=timezone.now(),
    )
    return render(
        request,
        "enrollment/notice_receipt.html",
        {
            "receipt": receipt,
            "notice": notice,
            "program": program,
            "quota": quota,
            "used": used,
            "state": state,
            "paragraphs": [p for p in notice.body.splitlines() if p.strip()],
            "open": timezone.now() <= notice.reply_deadline,
        },
    )


@login_required
@require_POST
def notice_decline(request, pk):
    receipt = sel.receipt_get(user=request.user, pk=pk)
    if not receipt.can_reply:
        raise PermissionDenied
    try:
        svc.receipt_decline(receipt=receipt, by=request.user, reason=request.POST.get("reason", ""))
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("已回复不参训。"))
    return redirect("enrollment:notice_receipt", receipt.pk)


@manager_page
@require_POST
def notice_remind(request, program):
    existing = sel.notice_for(program)
    if existing is None:
        raise Http404
    try:
        n = svc.notice_remind_manual(notice=existing, by=request.user)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        if n:
            messages.success(request, _("已向 %(n)d 个未回复单位发出催报。") % {"n": n})
        else:
            messages.info(request, _("今天已催报过,或没有未回复的单位。"))
    return redirect("enrollment:notice", program.pk)


# ---- substitution requests after the deadline ------------------------------------------------


def _decide_substitution(request, pk, action, success):
    req = sel.substitution_get(user=request.user, pk=pk)
    try:
        action(req)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, success)
    return _back(request, reverse("enrollment:review", args=[req.enrollment.program_id]))


@login_required
@require_POST
def substitution_approve(request, pk):
    return _decide_substitution(
        request,
        pk,
        lambda req: svc_subs.substitution_approve(
            request=req, by=request.user, note=request.POST.get("note", "")
        ),
        _("已批准替换。"),
    )


@login_required
@require_POST
def substitution_refuse(request, pk):
    return _decide_substitution(
        request,
        pk,
        lambda req: svc_subs.substitution_refuse(
            request=req, by=request.user, reason=request.POST.get("reason", "")
        ),
        _("已不予批准替换,已通知单位联络员。"),
    )
