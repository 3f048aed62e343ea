"""The one credit-hours rule of the training record: for a cadre and a year (and the five-year
window ending with it), hours by source, the requirement that applies, progress and what is
missing. Every page of this app (the record, the compliance list, the promotion check) goes
through `evaluate`; the hours of Lectern sessions come from evaluation's credit rule.

Precision: hours are summed unrounded and each figure shown is rounded once, half up, to 0.1
(core.numbers.round_hours); what is missing is computed from the hours as shown.

The policy (requirements, conversions, caps) is data: `PolicyBook` reads the rows once and picks,
for a cadre's unit and a date, the row in force (effective on or before the date) whose unit is
the nearest ancestor of the cadre's unit (a row without a unit applies everywhere).
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.db.models import Sum
from django.db.models.functions import ExtractYear
from django.utils import timezone

from attendance.models import AttendanceRecord
from core.numbers import round_hours
from credits.models import Conversion, CreditEntry, Requirement, SourceKind
from evaluation.selectors.credits import _counts_for_credit, _credit_expr
from programs.models import Program, Session

WINDOW_YEARS = 5
ZERO = Decimal(0)


@dataclass(frozen=True)
class Fact:
    """Hours of one source kind counted in one year (unrounded)."""

    kind: str
    year: int
    hours: Decimal


@dataclass(frozen=True)
class Need:
    annual_hours: Decimal | None = None
    five_year_hours: Decimal | None = None
    online_hours: Decimal = ZERO
    note: str = ""

    @property
    def any(self) -> bool:
        return self.annual_hours is not None or self.five_year_hours is not None


@dataclass
class Progress:
    year: int
    need: Need
    by_kind: dict = field(default_factory=dict)  # kind -> counted hours in the year (rounded)
    over_cap: dict = field(default_factory=dict)  # kind -> hours above the year's cap (rounded)
    year_total: Decimal = ZERO
    online_total: Decimal = ZERO
    window_total: Decimal = ZERO
    window_start: int = 0
    annual_missing: Decimal | None = None
    window_missing: Decimal | None = None
    online_missing: Decimal | None = None

    @property
    def met(self) -> bool:
        return not any((self.annual_missing, self.window_missing, self.online_missing))

    @property
    def reasons(self) -> list[tuple[str, Decimal, Decimal]]:
        """(what, required, done) for every requirement not met."""
        out = []
        if self.annual_missing:
            out.append(("annual", self.need.annual_hours, self.year_total))
        if self.window_missing:
            out.append(("window", self.need.five_year_hours, self.window_total))
        if self.online_missing:
            out.append(("online", self.need.online_hours, self.online_total))
        return out


def _counted_by_kind(facts, year: int, caps: dict) -> tuple[dict, dict]:
    """Unrounded hours per kind in `year`, each kind capped; and the excess."""
    raw = defaultdict(lambda: ZERO)
    for f in facts:
        if f.year == year:
            raw[f.kind] += f.hours
    counted, over = {}, {}
    for kind, hours in raw.items():
        cap = caps.get(kind)
        if cap is not None and hours > cap:
            counted[kind], over[kind] = cap, hours - cap
        else:
            counted[kind] = hours
    return counted, over


def _missing(required, done) -> Decimal | None:
    if required is None:
        return None
    return max(ZERO, round_hours(required) - done)


def evaluate(*, facts, year: int, need: Need, caps_by_year) -> Progress:
    """The progress of one cadre. `facts`: their Fact rows (any years); `caps_by_year(y)`:
    the category caps in force for year y (kind -> hours)."""
    counted, over = _counted_by_kind(facts, year, caps_by_year(year))
    window_start = year - WINDOW_YEARS + 1
    window_raw = sum(
        (
            sum(_counted_by_kind(facts, y, caps_by_year(y))[0].values(), ZERO)
            for y in range(window_start, year + 1)
        ),
        ZERO,
    )
    progress = Progress(
        year=year,
        need=need,
        by_kind={k: round_hours(v) for k, v in counted.items()},
        over_cap={k: round_hours(v) for k, v in over.items()},
        year_total=round_hours(sum(counted.values(), ZERO)),
        online_total=round_hours(counted.get(SourceKind.ONLINE, ZERO)),
        window_total=round_hours(window_raw),
        window_start=window_start,
    )
    progress.annual_missing = _missing(need.annual_hours, progress.year_total)
    progress.window_missing = _missing(need.five_year_hours, progress.window_total)
    progress.online_missing = _missing(need.online_hours or None, progress.online_total)
    return progress


# --- the policy rows ------------------------------------------------------------------------


def _depth(row) -> int:
    return row.unit.depth if row.unit_id else -1


def _applies(row, unit_path: str, on: date) -> bool:
    return row.effective_from <= on and (not row.unit_id or unit_path.startswith(row.unit.path))


def _best(rows):
    return max(rows, key=lambda r: (_depth(r), r.effective_from), default=None)


class PolicyBook:
    """Every policy row, read once (two queries), answering for a unit and a date."""

    def __init__(self):
        self.requirements = list(Requirement.objects.select_related("unit"))
        self.conversions = list(Conversion.objects.select_related("unit"))

    def need(self, *, rank: str, unit_path: str, year: int) -> Need:
        on = date(year, 12, 31)
        row = _best(r for r in self.requirements if r.rank == rank and _applies(r, unit_path, on))
        if row is None:
            return Need()
        return Need(row.annual_hours, row.five_year_hours, row.online_hours, row.note)

    def value(self, kind: str, key: str, *, unit_path: str, on: date) -> Decimal | None:
        row = _best(
            r
            for r in self.conversions
            if r.kind == kind and r.key == key and _applies(r, unit_path, on)
        )
        return row.value if row else None

    def values(self, kind: str, *, unit_path: str, on: date) -> dict:
        keys = {r.key for r in self.conversions if r.kind == kind}
        found = {k: self.value(kind, k, unit_path=unit_path, on=on) for k in keys}
        return {k: v for k, v in found.items() if v is not None}

    def caps(self, *, unit_path: str, year: int) -> dict:
        return self.values(Conversion.Kind.CATEGORY_CAP, unit_path=unit_path, on=date(year, 12, 31))

    def convert(
        self,
        kind: str,
        *,
        unit_path: str,
        on: date,
        days=None,
        half_days=None,
        minutes=None,
        taught_hours=None,
        paper_level="",
    ) -> Decimal | None:
        """Hours a record is worth by the conversion rules, or None when nothing to convert
        from was given (or no rule applies)."""
        K = Conversion.Kind

        def rule(k, key=""):
            return self.value(k, key, unit_path=unit_path, on=on)

        if kind == SourceKind.TEACHING and taught_hours is not None:
            factor = rule(K.TEACHING_FACTOR)
            return None if factor is None else Decimal(taught_hours) * factor
        if kind == SourceKind.ONLINE and minutes is not None:
            tiers = self.values(K.ONLINE_TIER, unit_path=unit_path, on=on)
            fit = [(int(k), v) for k, v in tiers.items() if k.isdigit() and int(k) <= minutes]
            return max(fit)[1] if fit else ZERO
        if kind == SourceKind.PAPER and paper_level:
            return rule(K.PAPER, paper_level)
        if days is None and half_days is None:
            return None
        total = ZERO
        if days:
            per_day = rule(K.FULL_DAY)
            if per_day is None:
                return None
            total += Decimal(days) * per_day
        if half_days:
            per_half = rule(K.HALF_DAY_LECTURE)
            if per_half is None:
                return None
            total += Decimal(half_days) * per_half
        return total


# --- reading the facts ------------------------------------------------------------------------


def taught_sessions():
    """Sessions that earn their lecturers teaching hours: held (ended, not cancelled) in a
    program that was published."""
    return Session.objects.exclude(status=Session.Status.CANCELLED).filter(
        end__lte=timezone.now(),
        program__status__in=[
            Program.Status.PUBLISHED,
            Program.Status.RUNNING,
            Program.Status.COMPLETED,
            Program.Status.ARCHIVED,
        ],
    )


def facts_for(users, *, first_year: int, last_year: int, book: "PolicyBook") -> dict:
    """user id -> [Fact]: approved records by kind and year; Lectern session hours by year
    through evaluation's credit rule; and teaching hours earned from the timetable (the hours of
    each session the cadre taught as a Lectern lecturer × the teaching factor in force). Three
    queries whatever the number of people."""
    users = {u.pk: u for u in users}
    out = defaultdict(list)
    entries = (
        CreditEntry.objects.filter(
            user_id__in=list(users),
            status=CreditEntry.Status.APPROVED,
            start_date__year__gte=first_year,
            start_date__year__lte=last_year,
        )
        .annotate(y=ExtractYear("start_date"))
        .values("user_id", "kind", "y")
        .annotate(h=Sum("hours"))
        .order_by()
    )
    for row in entries:
        out[row["user_id"]].append(Fact(row["kind"], row["y"], row["h"] or ZERO))
    lectern = (
        AttendanceRecord.objects.filter(
            _counts_for_credit(user_ref="user"),
            user_id__in=list(users),
            session__start__year__gte=first_year,
            session__start__year__lte=last_year,
        )
        .annotate(y=ExtractYear("session__start"))
        .values("user_id", "y")
        .annotate(h=Sum(_credit_expr()))
        .order_by()
    )
    for row in lectern:
        out[row["user_id"]].append(
            Fact(SourceKind.LECTERN_SESSION, row["y"], Decimal(row["h"] or 0))
        )
    taught = (
        taught_sessions()
        .filter(
            lecturers__user_id__in=list(users),
            start__year__gte=first_year,
            start__year__lte=last_year,
        )
        .annotate(y=ExtractYear("start"))
        .values("lecturers__user_id", "y")
        .annotate(h=Sum("credit_hours"))
        .order_by()
    )
    for row in taught:
        user = users[row["lecturers__user_id"]]
        path = user.unit.path if user.unit_id else ""
        factor = book.value(
            Conversion.Kind.TEACHING_FACTOR, "", unit_path=path, on=date(row["y"], 12, 31)
        )
        if factor:
            out[user.pk].append(
                Fact(SourceKind.TEACHING, row["y"], Decimal(row["h"] or 0) * factor)
            )
    return out


def progress_many(users, *, year: int, book: PolicyBook | None = None) -> dict:
    """user id -> Progress for `year` (users with .unit loaded). Five queries in all."""
    book = book or PolicyBook()
    users = list(users)
    facts = facts_for(users, first_year=year - WINDOW_YEARS + 1, last_year=year, book=book)
    out = {}
    for user in users:
        path = user.unit.path if user.unit_id else ""
        out[user.pk] = evaluate(
            facts=facts.get(user.pk, []),
            year=year,
            need=book.need(rank=user.rank, unit_path=path, year=year),
            caps_by_year=lambda y, path=path: book.caps(unit_path=path, year=y),
        )
    return out


def progress_for(user, *, year: int, book: PolicyBook | None = None) -> Progress:
    return progress_many([user], year=year, book=book)[user.pk]
