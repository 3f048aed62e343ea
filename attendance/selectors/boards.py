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
    missing_count: int = 0
    checked_in: int = 0
    late: int = 0
    on_leave: int = 0
    missing: list = field(default_factory=list)
    flagged: list = field(default_factory=list)
    # checked in here though assigned to another venue (counted here)
    visitors: list = field(default_factory=list)
    # assigned here but checked in at another venue (counted there, named here)
    elsewhere: list = field(default_factory=list)
    visitors_count: int = 0
    flagged_count: int = 0
    elsewhere_count: int = 0


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
        return sum(v.missing_count for v in self.venues)

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
    board, boards = _empty_board(session, venues, scope, rows)
    for row in rows:
        rec = row.record
        _count(
            board,
            boards,
            _Group(
                row.expected_venue_id,
                rec.venue_id if rec else None,
                rec.status if rec else "",
                row.checked_in,
                bool(rec and rec.flagged),
                1,
            ),
            row,
        )
    return board


def _empty_board(session, venues, scope, rows):
    main_id = session.venue_id
    boards = {v.pk: VenueBoard(venue=v, is_main=v.pk == main_id) for v in venues}
    return Board(session=session, venues=list(boards.values()), rows=rows, scope=scope), boards


@dataclass(slots=True)
class _Group:
    """Trainees alike on the board: assigned venue, record's venue, status, checked in, flagged
    (`n` of them; one when the board is built from rows)."""

    expected_venue_id: int | None
    record_venue_id: int | None
    status: str
    checked_in: bool
    flagged: bool
    n: int

    @property
    def counted_venue_id(self):
        if self.checked_in and self.record_venue_id:
            return self.record_venue_id
        return self.expected_venue_id


def _count(board, boards, g: _Group, row=None, *, counts=True, cap=None) -> None:
    """The board's one counting rule, for one trainee (`row`, named in the lists) or a group of
    `g.n` alike (counted only). With counts=False only the names are placed, at most `cap` in
    each list."""
    n = g.n if counts else 0

    def name(names: list) -> None:
        if row is not None and (cap is None or len(names) < cap):
            names.append(row)

    where = boards.get(g.counted_venue_id)
    home = boards.get(g.expected_venue_id)
    if home is not None and where is not home and g.checked_in:
        home.elsewhere_count += n
        name(home.elsewhere)
    if where is None:
        return  # counted at a venue outside the scope
    board.expected += n
    where.expected += n
    if g.checked_in:
        board.checked_in += n
        where.checked_in += n
        if where is not home:
            where.visitors_count += n
            name(where.visitors)
        if g.status in LATE_STATUSES:
            board.late += n
            where.late += n
        if g.flagged:
            board.flagged += n
            where.flagged_count += n
            name(where.flagged)
    elif g.status == AttendanceStatus.ON_LEAVE:
        board.on_leave += n
        where.on_leave += n
    else:
        where.missing_count += n
        name(where.missing)


def session_board_counts(
    *,
    session: Session,
    venues: list[Venue] | None = None,
    scope: set | None = None,
    names: int = 0,
) -> Board:
    """The same figures as session_board, counted in SQL: one grouped query (per unit, record
    venue, status, flag) whatever the size of the class, for the polled board and screens.
    `names` > 0 also names, per venue, the first `names` missing, flagged, visiting and
    checked-in-elsewhere trainees (2 more queries). `board.rows` stays empty.
    1 query for counts only (with the venues given), 3 with names."""
    from django.db.models import BooleanField, Case, Count, FilteredRelation, Value, When

    venues = session_venues(session) if venues is None else venues
    main_id = session.venue_id
    enrolled = Enrollment.objects.filter(
        program_id=session.program_id, status=Enrollment.Status.ENROLLED
    ).annotate(
        rec=FilteredRelation("user__attendance", condition=Q(user__attendance__session=session))
    )
    groups = (
        enrolled.order_by()
        .annotate(
            checked=Case(
                When(rec__checkin_at__isnull=False, then=Value(True)),
                default=Value(False),
                output_field=BooleanField(),
            )
        )
        .values_list("unit__path", "rec__venue_id", "rec__status", "checked", "rec__flagged")
        .annotate(n=Count("id"))
    )
    seats: dict = {}
    in_scope = venues if scope is None else [v for v in venues if v.pk in scope]
    board, boards = _empty_board(session, in_scope, scope, [])
    for path, rec_venue, status, checked, flagged, n in groups:
        path = path or ""
        if path not in seats:
            seats[path] = expected_venue(path, venues, main_id)
        g = _Group(seats[path], rec_venue, status or "", bool(checked), bool(flagged), n)
        if scope is not None and not (
            g.expected_venue_id in scope or (g.checked_in and rec_venue in scope)
        ):
            continue
        _count(board, boards, g)
    if names:
        _name_rows(board, boards, enrolled, seats, scope, names)
    return board


def _name_rows(board, boards, enrolled, seats, scope, limit) -> None:
    """The names the board lists: the first `limit` missing per venue (one window query) and
    the checked-in trainees who are flagged or not at their assigned venue (at most as many as
    the lists can show, flagged first; the counts come from the grouped query)."""
    from django.db.models import Case, IntegerField, Value, When, Window
    from django.db.models.functions import RowNumber

    main_id = board.session.venue_id
    by_venue: dict = {}
    for path, venue_id in seats.items():
        by_venue.setdefault(venue_id, []).append(path)

    def unit_q(paths):
        q = Q(unit__path__in=[p for p in paths if p])
        return q | Q(unit__isnull=True) if "" in paths else q

    seat = Case(
        *[When(unit_q(paths), then=Value(v)) for v, paths in by_venue.items() if v != main_id],
        default=Value(main_id),
        output_field=IntegerField(),
    )
    fields = ("user_id", "user__full_name", "unit__name", "seat")
    missing = (
        enrolled.filter(Q(rec__id__isnull=True) | Q(rec__checkin_at__isnull=True))
        .exclude(rec__status=AttendanceStatus.ON_LEAVE)
        .annotate(
            seat=seat,
            nth=Window(RowNumber(), partition_by=[seat], order_by=["user__full_name", "user_id"]),
        )
        .filter(nth__lte=limit)
        .order_by("user__full_name", "user_id")
        .values_list(*fields)
    )
    mismatched = Q()
    for v, paths in by_venue.items():
        mismatched |= unit_q(paths) & ~Q(rec__venue_id=v)
    present = (
        enrolled.filter(rec__checkin_at__isnull=False)
        .filter(Q(rec__flagged=True) | (Q(rec__venue_id__isnull=False) & mismatched))
        .annotate(seat=seat)
        # flagged first: when thousands sit at the wrong venue, the proxy suspects stay named
        .order_by("-rec__flagged", "user__full_name", "user_id")
        .values_list(*fields, *(f"rec__{f}" for f in _RECORD_FIELDS))[: 3 * limit * len(boards)]
    )
    for user_id, name, unit, seat_id in missing:
        if boards.get(seat_id) is not None:
            boards[seat_id].missing.append(Row(user_id, name, unit or "", seat_id))
    for user_id, name, unit, seat_id, *rec in present:
        record = RecordView(*rec)
        row = Row(user_id, name, unit or "", seat_id, record)
        if scope is not None and not row.in_venues(scope):
            continue
        g = _Group(seat_id, record.venue_id, record.status, True, record.flagged, 1)
        _count(board, boards, g, row, counts=False, cap=limit)


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
