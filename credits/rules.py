"""The one credit-hours rule of the training record: for a cadre and a year, hours by source,
the requirement that applies, progress and what is missing. Every page and table of this app (the
record, its PDF and Excel, the compliance rollup, the promotion check) goes through `evaluate`;
the hours of Lectern sessions come from evaluation's rule (evaluation.rules: the program's percent
per attendance status; nothing for a cancelled session, a withdrawn enrolment or one whose hours
were withheld by a reconciliation decision).

- Each fact is dated. A year counts the facts dated in it; a record spanning two years is split
  between them in proportion to its days (a Lectern class spanning two years counts in each year
  for its own sessions).
- Category caps are yearly: within a year and kind the earliest facts count until the cap, the
  rest is shown as over the cap.
- 乡科级 and below: `annual_hours` a year. 县处级 and above: `five_year_hours` per five years,
  rolling with the appointment: the cycle starts on the date of appointment to the present rank
  (CadreProfile.rank_appointed_on) and renews every five years; without that date, the five
  calendar years ending with the year. Within an appointment cycle the cadre is behind when the
  hours fall short of the pace (a fifth of the requirement for each year of the cycle begun);
  in a calendar window, when they fall short of the whole requirement.
- Promotion catch-up: a cadre whose hours in the twelve months before the appointment fell short
  of a year's requirement of the new rank completes the shortfall within one year of it; once that
  year is over, what is still missing counts against them.
- Everybody: `online_hours` of online learning a year.
- Precision: hours are summed unrounded and each figure shown is rounded once, half up, to 0.1
  (core.numbers.round_hours); what is missing is computed from the hours as shown.

The policy (requirements, conversions, caps) is data: `PolicyBook` reads the rows once and picks,
for a cadre's unit and a date, the row in force (effective on or before the date) whose unit is
the nearest ancestor of the cadre's unit (a row without a unit applies everywhere).
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from django.db.models import Sum
from django.db.models.functions import TruncDate
from django.utils import timezone

from accounts.models import Rank
from attendance.models import AttendanceRecord
from core.numbers import round_hours
from credits.models import CadreProfile, Conversion, CreditEntry, Requirement, SourceKind
from evaluation.rules import counts_for_credit, credit_expr
from programs.models import Program, Session

WINDOW_YEARS = 5
ZERO = Decimal(0)


@dataclass(frozen=True)
class Fact:
    """Hours of one source kind on one day (unrounded)."""

    kind: str
    on: date
    hours: Decimal

    @property
    def year(self) -> int:
        return self.on.year


@dataclass(frozen=True)
class Need:
    annual_hours: Decimal | None = None
    five_year_hours: Decimal | None = None
    online_hours: Decimal = ZERO
    note: str = ""

    @property
    def any(self) -> bool:
        return self.annual_hours is not None or self.five_year_hours is not None

    @property
    def yearly(self) -> Decimal | None:
        """A year's share of the requirement (the pace of a five-year one)."""
        if self.annual_hours is not None:
            return self.annual_hours
        if self.five_year_hours is not None:
            return self.five_year_hours / WINDOW_YEARS
        return None


@dataclass
class Progress:
    year: int
    need: Need
    by_kind: dict = field(default_factory=dict)  # kind -> counted hours in the year (rounded)
    over_cap: dict = field(default_factory=dict)  # kind -> hours above the year's cap (rounded)
    year_total: Decimal = ZERO
    online_total: Decimal = ZERO
    window_total: Decimal = ZERO
    window_from: date | None = None
    window_to: date | None = None
    window_by_appointment: bool = False
    window_due: Decimal | None = None  # the hours due by the year's end (the pace or the whole)
    window_remaining: Decimal | None = None  # what the whole window still needs
    annual_missing: Decimal | None = None
    window_missing: Decimal | None = None
    online_missing: Decimal | None = None
    appointed_on: date | None = None
    catch_up_required: Decimal | None = None  # the shortfall at appointment
    catch_up_by: date | None = None
    catch_up_done: Decimal = ZERO
    catch_up_missing: Decimal | None = None
    catch_up_overdue: bool = False

    @property
    def window_start(self) -> int:
        return self.window_from.year if self.window_from else self.year - WINDOW_YEARS + 1

    @property
    def met(self) -> bool:
        overdue = self.catch_up_missing if self.catch_up_overdue else None
        return not any((self.annual_missing, self.window_missing, self.online_missing, overdue))

    @property
    def missing_total(self) -> Decimal:
        overdue = self.catch_up_missing if self.catch_up_overdue else None
        return sum(
            (
                x or ZERO
                for x in (self.annual_missing, self.window_missing, self.online_missing, overdue)
            ),
            ZERO,
        )

    @property
    def reasons(self) -> list[tuple[str, Decimal, Decimal]]:
        """(what, required, done) for every requirement not met."""
        out = []
        if self.annual_missing:
            out.append(("annual", self.need.annual_hours, self.year_total))
        if self.window_missing:
            out.append(("window", self.window_due, self.window_total))
        if self.online_missing:
            out.append(("online", self.need.online_hours, self.online_total))
        if self.catch_up_overdue and self.catch_up_missing:
            out.append(("catch_up", self.catch_up_required, self.catch_up_done))
        return out


def _add_years(d: date, years: int) -> date:
    try:
        return d.replace(year=d.year + years)
    except ValueError:  # 29 February
        return d.replace(year=d.year + years, day=28)


def counted_facts(facts, caps_by_year) -> tuple[list, dict]:
    """The facts as counted: within each year and kind, the earliest count until the year's cap.
    Returns ([(fact, counted hours)], {(year, kind): hours over the cap})."""
    groups = defaultdict(list)
    for f in facts:
        groups[(f.on.year, f.kind)].append(f)
    out, over = [], {}
    caps_cache = {}
    for (year, kind), group in groups.items():
        if year not in caps_cache:
            caps_cache[year] = caps_by_year(year)
        cap = caps_cache[year].get(kind)
        left = cap
        for f in sorted(group, key=lambda f: f.on):
            if left is None:
                out.append((f, f.hours))
                continue
            take = min(f.hours, left)
            left -= take
            out.append((f, take))
        if cap is not None:
            raw = sum((f.hours for f in group), ZERO)
            if raw > cap:
                over[(year, kind)] = raw - cap
    return out, over


def _between(counted, start: date, end: date) -> Decimal:
    return sum((h for f, h in counted if start <= f.on <= end), ZERO)


def _missing(required, done) -> Decimal | None:
    if required is None:
        return None
    return max(ZERO, round_hours(required) - done)


def evaluate(*, facts, year: int, need: Need, caps_by_year, appointed_on: date | None = None):
    """The progress of one cadre at the end of `year`. `facts`: their Fact rows (any dates);
    `caps_by_year(y)`: the category caps in force for year y (kind -> hours); `appointed_on`: the
    date of appointment to their present rank, if known."""
    counted, over = counted_facts(facts, caps_by_year)
    last = date(year, 12, 31)
    by_kind = defaultdict(lambda: ZERO)
    for f, h in counted:
        if f.on.year == year:
            by_kind[f.kind] += h
    if appointed_on is not None and appointed_on > last:
        appointed_on = None  # appointed after the year: that year is judged without it
    progress = Progress(
        year=year,
        need=need,
        by_kind={k: round_hours(v) for k, v in by_kind.items()},
        over_cap={k: round_hours(v) for (y, k), v in over.items() if y == year},
        year_total=round_hours(sum(by_kind.values(), ZERO)),
        online_total=round_hours(by_kind.get(SourceKind.ONLINE, ZERO)),
        appointed_on=appointed_on,
    )
    # The five-year window.
    if appointed_on is not None and need.five_year_hours is not None:
        cycles = (year - appointed_on.year) // WINDOW_YEARS
        start = _add_years(appointed_on, cycles * WINDOW_YEARS)
        if start > last:
            cycles -= 1
            start = _add_years(appointed_on, cycles * WINDOW_YEARS)
        progress.window_from = start
        progress.window_to = _add_years(start, WINDOW_YEARS) - timedelta(days=1)
        progress.window_by_appointment = True
        begun = sum(1 for i in range(WINDOW_YEARS) if _add_years(start, i) <= last)
        progress.window_due = round_hours(need.five_year_hours * begun / WINDOW_YEARS)
    else:
        progress.window_from = date(year - WINDOW_YEARS + 1, 1, 1)
        progress.window_to = last
        if need.five_year_hours is not None:
            progress.window_due = round_hours(need.five_year_hours)
    progress.window_total = round_hours(
        _between(counted, progress.window_from, min(progress.window_to, last))
    )
    progress.annual_missing = _missing(need.annual_hours, progress.year_total)
    progress.window_missing = _missing(progress.window_due, progress.window_total)
    progress.online_missing = _missing(need.online_hours or None, progress.online_total)
    if need.five_year_hours is not None:
        progress.window_remaining = _missing(need.five_year_hours, progress.window_total)
    # Promotion catch-up.
    yearly = need.yearly
    if appointed_on is not None and yearly is not None:
        before = round_hours(
            _between(counted, _add_years(appointed_on, -1), appointed_on - timedelta(days=1))
        )
        shortfall = _missing(yearly, before)
        if shortfall and (_add_years(appointed_on, 1) - timedelta(days=1)).year >= year:
            by = _add_years(appointed_on, 1) - timedelta(days=1)
            progress.catch_up_required = shortfall
            progress.catch_up_by = by
            progress.catch_up_done = round_hours(_between(counted, appointed_on, min(by, last)))
            progress.catch_up_missing = max(ZERO, shortfall - progress.catch_up_done)
            progress.catch_up_overdue = by <= last and bool(progress.catch_up_missing)
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


def _split_by_year(kind: str, start: date, end: date, hours) -> list[Fact]:
    """A record as facts: on its start date, or split between the years it spans in proportion
    to its days there (each part dated on its first day in that year)."""
    hours = Decimal(hours or 0)
    if start.year == end.year:
        return [Fact(kind, start, hours)]
    days = (end - start).days + 1
    out = []
    for y in range(start.year, end.year + 1):
        a, b = max(start, date(y, 1, 1)), min(end, date(y, 12, 31))
        out.append(Fact(kind, a, hours * ((b - a).days + 1) / days))
    return out


def facts_for(users, *, first_year: int, last_year: int, book: "PolicyBook") -> dict:
    """user id -> [Fact]: approved records (split across the years they span); Lectern session
    hours by day through evaluation's rule; and teaching hours earned from the timetable (the
    hours of each session the cadre taught as a Lectern lecturer × the teaching factor in force).
    Three queries whatever the number of people."""
    users = {u.pk: u for u in users}
    first, last = date(first_year, 1, 1), date(last_year, 12, 31)
    out = defaultdict(list)
    entries = CreditEntry.objects.filter(
        user_id__in=list(users),
        status=CreditEntry.Status.APPROVED,
        start_date__lte=last,
        end_date__gte=first,
    ).values_list("user_id", "kind", "start_date", "end_date", "hours")
    for user_id, kind, start, end, hours in entries:
        out[user_id].extend(
            f for f in _split_by_year(kind, start, end, hours) if first <= f.on <= last
        )
    lectern = (
        AttendanceRecord.objects.filter(
            counts_for_credit(user_ref="user"),
            user_id__in=list(users),
            session__start__year__gte=first_year,
            session__start__year__lte=last_year,
        )
        .annotate(d=TruncDate("session__start"))
        .values("user_id", "d")
        .annotate(h=Sum(credit_expr()))
        .order_by()
    )
    for row in lectern:
        out[row["user_id"]].append(
            Fact(SourceKind.LECTERN_SESSION, row["d"], Decimal(row["h"] or 0))
        )
    taught = (
        taught_sessions()
        .filter(
            lecturers__user_id__in=list(users),
            start__year__gte=first_year,
            start__year__lte=last_year,
        )
        .annotate(d=TruncDate("start"))
        .values("lecturers__user_id", "d")
        .annotate(h=Sum("credit_hours"))
        .order_by()
    )
    for row in taught:
        user = users[row["lecturers__user_id"]]
        path = user.unit.path if user.unit_id else ""
        factor = book.value(
            Conversion.Kind.TEACHING_FACTOR, "", unit_path=path, on=date(row["d"].year, 12, 31)
        )
        if factor:
            out[user.pk].append(
                Fact(SourceKind.TEACHING, row["d"], Decimal(row["h"] or 0) * factor)
            )
    return out


def appointments(users) -> dict:
    """user id -> the date of appointment to the present rank (one query)."""
    return dict(
        CadreProfile.objects.filter(
            user_id__in=[u.pk for u in users], rank_appointed_on__isnull=False
        ).values_list("user_id", "rank_appointed_on")
    )


def progress_many(users, *, year: int, book: PolicyBook | None = None) -> dict:
    """user id -> Progress for `year` (users with .unit loaded). Six queries in all (two of
    them the policy, when no book is given)."""
    book = book or PolicyBook()
    users = list(users)
    facts = facts_for(users, first_year=year - WINDOW_YEARS + 1, last_year=year, book=book)
    appointed = appointments(users)
    out = {}
    for user in users:
        path = user.unit.path if user.unit_id else ""
        out[user.pk] = evaluate(
            facts=facts.get(user.pk, []),
            year=year,
            need=book.need(rank=user.rank, unit_path=path, year=year),
            caps_by_year=lambda y, path=path: book.caps(unit_path=path, year=y),
            appointed_on=appointed.get(user.pk),
        )
    return out


def progress_for(user, *, year: int, book: PolicyBook | None = None) -> Progress:
    return progress_many([user], year=year, book=book)[user.pk]


def yearly_requirements(year: int) -> dict:
    """{rank: hours a year} of the national rows in force in `year` (a five-year requirement
    gives a fifth of its window), for pages that show one yearly figure per rank."""
    book = PolicyBook()
    out = {}
    for rank in Rank.values:
        yearly = book.need(rank=rank, unit_path="", year=year).yearly
        if yearly is not None:
            out[rank] = round_hours(yearly)
    return out
