"""The 1/7 leave rule's figures (attendance.rules.leave_limit_state): a class's hours and its
trainees' approved leave hours from two aggregate queries, the flags a class manager acts on,
and what approving a pending request would do."""

from decimal import Decimal

from django.db.models import Count, Q, Sum
from django.http import Http404

from attendance.models import AttendanceRecord, AttendanceStatus, LeaveLimitFlag, LeaveRequest
from attendance.rules import LeaveLimit, leave_limit_hours, leave_limit_state
from enrollment.models import Enrollment
from programs.access import can_manage_program
from programs.models import Session

ZERO = Decimal("0.0")


def class_hours(*, program_id) -> Decimal:
    """The class's hours: the credit hours of its sessions that are not cancelled (1 query)."""
    found = (
        Session.objects.filter(program_id=program_id)
        .exclude(status=Session.Status.CANCELLED)
        .aggregate(h=Sum("credit_hours"))["h"]
    )
    return _tenth(found)


def _tenth(value) -> Decimal:
    """Hours as a tenth (SQLite sums decimals without their places)."""
    return Decimal(str(value or 0)).quantize(ZERO)


def leave_hours(*, program_id, user_ids=None) -> dict:
    """{user_id: approved leave hours} of enrolled trainees: the credit hours of the sessions
    (not cancelled) they are on leave from (1 query)."""
    records = AttendanceRecord.objects.filter(
        session__program_id=program_id,
        status=AttendanceStatus.ON_LEAVE,
        user_id__in=Enrollment.objects.filter(
            program_id=program_id, status=Enrollment.Status.ENROLLED
        ).values("user_id"),
    ).exclude(session__status=Session.Status.CANCELLED)
    if user_ids is not None:
        records = records.filter(user_id__in=list(user_ids))
    return {
        uid: _tenth(h)
        for uid, h in records.values_list("user_id")
        .annotate(h=Sum("session__credit_hours"))
        .values_list("user_id", "h")
        .order_by()
    }


def leave_limit_flags(*, program) -> list:
    """The program's flags, passed-and-undecided first, then passed, then nearing, by name (1
    query), each with `limit` (hours)."""
    flags = list(
        LeaveLimitFlag.objects.filter(program=program)
        .select_related("user", "decided_by")
        .order_by("decision", "-level", "user__full_name", "user_id")
    )
    for f in flags:
        f.limit = leave_limit_hours(f.class_hours)
        f.to_decide = f.level == LeaveLimitFlag.Level.OVER and not f.decision
    flags.sort(key=lambda f: (not f.to_decide, f.level != LeaveLimitFlag.Level.OVER))
    return flags


def leave_limit_summary(*, program) -> dict:
    """How many trainees are over the limit with no decision yet, and nearing it (1 query)."""
    return LeaveLimitFlag.objects.filter(program=program).aggregate(
        to_decide=Count("id", filter=Q(level=LeaveLimitFlag.Level.OVER, decision="")),
        near=Count("id", filter=Q(level=LeaveLimitFlag.Level.NEAR)),
    )


def leave_limit_flag_get_for_manager(*, user, pk) -> LeaveLimitFlag:
    """A flag for whoever manages its program; 404 for everyone else (nothing of a trainee's
    leave shows to others)."""
    try:
        flag = LeaveLimitFlag.objects.select_related("program", "user").get(pk=pk)
    except (LeaveLimitFlag.DoesNotExist, ValueError, TypeError):
        raise Http404 from None
    if not can_manage_program(user, flag.program):
        raise Http404
    return flag


def leave_limit_projection(*, leave: LeaveRequest) -> dict:
    """What approving this pending request would make of the trainee's leave: hours now, hours
    after, the limit and the state after (3 queries). Sessions already on leave count once."""
    total = class_hours(program_id=leave.program_id)
    now = leave_hours(program_id=leave.program_id, user_ids=[leave.user_id]).get(
        leave.user_id, ZERO
    )
    added = (
        leave.sessions.exclude(status=Session.Status.CANCELLED)
        .exclude(
            pk__in=AttendanceRecord.objects.filter(
                user_id=leave.user_id, status=AttendanceStatus.ON_LEAVE
            ).values("session_id")
        )
        .aggregate(h=Sum("credit_hours"))["h"]
    )
    after = now + _tenth(added)
    state = leave_limit_state(leave_hours=after, class_hours=total)
    return {
        "now": now,
        "after": after,
        "class_hours": total,
        "limit": leave_limit_hours(total),
        "state": state,
        "over": state == LeaveLimit.OVER,
        "near": state == LeaveLimit.NEAR,
    }
