"""Leave requests: the lists, one request for whoever may see it, and which sessions may be
asked leave from."""

from datetime import timedelta

from django.db.models import Prefetch
from django.http import Http404
from django.utils import timezone

from attendance.models import AttendanceRecord, LeaveRequest
from programs.access import can_manage_program
from programs.models import Session
from programs.selectors import programs_managed_by


def pending_leave_for_manager(*, user, limit=20):
    return (
        LeaveRequest.objects.filter(
            status=LeaveRequest.Status.PENDING, program__in=programs_managed_by(user=user)
        )
        .select_related("user", "program")
        .prefetch_related(_leave_sessions())
        .order_by("created_at")[:limit]
    )


def _leave_sessions():
    """A request's sessions in time order (for naming them wherever a request is listed)."""
    return Prefetch("sessions", queryset=Session.objects.order_by("start"))


def leave_requests_of(*, user, limit=20):
    return (
        LeaveRequest.objects.filter(user=user)
        .select_related("program")
        .prefetch_related(_leave_sessions())
        .order_by("-created_at")[:limit]
    )


def leave_requests_for_program(*, program, status=None):
    qs = LeaveRequest.objects.filter(program=program).select_related("user", "decided_by")
    if status:
        qs = qs.filter(status=status)
    return qs.prefetch_related(_leave_sessions()).order_by("status", "-created_at")


def leave_request_get_for_user(*, user, pk) -> LeaveRequest:
    """The request for its trainee and for whoever manages its program; 404 otherwise."""
    try:
        leave = LeaveRequest.objects.select_related(
            "program__organizing_unit", "user", "decided_by"
        ).get(pk=pk)
    except (LeaveRequest.DoesNotExist, ValueError, TypeError):
        raise Http404 from None
    manages = can_manage_program(user, leave.program)
    if leave.user_id != user.pk and not manages:
        raise Http404
    leave.manages = manages
    leave.can_decide = manages and leave.user_id != user.pk  # nobody decides their own request
    return leave


# --- Which sessions may be asked leave from -------------------------------------------------
LEAVE_PAST = "past"
LEAVE_ATTENDED = "attended"
LEAVE_REQUESTED = "requested"


def leave_blockers(*, user, sessions, now=None) -> dict:
    """{session_id: why it cannot be asked leave from} for those of `sessions` that cannot:
    ended (past), attended (checked in), or already in a pending or approved request. The one
    rule for the form (which marks them) and for leave_request_create (which refuses them). 2
    queries."""
    now = now or timezone.now()
    ids = [s.pk for s in sessions]
    blocked = {s.pk: LEAVE_PAST for s in sessions if s.end <= now}
    for sid in AttendanceRecord.objects.filter(
        user=user, session_id__in=ids, checkin_at__isnull=False
    ).values_list("session_id", flat=True):
        blocked[sid] = LEAVE_ATTENDED
    for sid in LeaveRequest.sessions.through.objects.filter(
        session_id__in=ids,
        leaverequest__user=user,
        leaverequest__status__in=(LeaveRequest.Status.PENDING, LeaveRequest.Status.APPROVED),
    ).values_list("session_id", flat=True):
        blocked.setdefault(sid, LEAVE_REQUESTED)
    return blocked


def leave_choices(*, program, user, now=None, days_back=7) -> list:
    """The program's sessions a trainee sees on the leave form (those of the last week and
    later, not cancelled), each with `blocked` ("" when it may be asked for). 3 queries."""
    now = now or timezone.now()
    sessions = list(
        program.sessions.exclude(status=Session.Status.CANCELLED)
        .filter(end__gte=now - timedelta(days=days_back))
        .select_related("venue")
        .order_by("start")
    )
    blocked = leave_blockers(user=user, sessions=sessions, now=now)
    for s in sessions:
        s.blocked = blocked.get(s.pk, "")
    return sessions
