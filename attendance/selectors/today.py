"""Today's work: a trainee's sessions, the sessions a manager or venue manager runs."""

from datetime import timedelta

from django.db.models import Q, prefetch_related_objects
from django.utils import timezone

from accounts.scoping import organizer_scope_q, roles_of
from attendance.models import AttendanceRecord
from enrollment.models import Enrollment
from programs.models import Program, Session, Venue
from programs.selectors import programs_managed_by, runs_programs


def sessions_today_for_trainee(*, user, today=None):
    """Today's sessions of the programs the user is enrolled in, each with `my_record`."""
    today = today or timezone.localdate()
    sessions = list(
        Session.objects.filter(
            program__enrollments__user=user,
            program__enrollments__status=Enrollment.Status.ENROLLED,
            start__date=today,
        )
        .exclude(status=Session.Status.CANCELLED)
        .select_related("program", "venue")
        .order_by("start")
    )
    records = {
        r.session_id: r
        for r in AttendanceRecord.objects.filter(user=user, session__in=[s.pk for s in sessions])
    }
    for s in sessions:
        s.my_record = records.get(s.pk)
    return sessions


def manageable_sessions_q(user) -> Q:
    """Sessions whose attendance this user runs: program staff, organizers in scope, admins,
    and managers of any venue the session is held in."""
    if roles_of(user).is_admin:
        return Q()
    q = Q(program__staff__user=user) | Q(venue__managers=user) | Q(branch_venues__managers=user)
    if roles_of(user).is_organizer:
        q |= Q(program__in=Program.objects.filter(organizer_scope_q(user)))
    return q


def _with_screens(user, sessions: list) -> list:
    """Put on each session `screens`: the venues whose check-in screen `user` may open (all of
    them for those who run the program, their own for venue managers), main venue first, so no
    page links a screen its reader would get a 403 for. 3 queries whatever the number of
    sessions (branch venues, managed venues, managed programs)."""
    if not sessions:
        return sessions
    prefetch_related_objects(sessions, "branch_venues")
    own_venues = set(Venue.objects.filter(managers=user).values_list("pk", flat=True))
    program_ids = {s.program_id for s in sessions}
    runs = set()
    if runs_programs(user=user):
        runs = set(
            programs_managed_by(user=user).filter(pk__in=program_ids).values_list("pk", flat=True)
        )
    for s in sessions:
        venues = ([s.venue] if s.venue_id else []) + sorted(
            (v for v in s.branch_venues.all() if v.pk != s.venue_id), key=lambda v: v.name
        )
        s.runs_program = s.program_id in runs
        s.screens = [v for v in venues if s.runs_program or v.pk in own_venues]
        s.own_venues = [v for v in venues if v.pk in own_venues]
    return sessions


def sessions_today_to_manage(*, user, today=None, limit=30):
    """Today's sessions whose attendance the user runs, with `screens` (see _with_screens)."""
    today = today or timezone.localdate()
    ids = (
        Session.objects.filter(manageable_sessions_q(user), start__date=today)
        .values("pk")
        .distinct()
    )
    sessions = list(
        Session.objects.filter(pk__in=ids)
        .exclude(status=Session.Status.CANCELLED)
        .select_related("program", "venue")
        .order_by("start")[:limit]
    )
    return _with_screens(user, sessions)


VENUE_DAYS = 28


def sessions_at_my_venues(*, user, today=None, days=VENUE_DAYS, limit=50):
    """A venue manager's schedule: the sessions held (as main or branch venue) at the venues
    they manage, today and the next `days` days, with `screens` and `own_venues`."""
    today = today or timezone.localdate()
    ids = (
        Session.objects.filter(
            Q(venue__managers=user) | Q(branch_venues__managers=user),
            start__date__gte=today,
            start__date__lte=today + timedelta(days=days),
        )
        .values("pk")
        .distinct()
    )
    sessions = list(
        Session.objects.filter(pk__in=ids)
        .exclude(status=Session.Status.CANCELLED)
        .select_related("program", "venue")
        .order_by("start")[:limit]
    )
    return _with_screens(user, sessions)


def my_programs(*, user):
    return Program.objects.filter(
        enrollments__user=user, enrollments__status=Enrollment.Status.ENROLLED
    ).order_by("-start_date")
