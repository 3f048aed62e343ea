"""Manual marks by a class manager (with a reason, audited) and the clearing of a proxy flag."""

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from attendance import selectors
from attendance.models import (
    AttendanceRecord,
    AttendanceStatus,
)
from attendance.rules import ATTENDED
from attendance.services.common import record_snapshot
from attendance.services.leave_limit import leave_limit_check
from attendance.services.rate_warnings import rate_warnings_check
from core.errors import DomainError, self_decision_guard
from core.services import audit_log
from enrollment.models import Enrollment
from programs.access import ensure_program_open
from programs.models import Session

# --- Manual marks ------------------------------------------------------------------------
MARKABLE = (
    AttendanceStatus.PRESENT,
    AttendanceStatus.LATE,
    AttendanceStatus.LEFT_EARLY,
    AttendanceStatus.LATE_LEFT_EARLY,
    AttendanceStatus.ABSENT,
    AttendanceStatus.ON_LEAVE,
)


@transaction.atomic
def records_mark(
    *, session: Session, user_ids, status: str, reason: str, by, venue_ids=None
) -> int:
    """Set the status of one or many enrolled trainees by hand, with a reason.

    Every change is logged (who, when, before, after, why). A trainee marked present or late
    without a check-in gets the time the mark was entered as check-in time (the roster shows it
    as 手工), never the session start. `venue_ids` limits the marks to the trainees seated at or
    checked in at those venues (a branch-venue manager's; selectors.session_scope): a selection
    reaching beyond them is refused whole. Nobody marks themselves. Returns how many changed.
    """
    reason = (reason or "").strip()
    if status not in MARKABLE:
        raise DomainError(_("请选择有效的考勤状态。"), field="status")
    if not reason:
        raise DomainError(_("手工标记必须填写原因。"), field="reason")
    ensure_program_open(session.program)
    if session.status == Session.Status.CANCELLED:
        raise DomainError(_("本次课程已取消,不记考勤。"))
    enrolled = set(
        Enrollment.objects.filter(
            program_id=session.program_id,
            status=Enrollment.Status.ENROLLED,
            user_id__in=[int(u) for u in user_ids if str(u).isdigit()],
        ).values_list("user_id", flat=True)
    )
    if not enrolled:
        raise DomainError(_("请至少选择一名本班学员。"), field="users")
    if by.pk in enrolled:
        self_decision_guard(subject=by, by=by)
    if venue_ids is not None:
        outside = enrolled - selectors.trainees_in_venues(session=session, venue_ids=venue_ids)
        if outside:
            raise DomainError(
                _("只能标记在您管理的会场就座或签到的学员(%(n)s 名学员不在其中)。")
                % {"n": len(outside)},
                field="users",
            )
    existing = {
        r.user_id: r
        for r in AttendanceRecord.objects.select_for_update().filter(
            session=session, user_id__in=enrolled
        )
    }
    missing = [
        AttendanceRecord(
            session=session,
            user_id=uid,
            status=AttendanceStatus.ABSENT,
            source=AttendanceRecord.Source.MANUAL,
        )
        for uid in enrolled - existing.keys()
    ]
    AttendanceRecord.objects.bulk_create(missing, ignore_conflicts=True)
    if missing:
        for r in AttendanceRecord.objects.select_for_update().filter(
            session=session, user_id__in=[m.user_id for m in missing]
        ):
            existing[r.user_id] = r
            r._new = True
    changed = 0
    now = timezone.now()
    for record in existing.values():
        before = None if getattr(record, "_new", False) else record_snapshot(record)
        if before and before["status"] == status:
            continue
        record.status = status
        record.source = AttendanceRecord.Source.MANUAL
        if status in ATTENDED:
            # "was there" always comes with a check-in time, so every count that asks "checked
            # in?" agrees with the status: the time the mark was entered (source 手工), not the
            # session start, and no venue (the board counts it at the trainee's own venue)
            if not record.checkin_at:
                record.checkin_at = now
        else:
            # absent or on leave: not there, whatever a scan said (a proxy check-in found out);
            # the scan's times and flag stay in the audit entry's "before"
            record.checkin_at = record.checkout_at = None
            record.flagged = False
        record.save(
            update_fields=[
                "status",
                "source",
                "checkin_at",
                "checkout_at",
                "flagged",
                "venue",
                "updated_at",
            ]
        )
        audit_log(
            actor=by,
            action="attendance.mark",
            target=record,
            before=before,
            after=record_snapshot(record),
            reason=reason,
        )
        changed += 1
    rate_warnings_check(program=session.program, user_ids=enrolled)
    leave_limit_check(program=session.program, user_ids=enrolled)  # on leave, or no longer
    return changed


def record_clear_flag(
    *, record: AttendanceRecord, reason: str, by, venue_ids=None
) -> AttendanceRecord:
    """The class manager has looked into a suspected proxy check-in and found it in order (the
    trainee was there): the flag goes, the record and its times stay, and the log says who
    cleared it and why. A check-in found to be a proxy is marked absent instead (records_mark).
    A branch-venue manager (`venue_ids`) decides only for trainees seated or checked in at their
    venues; nobody clears their own flag."""
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(_("取消疑似代签标记必须填写核实情况。"), field="reason")
    self_decision_guard(subject=record, by=by)
    ensure_program_open(record.session.program)
    if venue_ids is not None and record.user_id not in selectors.trainees_in_venues(
        session=record.session, venue_ids=venue_ids
    ):
        raise DomainError(_("该学员不在您管理的会场,请由班主任核实。"))
    with transaction.atomic():
        record = AttendanceRecord.objects.select_for_update().get(pk=record.pk)
        if not record.flagged:
            raise DomainError(_("这条记录没有疑似代签标记。"))
        before = record_snapshot(record)
        record.flagged = False
        record.save(update_fields=["flagged", "updated_at"])
        audit_log(
            actor=by,
            action="attendance.clear_flag",
            target=record,
            before=before,
            after=record_snapshot(record),
            reason=reason,
        )
    return record
