"""Leave (请假): a trainee asks, a class manager decides, an approval puts the sessions on leave."""

import uuid

from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from attendance import selectors
from attendance.models import (
    AttendanceRecord,
    AttendanceStatus,
    LeaveRequest,
)
from attendance.rules import LeaveLimit
from attendance.services.common import class_managers, record_snapshot, session_names
from attendance.services.leave_limit import leave_limit_check
from attendance.services.rate_warnings import rate_warnings_check
from core.errors import DomainError, self_decision_guard
from core.services import audit_log, notify, notify_many
from core.uploads import check_upload_detail
from enrollment.models import Enrollment
from programs.access import ensure_program_open
from programs.models import Program, Session

# A leave attachment (a doctor's note, a meeting notice): a PDF or a photo, checked by its content
# (core.uploads), stored under a random name with the extension its bytes say.
MAX_ATTACHMENT_BYTES = 5 * 1024 * 1024
ATTACHMENT_KINDS = {"pdf", "image"}


@transaction.atomic
def leave_request_create(
    *, user, program: Program, session_ids, reason: str, attachment=None, now=None
) -> LeaveRequest:
    """A trainee asks leave from sessions of a program they are enrolled in. Sessions that have
    ended (by `now`, the time of asking), already attended or already covered by a pending or
    approved request are refused, named (selectors.leave_blockers)."""
    reason = (reason or "").strip()
    ensure_program_open(program)
    if not Enrollment.objects.filter(
        program=program, user=user, status=Enrollment.Status.ENROLLED
    ).exists():
        raise DomainError(_("您不是本班学员,不能请假。"))
    if not reason:
        raise DomainError(_("请填写请假事由。"), field="reason")
    sessions = list(
        program.sessions.filter(pk__in=[int(s) for s in session_ids if str(s).isdigit()]).exclude(
            status=Session.Status.CANCELLED
        )
    )
    if not sessions:
        raise DomainError(_("请至少选择一节课程。"), field="sessions")
    blocked = selectors.leave_blockers(user=user, sessions=sessions, now=now)
    for kind, message in (
        (selectors.LEAVE_PAST, _("已结束的课程不能请假:%(sessions)s")),
        (selectors.LEAVE_ATTENDED, _("已签到的课程不能请假:%(sessions)s")),
        (selectors.LEAVE_REQUESTED, _("已有待审批或已批准请假的课程:%(sessions)s")),
    ):
        named = [s for s in sessions if blocked.get(s.pk) == kind]
        if named:
            raise DomainError(message % {"sessions": session_names(named)}, field="sessions")
    if attachment:
        detected = check_upload_detail(
            attachment, kinds=ATTACHMENT_KINDS, max_bytes=MAX_ATTACHMENT_BYTES, field="attachment"
        )
        attachment.name = f"{uuid.uuid4().hex}.{detected.extension}"
    leave = LeaveRequest.objects.create(
        program=program, user=user, reason=reason, attachment=attachment or ""
    )
    leave.sessions.set(sessions)
    audit_log(
        actor=user,
        action="attendance.leave_request",
        target=leave,
        after={"sessions": [s.pk for s in sessions]},
        reason=reason,
    )
    url = reverse("attendance:leave_detail", args=[leave.pk])
    notify_many(
        users=class_managers(program.pk),
        title=gettext_lazy("%(name)s 申请请假:%(sessions)s"),
        params={"name": user.full_name, "sessions": session_names(sessions, neutral=True)},
        body=reason,
        url=url,
        kind="attendance.leave",
    )
    return leave


@transaction.atomic
def leave_request_decide(*, leave: LeaveRequest, approve: bool, note: str, by) -> LeaveRequest:
    """Approve or reject a pending request, once. Approval makes its sessions "on leave" for the
    trainee (a new record, or an existing one without a check-in); the trainee is notified."""
    leave = LeaveRequest.objects.select_for_update().select_related("program").get(pk=leave.pk)
    self_decision_guard(subject=leave, by=by)
    if leave.status != LeaveRequest.Status.PENDING:
        raise DomainError(_("该请假申请已处理。"))
    ensure_program_open(leave.program)
    note = (note or "").strip()
    if not approve and not note:
        raise DomainError(_("不批准时请填写意见。"), field="note")
    before = {"status": leave.status}
    leave.status = LeaveRequest.Status.APPROVED if approve else LeaveRequest.Status.REJECTED
    leave.decided_by, leave.decided_at, leave.decision_note = by, timezone.now(), note
    leave.save(update_fields=["status", "decided_by", "decided_at", "decision_note", "updated_at"])
    audit_log(
        actor=by,
        action="attendance.leave_decide",
        target=leave,
        before=before,
        after={"status": leave.status},
        reason=note,
    )
    if approve:
        # the 1/7 leave rule's state after this approval (the view warns the approver)
        leave.limit_state = _apply_leave(leave=leave, by=by).get(leave.user_id, LeaveLimit.OK)
    verdict = gettext_lazy("已批准") if approve else gettext_lazy("未批准")
    sessions = session_names(leave.sessions.order_by("start"), neutral=True)
    notify(
        user=leave.user,
        title=gettext_lazy("您的请假申请%(verdict)s:%(sessions)s"),
        params={"verdict": verdict, "sessions": sessions},
        body=note,
        url=reverse("attendance:leave_detail", args=[leave.pk]),
        kind="attendance.leave",
    )
    return leave


def _apply_leave(*, leave: LeaveRequest, by) -> dict:
    sessions = list(leave.sessions.all())
    AttendanceRecord.objects.bulk_create(
        [
            AttendanceRecord(
                session=s,
                user_id=leave.user_id,
                status=AttendanceStatus.ON_LEAVE,
                source=AttendanceRecord.Source.LEAVE,
            )
            for s in sessions
        ],
        ignore_conflicts=True,
    )
    reason = _("请假审批通过") + (f":{leave.decision_note}" if leave.decision_note else "")
    for record in (
        AttendanceRecord.objects.select_for_update()
        .filter(user_id=leave.user_id, session__in=sessions, checkin_at__isnull=True)
        .exclude(status=AttendanceStatus.ON_LEAVE)
    ):
        before = record_snapshot(record)
        record.status, record.source = AttendanceStatus.ON_LEAVE, AttendanceRecord.Source.LEAVE
        record.save(update_fields=["status", "source", "updated_at"])
        audit_log(
            actor=by,
            action="attendance.leave_apply",
            target=record,
            before=before,
            after=record_snapshot(record),
            reason=reason,
        )
    rate_warnings_check(program=leave.program, user_ids=[leave.user_id])
    return leave_limit_check(program=leave.program, user_ids=[leave.user_id])


@transaction.atomic
def leave_request_cancel(*, leave: LeaveRequest, by) -> LeaveRequest:
    leave = LeaveRequest.objects.select_for_update().get(pk=leave.pk)
    if leave.user_id != by.pk or leave.status != LeaveRequest.Status.PENDING:
        raise DomainError(_("只能撤回自己待审批的请假申请。"))
    leave.status = LeaveRequest.Status.CANCELLED
    leave.save(update_fields=["status", "updated_at"])
    audit_log(actor=by, action="attendance.leave_cancel", target=leave)
    return leave
