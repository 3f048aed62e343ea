"""Reads of the programs app, with their scoping and their joins. Other apps may call
`program_list_for_user`, `programs_managed_by` and `runs_programs`."""

import datetime as dt

from django.db.models import Count, Max, Prefetch, Q, Sum
from django.http import Http404
from django.utils import timezone

from accounts.scoping import organizer_scope_q, roles_of
from programs import hooks
from programs.access import jurisdiction_path
from programs.models import CalendarFeed, Lecturer, Program, ProgramStaff, Session, Venue
from programs.recurrence import at_local


def _enrolled_program_ids(user):
    """Programs the user is enrolled in, through programs' reverse relation (no import of
    enrollment: imports run one way)."""
    return Program.objects.filter(
        enrollments__user=user, enrollments__status=hooks.ENROLLED
    ).values("pk")


def programs_managed_by(*, user):
    """Programs the user may run: all for admins, their units' subtree for organizers, and the
    programs where they are class manager or assistant."""
    if not user.is_authenticated:
        return Program.objects.none()
    roles = roles_of(user)
    if roles.is_admin:
        return Program.objects.all()
    q = Q(pk__in=ProgramStaff.objects.filter(user=user).values("program_id"))
    if roles.is_organizer:
        q |= organizer_scope_q(user)
    return Program.objects.filter(q)


def runs_programs(*, user) -> bool:
    """Whether `programs_managed_by(user=user)` can hold anything: admins, organizers and the
    staff (班主任, 跟班管理员) of any program. Cached on the user for the request (the menu and
    the home panels of several apps ask)."""
    if not user.is_authenticated:
        return False
    cached = getattr(user, "_lectern_runs_programs", None)
    if cached is None:
        roles = roles_of(user)
        cached = (
            roles.is_admin or roles.is_organizer or ProgramStaff.objects.filter(user=user).exists()
        )
        user._lectern_runs_programs = cached
    return cached


def program_list_for_user(*, user, status: str | None = None, search: str = ""):
    """Programs the user runs or takes part in (as trainee, lecturer or venue manager), with what
    a list shows, newest first."""
    if not user.is_authenticated:
        return Program.objects.none()
    roles = roles_of(user)
    if roles.is_admin:
        qs = Program.objects.all()
    else:
        q = Q(pk__in=ProgramStaff.objects.filter(user=user).values("program_id"))
        q |= Q(pk__in=_enrolled_program_ids(user))
        q |= Q(pk__in=Session.objects.filter(lecturers__user=user).values("program_id"))
        q |= Q(
            pk__in=Session.objects.filter(
                Q(venue__managers=user) | Q(branch_venues__managers=user)
            ).values("program_id")
        )
        if roles.is_organizer:
            q |= organizer_scope_q(user)
        qs = Program.objects.filter(q)
    if status:
        qs = qs.filter(status=status)
    if search:
        qs = qs.filter(Q(title__icontains=search) | Q(code__icontains=search))
    return (
        qs.select_related("organizing_unit", "family")
        .annotate(
            session_count=Count("sessions", filter=~Q(sessions__status=Session.Status.CANCELLED))
        )
        .order_by("-start_date", "code")
    )


def sessions_with_details(qs):
    return qs.select_related("program", "venue").prefetch_related(
        Prefetch("branch_venues", queryset=Venue.objects.order_by("name")),
        Prefetch("lecturers", queryset=Lecturer.objects.order_by("name")),
    )


def timetable_sessions(*, program: Program, first: dt.date, last: dt.date) -> list[Session]:
    """The program's sessions on days first..last (inclusive), local time."""
    qs = program.sessions.filter(
        start__gte=at_local(first, dt.time.min),
        start__lt=at_local(last + dt.timedelta(days=1), dt.time.min),
    )
    return list(sessions_with_details(qs).order_by("start", "id"))


def program_sessions(*, program: Program) -> list[Session]:
    return list(sessions_with_details(program.sessions.all()).order_by("start", "id"))


def schedule_for_user(*, user, first: dt.date, last: dt.date) -> list[Session]:
    """Sessions the user attends (enrolled) or teaches, in days first..last, published programs
    and later (drafts are not anyone's schedule yet)."""
    qs = (
        Session.objects.filter(
            Q(program__in=_enrolled_program_ids(user)) | Q(lecturers__user=user),
            start__gte=at_local(first, dt.time.min),
            start__lt=at_local(last + dt.timedelta(days=1), dt.time.min),
        )
        .exclude(program__status=Program.Status.DRAFT)
        .distinct()
    )
    return list(sessions_with_details(qs).order_by("start", "id"))


def upcoming_sessions_for(*, user, limit: int = 5) -> list[Session]:
    now = timezone.now()
    qs = (
        Session.objects.filter(
            Q(program__in=_enrolled_program_ids(user)) | Q(lecturers__user=user), end__gte=now
        )
        .exclude(program__status=Program.Status.DRAFT)
        .exclude(status=Session.Status.CANCELLED)
        .distinct()
    )
    return list(sessions_with_details(qs).order_by("start", "id")[:limit])


def _feed_qs(feed: CalendarFeed):
    if feed.kind == CalendarFeed.Kind.LECTURER:
        qs = Session.objects.filter(lecturers=feed.lecturer_id)
    else:
        qs = Session.objects.filter(program__in=_enrolled_program_ids(feed.user_id))
    return qs.exclude(program__status=Program.Status.DRAFT)


def feed_sessions(*, feed: CalendarFeed) -> list[Session]:
    """Everything a feed carries, cancelled sessions included so calendars drop them."""
    return list(sessions_with_details(_feed_qs(feed)).order_by("start", "id"))


def feed_fingerprint(*, feed: CalendarFeed, sessions: list[Session] | None = None) -> tuple:
    """What a feed's content changes with (how many sessions, their and their programs' last
    change, their sequences): from `sessions` already loaded, else one aggregate query. A
    calendar client's conditional poll is answered from it without loading the sessions."""
    if sessions is not None:
        return (
            len(sessions),
            max((s.updated_at for s in sessions), default=None),
            max((s.program.updated_at for s in sessions), default=None),
            sum(s.sequence for s in sessions),
        )
    found = _feed_qs(feed).aggregate(
        n=Count("id"),
        last=Max("updated_at"),
        program=Max("program__updated_at"),
        seq=Sum("sequence"),
    )
    return (found["n"], found["last"], found["program"], found["seq"] or 0)


def feed_by_token(*, token: str) -> CalendarFeed:
    feed = CalendarFeed.objects.select_related("user", "lecturer").filter(token=token).first()
    if feed is None:
        raise Http404
    return feed


# --- venues and lecturers ------------------------------------------------------------------


def venues_for_user(*, user):
    """Venues an organizer keeps: those of units in their subtree (all for admins)."""
    return Venue.objects.filter(organizer_scope_q(user, "unit")).select_related("unit")


def venue_get_for_edit(*, user, pk) -> Venue:
    try:
        return venues_for_user(user=user).get(pk=pk)
    except (Venue.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def venue_choices_for_program(*, program: Program):
    """Venues a program may book: in its jurisdiction (its city with the city's counties) and in
    the units above it (the provincial party school, …)."""
    area = jurisdiction_path(program.organizing_unit)
    above = [p for p in area.split(".") if p]
    ancestors = [".".join(above[:i]) + "." for i in range(1, len(above))]
    return (
        Venue.objects.filter(Q(unit__path__startswith=area) | Q(unit__path__in=ancestors))
        .select_related("unit")
        .order_by("unit__path", "name")
    )


def lecturers_for_user(*, user, search: str = ""):
    """The lecturer directory is shared: every organizer may pick any lecturer."""
    qs = Lecturer.objects.select_related("user", "unit")
    if search:
        qs = qs.filter(Q(name__icontains=search) | Q(affiliation__icontains=search))
    return qs.order_by("name")


def can_edit_lecturer(user, lecturer: Lecturer) -> bool:
    roles = roles_of(user)
    if roles.is_admin:
        return True
    if not roles.is_organizer:
        return False
    return lecturer.unit_id is None or any(
        lecturer.unit.path.startswith(p) for p in roles.organizer_paths
    )


def lecturer_get_for_edit(*, user, pk) -> Lecturer:
    try:
        lecturer = Lecturer.objects.select_related("user", "unit").get(pk=pk)
    except (Lecturer.DoesNotExist, ValueError, TypeError):
        raise Http404 from None
    if not can_edit_lecturer(user, lecturer):
        raise Http404
    return lecturer


def units_for_choice(*, user):
    from accounts.scoping import units_organized_by

    return units_organized_by(user).order_by("path")


def families_for_user(*, user):
    from programs.models import ProgramFamily

    return ProgramFamily.objects.filter(organizer_scope_q(user)).select_related("organizing_unit")
