"""A session's roster and live board (per venue: expected, checked in, late, on leave, missing,
flagged) and the poll's fingerprint. A fixed number of queries whatever the size of the class
(the board is polled every few seconds from several screens)."""

from dataclasses import dataclass, field
from datetime import datetime

from django.db.models import Q
from django.http import Http404

from attendance.models import AttendanceRecord, AttendanceStatus
from enrollment.models import Enrollment
from programs.access import Access, jurisdiction_path
from programs.models import Session, Venue

LATE_STATUSES = (AttendanceStatus.LATE, AttendanceStatus.LATE_LEFT_EARLY)


@dataclass(slots=True)
class Row:
    user_id: int
    name: str
    unit: str
    expected_venue_id: int | None
    record: "RecordView | None" = None

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


@dataclass(slots=True)
class RecordView:
    """What the roster and the board read of a record. Built from one values_list, not model
    instances: the board of a 2,000-trainee session is rebuilt after every check-in while 20
    screens poll it (issue 18 item 2), and instantiating 2,000 models was most of its cost."""

    id: int
    user_id: int
    venue_id: int | None
    status: str
    checkin_at: datetime | None
    checkout_at: datetime | None
    flagged: bool
    source: str

    @property
    def pk(self) -> int:
        return self.id

    def get_status_display(self) -> str:
        return AttendanceStatus(self.status).label


_RECORD_FIELDS = tuple(f for f in RecordView.__slots__)


def session_rows(*, session: Session, venues: list[Venue]) -> list[Row]:
    """Every enrolled trainee with their assigned venue and record (2 queries). Plain values, no
    model instances; a trainee's venue is worked out once per unit, not once per trainee."""
    enrollments = (
        Enrollment.objects.filter(program_id=session.program_id, status=Enrollment.Status.ENROLLED)
        .order_by("user__full_name", "user_id")
        .values_list("user_id", "user__full_name", "unit__name", "unit__path")
    )
    records = {
        values[1]: RecordView(*values)
        for values in AttendanceRecord.objects.filter(session=session)
        .order_by()
        .values_list(*_RECORD_FIELDS)
    }
    main_id = session.venue_id
    seats: dict = {}
    rows = []
    for user_id, name, unit_name, unit_path in enrollments:
        path = unit_path or ""
        seat = seats.get(path, 0)
        if seat == 0:
            seat = seats[path] = expected_venue(path, venues, main_id)
        rows.append(Row(user_id, name, unit_name or "", seat, records.get(user_id)))
    return rows


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
