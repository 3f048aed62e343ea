"""Withdrawal (退训): a trainee asks, the program's managers decide; a freed seat goes to the
waitlist."""

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.errors import DomainError, self_decision_guard
from core.services import audit_log, notify
from enrollment.models import (
    Enrollment,
    WithdrawalRequest,
)
from enrollment.services._base import (
    _ensure_open,
    _leave_group,
    _lock_enrollment,
    _lock_program,
    _notify_reviewers,
    _set_status,
)
from enrollment.services.applications import waitlist_promote
from programs.models import Program

S = Enrollment.Status


@transaction.atomic
def withdrawal_request(*, enrollment, by, reason: str) -> WithdrawalRequest | None:
    """A trainee asks to leave. A pending application or waitlist place is simply cancelled
    (returns None); a seat or nomination needs a manager's approval."""
    if enrollment.user_id != by.pk:
        raise PermissionDenied
    if not reason.strip():
        raise DomainError(_("请填写退训原因。"), field="reason")
    program = _lock_program(enrollment.program)
    if program.status in (Program.Status.COMPLETED, Program.Status.ARCHIVED):
        raise DomainError(_("培训已结束,不能再退训。"))
    e = _lock_enrollment(enrollment)
    if e.status in (S.APPLIED, S.WAITLISTED):
        e.waitlist_position = None
        before = _set_status(e, S.WITHDRAWN, reason=reason.strip(), extra=("waitlist_position",))
        audit_log(
            actor=by,
            action="enrollment.application_cancel",
            target=e,
            before={"status": before},
            after={"status": S.WITHDRAWN},
            reason=reason,
        )
        return None
    if e.status not in (S.ENROLLED, S.NOMINATED):
        raise DomainError(
            _("当前状态(%(status)s)不能申请退训。") % {"status": e.get_status_display()}
        )
    try:
        with transaction.atomic():
            wr = WithdrawalRequest.objects.create(
                enrollment=e, reason=reason.strip(), requested_by=by
            )
    except IntegrityError:
        raise DomainError(_("您已提交退训申请,请等待审批。"), code="duplicate") from None
    audit_log(actor=by, action="enrollment.withdrawal_request", target=e, reason=reason)
    _notify_reviewers(
        program,
        title=gettext_lazy("退训申请待审批:%(program)s"),
        body=gettext_lazy("%(name)s:%(reason)s"),
        url=reverse("enrollment:review", args=[program.pk]),
        params={"program": program.title, "name": e.user.full_name, "reason": reason.strip()},
    )
    return wr


@transaction.atomic
def withdrawal_approve(*, request, by, note: str = "") -> Enrollment:
    """Approve a withdrawal: the row stays (history) as withdrawn, stops counting, and a freed
    seat goes to the head of the waitlist. Safe under concurrent approvals."""
    program = _lock_program(request.enrollment.program)
    _ensure_open(program)
    wr = WithdrawalRequest.objects.select_for_update().get(pk=request.pk)
    if wr.status != WithdrawalRequest.Status.PENDING:
        raise DomainError(_("该退训申请已处理。"))
    e = _lock_enrollment(wr.enrollment)
    self_decision_guard(subject=e, by=by)
    was = e.status
    _leave_group(e)
    _set_status(e, S.WITHDRAWN, by=by, reason=wr.reason, extra=("group",))
    wr.status, wr.decided_by, wr.decided_at = WithdrawalRequest.Status.APPROVED, by, timezone.now()
    wr.decision_note = note.strip()
    wr.save(update_fields=["status", "decided_by", "decided_at", "decision_note", "updated_at"])
    audit_log(
        actor=by,
        action="enrollment.withdrawal_approve",
        target=e,
        before={"status": was},
        after={"status": S.WITHDRAWN},
        reason=wr.reason,
    )
    notify(
        user=e.user,
        title=gettext_lazy("退训申请已批准:%(program)s"),
        body=note.strip(),
        kind="enrollment",
        url=reverse("enrollment:mine"),
        params={"program": program.title},
    )
    if e.nominated_by_id:
        notify(
            user=e.nominated_by,
            title=gettext_lazy("本单位学员退训:%(program)s"),
            body=e.user.full_name,
            kind="enrollment",
            url=reverse("enrollment:quota", args=[e.quota_id]) if e.quota_id else "",
            params={"program": program.title},
        )
    if was in (S.ENROLLED, S.NOMINATED):  # both held a seat
        waitlist_promote(program=program)
    return e


@transaction.atomic
def withdrawal_reject(*, request, by, note: str) -> WithdrawalRequest:
    if not note.strip():
        raise DomainError(_("请填写不批准的原因。"), field="note")
    wr = (
        WithdrawalRequest.objects.select_for_update()
        .select_related("enrollment__user", "enrollment__program")
        .get(pk=request.pk)
    )
    if wr.status != WithdrawalRequest.Status.PENDING:
        raise DomainError(_("该退训申请已处理。"))
    self_decision_guard(subject=wr.enrollment, by=by)
    _ensure_open(wr.enrollment.program)
    wr.status, wr.decided_by, wr.decided_at = WithdrawalRequest.Status.REJECTED, by, timezone.now()
    wr.decision_note = note.strip()
    wr.save(update_fields=["status", "decided_by", "decided_at", "decision_note", "updated_at"])
    audit_log(actor=by, action="enrollment.withdrawal_reject", target=wr.enrollment, reason=note)
    notify(
        user=wr.enrollment.user,
        title=gettext_lazy("退训申请未批准:%(program)s"),
        body=note.strip(),
        kind="enrollment",
        url=reverse("enrollment:mine"),
        params={"program": wr.enrollment.program.title},
    )
    return wr
