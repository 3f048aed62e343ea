"""Reads for attendance pages. Each function issues a fixed number of queries whatever the size
of the class (the board is polled every few seconds from several screens)."""

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db.models import Count, Prefetch, Q, prefetch_related_objects
from django.http import Http404
from django.utils import timezone

from accounts.scoping import organizer_scope_q, roles_of
from attendance.models import AttendanceRecord, AttendanceStatus, LeaveRequest
from attendance.rules import ATTENDED, Tally, credited_statuses, rate_percent
from enrollment.models import Enrollment
from programs.access import Access, can_manage_program, jurisdiction_path
from programs.models import Program, Session, Venue
from programs.selectors import programs_managed_by, runs_programs

LATE_STATUSES = (AttendanceStatus.LATE, AttendanceStatus.LATE_LEFT_EARLY)


@dataclass
class Row:
    user_id: int
    name: str
    unit: str
    expected_venue_id: int | None
    record: AttendanceRecord | None = None

    @property
    def checked_in(self) -> bool:
        return self.record is not None and self.record.checkin_at is not None

    @property
    def on_leave(self) -> bool:
        return (
            self.record is not None
            and self.record.checkin_at is None
            and self.record.status == AttendanceStatus.ON_LEAVE
        )

    @property
    def counted_venue_id(self) -> int | None:
        """Where the trainee counts on the board (see session_board): where they checked in, or
        their assigned venue while they have not."""
        if self.checked_in and self.record.venue_id:
            return self.record.venue_id
        return self.expected_venue_id

    def in_venues(self, venue_ids) -> bool:
        """Seated at (assigned to) or checked in at one of these venues."""
        rec_venue = self.record.venue_id if self.checked_in else None
        return self.expected_venue_id in venue_ids or rec_venue in venue_ids


@dataclass
class VenueBoard:
    """One venue's figures. They always add up: expected = checked_in + on_leave + missing."""

    venue: Venue
    is_main: bool
    expected: int = 0
    checked_in: int = 0
    late: int = 0
    on_leave: int = 0
    missing: list = field(default_factory=list)
    flagged: list = field(default_factory=list)
    # checked in here though assigned to another venue (counted here)
    visitors: list = field(default_factory=list)
    # assigned here but checked in at another venue (counted there, named here)
    elsewhere: list = field(default_factory=list)


@dataclass
class Board:
    session: Session
    venues: list
    rows: list
    expected: int = 0
    checked_in: int = 0
    late: int = 0
    on_leave: int = 0
    flagged: int = 0
    # None: the whole session; else the venue ids the board is limited to (a venue manager's)
    scope: set | None = None

    @property
    def missing(self) -> int:
        return sum(len(v.missing) for v in self.venues)

    def venue(self, venue_id) -> VenueBoard | None:
        return next((v for v in self.venues if v.venue.pk == venue_id), None)


def session_venues(session: Session) -> list[Venue]:
    """Main venue first, then branch venues, each with its unit (1 query)."""
    venues = list(
        Venue.objects.filter(Q(pk=session.venue_id) | Q(branch_sessions=session))
        .select_related("unit")
        .distinct()
        .order_by("name")
    )
    venues.sort(key=lambda v: v.pk != session.venue_id)
    return venues


def expected_venue(unit_path: str, venues: list[Venue], main_id) -> int | None:
    """Trainees are expected at the branch venue of their own area (the deepest branch whose
    area, e.g. the district of a district party school, holds their unit), others at the main."""
    best, best_len = None, -1
    for v in venues:
        area = jurisdiction_path(v.unit)
        if v.pk != main_id and unit_path.startswith(area) and len(area) > best_len:
            best, best_len = v, len(area)
    return best.pk if best else main_id


def session_scope(session: Session) -> set | None:
    """The venues whose trainees the viewer of a session (from programs.access.session_get) may
    see and mark: None for those who run the program (the whole session), else the venues they
    manage."""
    if getattr(session, "program_access", Access.MANAGE) >= Access.MANAGE:
        return None
    return set(session.managed_venue_ids)


def session_rows(*, session: Session, venues: list[Venue]) -> list[Row]:
    """Every enrolled trainee with their assigned venue and record (2 queries)."""
    enrollments = (
        Enrollment.objects.filter(program_id=session.program_id, status=Enrollment.Status.ENROLLED)
        .select_related("user", "unit")
        .only("user__id", "user__full_name", "unit__name", "unit__path")
        .order_by("user__full_name", "user_id")
    )
    records = {
        r.user_id: r
        for r in AttendanceRecord.objects.filter(session=session).only(
            "id",
            "user_id",
            "venue_id",
            "status",
            "checkin_at",
            "checkout_at",
            "flagged",
            "source",
            "session_id",
        )
    }
    main_id = session.venue_id
    return [
        Row(
            user_id=e.user_id,
            name=e.user.full_name,
            unit=e.unit.name if e.unit_id else "",
            expected_venue_id=expected_venue(e.unit.path if e.unit_id else "", venues, main_id),
            record=records.get(e.user_id),
        )
        for e in enrollments
    ]


def session_board(
    *, session: Session, venues: list[Venue] | None = None, scope: set | None = None
) -> Board:
    """Per venue: expected, checked in, late, on leave, who is missing, who is flagged. 3
    queries (2 when the caller already loaded the session's venues).

    How a trainee who scans at a venue other than their assigned one is counted: at the venue
    where they checked in, because that is where they are. They are expected there (and no
    longer at their assigned venue, which names them under "checked in elsewhere"), so each
    venue's figures add up: expected = checked in + on leave + missing, and the venues' figures
    add up to the session's. Trainees without a check-in count at their assigned venue.

    `scope` (a venue manager's venues, see session_scope) limits the board to those venues and
    the rows to the trainees seated or checked in there; None is the whole session.
    """
    venues = session_venues(session) if venues is None else venues
    rows = session_rows(session=session, venues=venues)
    if scope is not None:
        venues = [v for v in venues if v.pk in scope]
        rows = [r for r in rows if r.in_venues(scope)]
    main_id = session.venue_id
    boards = {v.pk: VenueBoard(venue=v, is_main=v.pk == main_id) for v in venues}
    board = Board(session=session, venues=list(boards.values()), rows=rows, scope=scope)
    for row in rows:
        rec = row.record
        where = boards.get(row.counted_venue_id)
        home = boards.get(row.expected_venue_id)
        if home is not None and where is not home and row.checked_in:
            home.elsewhere.append(row)
        if where is None:
            continue  # counted at a venue outside the scope
        board.expected += 1
        where.expected += 1
        if row.checked_in:
            board.checked_in += 1
            where.checked_in += 1
            if where is not home:
                where.visitors.append(row)
            if rec.status in LATE_STATUSES:
                board.late += 1
                where.late += 1
            if rec.flagged:
                board.flagged += 1
                where.flagged.append(row)
        elif row.on_leave:
            board.on_leave += 1
            where.on_leave += 1
        else:
            where.missing.append(row)
    return board


def trainees_in_venues(*, session: Session, venue_ids) -> set[int]:
    """The enrolled trainees seated at (assigned to) or checked in at these venues (3 queries)."""
    venue_ids = set(venue_ids)
    rows = session_rows(session=session, venues=session_venues(session))
    return {r.user_id for r in rows if r.in_venues(venue_ids)}


def record_get_for_user(*, user, pk) -> AttendanceRecord:
    """A record for its trainee or for whoever may mark its session; 404 for everyone else."""
    from programs.access import session_can_mark

    try:
        record = AttendanceRecord.objects.select_related(
            "session__program__organizing_unit", "session__venue", "user", "venue"
        ).get(pk=pk)
    except (AttendanceRecord.DoesNotExist, ValueError, TypeError):
        raise Http404 from None
    if record.user_id == user.pk or session_can_mark(user, record.session):
        return record
    raise Http404


@dataclass
class RateTallies:
    """Tallies of many trainees in many programs (attendance.rules: the one rate rule)."""

    ended: dict  # {program_id: sessions ended, not cancelled}: due for everyone
    tallies: dict  # {(program_id, user_id): Tally} of trainees with a due record

    def get(self, program_id, user_id) -> Tally:
        found = self.tallies.get((program_id, user_id))
        return found if found is not None else Tally(expected=self.ended.get(program_id, 0))


def rate_tallies(*, programs, user_ids=None, now: datetime | None = None) -> RateTallies:
    """Every trainee's rate in these programs by attendance.rules, in 2 queries whatever the
    number of programs and trainees. `programs` are Program rows (their leave policy is read)."""
    now = now or timezone.now()
    leave_counts = {p.pk: p.leave_counts_as_attended for p in programs}
    ended = dict(
        Session.objects.filter(program_id__in=list(leave_counts), start__lte=now, end__lte=now)
        .exclude(status=Session.Status.CANCELLED)
        .values_list("program_id")
        .annotate(n=Count("id"))
        .values_list("program_id", "n")
        .order_by()
    )
    records = AttendanceRecord.objects.filter(
        session__program_id__in=list(leave_counts), session__start__lte=now
    ).exclude(session__status=Session.Status.CANCELLED)
    if user_ids is not None:
        records = records.filter(user_id__in=list(user_ids))
    parts: dict = {}
    for program_id, user_id, status, n, running in (
        records.values_list("session__program_id", "user_id", "status")
        .annotate(n=Count("id"), running=Count("id", filter=Q(session__end__gt=now)))
        .order_by()
    ):
        part = parts.setdefault((program_id, user_id), [0, 0, {}])
        credited = credited_statuses(leave_counts_as_attended=leave_counts[program_id])
        part[0] += n if status in credited else 0
        part[1] += running
        part[2][status] = n
    tallies = {
        key: Tally(attended=attended, expected=ended.get(key[0], 0) + running, counts=counts)
        for key, (attended, running, counts) in parts.items()
    }
    return RateTallies(ended=ended, tallies=tallies)


def rates_for(*, program: Program, user_ids, now=None) -> dict:
    """{user_id: Tally} of these trainees in one program (2 queries)."""
    found = rate_tallies(programs=[program], user_ids=user_ids, now=now)
    return {uid: found.get(program.pk, uid) for uid in user_ids}


@dataclass
class RateRow:
    user_id: int
    name: str
    unit: str
    tally: Tally
    below: bool

    @property
    def rate(self) -> float | None:
        return self.tally.rate

    @property
    def counts(self) -> dict:
        return self.tally.counts

    @property
    def attended(self) -> int:
        return self.tally.attended

    @property
    def expected(self) -> int:
        return self.tally.expected

    @property
    def unexcused(self) -> int:
        return self.tally.unexcused


def program_rates(*, program: Program, now=None) -> tuple[list[RateRow], float | None]:
    """Per-trainee rates and the program's overall rate, over enrolled trainees (3 queries)."""
    found = rate_tallies(programs=[program], now=now)
    rows = []
    attended = expected = 0
    for e in (
        Enrollment.objects.filter(program=program, status=Enrollment.Status.ENROLLED)
        .select_related("user", "unit")
        .order_by("user__full_name", "user_id")
    ):
        tally = found.get(program.pk, e.user_id)
        attended += tally.attended
        expected += tally.expected
        rows.append(
            RateRow(
                user_id=e.user_id,
                name=e.user.full_name,
                unit=e.unit.name if e.unit_id else "",
                tally=tally,
                below=tally.below(program.attendance_warning_rate),
            )
        )
    return rows, rate_percent(attended, expected)


def my_rates(*, user, programs, now=None) -> list[dict]:
    """The trainee's own rate in each of these programs (2 queries)."""
    found = rate_tallies(programs=programs, user_ids=[user.pk], now=now)
    rows = []
    for program in programs:
        tally = found.get(program.pk, user.pk)
        rows.append(
            {
                "program": program,
                "tally": tally,
                "rate": tally.rate,
                "below": tally.below(program.attendance_warning_rate),
            }
        )
    return rows


def program_sessions_with_counts(*, program: Program):
    """The program's sessions with counts of records by kind (1 query)."""
    present = Q(attendance__status__in=ATTENDED)
    return (
        Session.objects.filter(program=program)
        .select_related("venue")
        .annotate(
            n_in=Count("attendance", filter=present),
            n_late=Count("attendance", filter=Q(attendance__status__in=LATE_STATUSES)),
            n_absent=Count("attendance", filter=Q(attendance__status=AttendanceStatus.ABSENT)),
            n_leave=Count("attendance", filter=Q(attendance__status=AttendanceStatus.ON_LEAVE)),
            n_flagged=Count("attendance", filter=Q(attendance__flagged=True)),
        )
        .order_by("start")
    )


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


def my_programs(*, user):
    return Program.objects.filter(
        enrollments__user=user, enrollments__status=Enrollment.Status.ENROLLED
    ).order_by("-start_date")


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


def _scalar(qs, expression):
    """A correlated scalar subquery of one aggregate (no GROUP BY)."""
    from django.db.models import Subquery

    return Subquery(qs.order_by().values(v=expression)[:1])


def poll_fingerprint(session: Session) -> tuple:
    """What a live board or check-in screen shows of a session, in one cheap query: the records'
    count and latest change, the enrolments' count and latest change, and the branch venues.
    Unchanged → the poll answers 304 without building the board (issue 18 item 2)."""
    from django.db.models import F, Func, OuterRef

    records = AttendanceRecord.objects.filter(session_id=OuterRef("pk"))
    enrolled = Enrollment.objects.filter(program_id=OuterRef("program_id"))
    branches = Session.branch_venues.through.objects.filter(session_id=OuterRef("pk"))
    row = (
        Session.objects.filter(pk=session.pk)
        .annotate(
            rn=_scalar(records, Func(F("id"), function="COUNT")),
            rm=_scalar(records, Func(F("updated_at"), function="MAX")),
            en=_scalar(enrolled, Func(F("id"), function="COUNT")),
            em=_scalar(enrolled, Func(F("updated_at"), function="MAX")),
            bv=_scalar(branches, Func(F("venue_id"), function="SUM")),
        )
        .values_list("updated_at", "rn", "rm", "en", "em", "bv")
        .first()
    )
    return row or ()
