"""Reads across programs, enrollment, attendance (and evaluation where it exists) for reports.

Every function here issues a fixed number of queries whatever the size of the data, so the
exports and the statistics page stay flat at province scale.
"""

from collections import OrderedDict, defaultdict
from dataclasses import dataclass, field

from django.db.models import Count, Q, Sum
from django.db.models.functions import Substr
from django.http import Http404
from django.utils import timezone

from accounts.models import OrgUnit, Rank, User
from attendance.models import AttendanceRecord, AttendanceStatus
from attendance.rules import ATTENDED, rate_percent, tally
from attendance.selectors import rate_tallies
from enrollment.models import Enrollment
from programs.models import Program, Session
from reports.credit import (  # noqa: F401 - the credit rules, read here and by the rollups
    credit_percents,
    credit_requirement,
    credit_requirements,
)

# One full-width character per status, so a row of marks lines up under the session columns.
STATUS_MARK = {
    AttendanceStatus.PRESENT: "√",
    AttendanceStatus.LATE: "迟",
    AttendanceStatus.LEFT_EARLY: "早",
    AttendanceStatus.LATE_LEFT_EARLY: "双",
    AttendanceStatus.ABSENT: "旷",
    AttendanceStatus.ON_LEAVE: "假",
    AttendanceStatus.PENDING: "待",
}
NO_MARK = "－"  # held, no record yet
FUTURE_MARK = "　"  # not held yet (ideographic space keeps the column width)


def rate(numerator, denominator) -> float | None:
    """A percentage to a tenth, rounded half up (the attendance rate's rounding, for every
    percentage the reports show)."""
    return rate_percent(int(numerator or 0), int(denominator or 0))


# --- Shared pieces ---------------------------------------------------------------------------


def enrolled_trainees(*, program, unit_ids=None):
    """Enrolled trainees of a program ordered by unit (tree order) then name."""
    qs = (
        Enrollment.objects.filter(program=program, status=Enrollment.Status.ENROLLED)
        .select_related("user", "unit")
        .order_by("unit__path", "user__full_name", "user_id")
    )
    if unit_ids is not None:
        qs = qs.filter(unit_id__in=unit_ids)
    return qs


def enrolled_count(*, program=None, program_id=None) -> int:
    """How many trainees hold a place in the program (the people an export of it lists)."""
    return Enrollment.objects.filter(
        program_id=program_id or program.pk, status=Enrollment.Status.ENROLLED
    ).count()


def unit_groups_of_program(*, program) -> list[tuple[int | None, str, int]]:
    """(unit id, unit name, trainee count) of a program's enrolled trainees, in tree order."""
    rows = (
        Enrollment.objects.filter(program=program, status=Enrollment.Status.ENROLLED)
        .values("unit_id", "unit__name", "unit__path")
        .annotate(n=Count("id"))
        .order_by("unit__path")
    )
    return [(r["unit_id"], r["unit__name"] or "—", r["n"]) for r in rows]


def _group_by_unit(enrollments):
    groups: OrderedDict = OrderedDict()
    for e in enrollments:
        key = e.unit_id
        if key not in groups:
            groups[key] = {"unit": e.unit, "name": e.unit.name if e.unit else "—", "rows": []}
        groups[key]["rows"].append(e)
    return list(groups.values())


# --- Sign-in sheet (签到表) -------------------------------------------------------------------


def session_for_report(*, pk) -> Session:
    try:
        return (
            Session.objects.select_related("program__organizing_unit", "venue")
            .prefetch_related("lecturers", "branch_venues")
            .get(pk=pk)
        )
    except (Session.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def signin_sheet_data(*, session) -> dict:
    program = session.program
    enrollments = list(enrolled_trainees(program=program))
    records = {
        r.user_id: r
        for r in AttendanceRecord.objects.filter(session=session).only(
            "user_id", "status", "checkin_at", "checkout_at", "venue_id"
        )
    }
    groups = _group_by_unit(enrollments)
    n = 0
    for group in groups:
        rows = []
        for e in group["rows"]:
            n += 1
            rec = records.get(e.user_id)
            rows.append(
                {
                    "n": n,
                    "name": e.user.full_name,
                    "position": e.user.position,
                    "checkin": timezone.localtime(rec.checkin_at)
                    if rec and rec.checkin_at
                    else None,
                    "checkout": (
                        timezone.localtime(rec.checkout_at) if rec and rec.checkout_at else None
                    ),
                    "status": rec.get_status_display() if rec else "",
                    "status_code": rec.status if rec else "",
                }
            )
        group["rows"] = rows
    return {
        "program": program,
        "session": session,
        "start": timezone.localtime(session.start),
        "end": timezone.localtime(session.end),
        "venues": [session.venue, *session.branch_venues.all()]
        if session.venue
        else list(session.branch_venues.all()),
        "lecturers": list(session.lecturers.all()),
        "groups": groups,
        "total": n,
        "checked_in": sum(1 for r in records.values() if r.status in ATTENDED),
    }


# --- Program attendance summary ----------------------------------------------------------------


def program_sessions(*, program):
    return list(
        Session.objects.filter(program=program)
        .exclude(status=Session.Status.CANCELLED)
        .order_by("start", "id")
    )


def summary_rows(*, program, sessions, unit_ids=None, now=None) -> list[dict]:
    """Unit groups with one row per trainee: marks per session, totals and rates. Rates follow
    attendance.rules.tally, the one rule every page uses."""
    now = now or timezone.now()
    enrollments = list(enrolled_trainees(program=program, unit_ids=unit_ids))
    held_ids = {s.pk for s in sessions if s.start <= now}
    status_by = defaultdict(dict)
    records = AttendanceRecord.objects.filter(session__in=[s.pk for s in sessions])
    if unit_ids is not None:
        records = records.filter(user_id__in=[e.user_id for e in enrollments])
    for user_id, session_id, status in records.values_list("user_id", "session_id", "status"):
        status_by[user_id][session_id] = status
    leave_counts = program.leave_counts_as_attended
    groups = _group_by_unit(enrollments)
    for group in groups:
        totals = {"attended": 0, "expected": 0, "leave": 0, "absent": 0, "late": 0}
        rows = []
        for e in group["rows"]:
            mine = status_by.get(e.user_id, {})
            marks = []
            for s in sessions:
                st = mine.get(s.pk)
                if st:
                    marks.append(STATUS_MARK.get(st, NO_MARK))
                elif s.pk in held_ids:
                    marks.append(NO_MARK)
                else:
                    marks.append(FUTURE_MARK)
            t = tally(
                [(s.start, s.end, False, mine.get(s.pk)) for s in sessions],
                leave_counts_as_attended=leave_counts,
                now=now,
            )
            row = {
                "user_id": e.user_id,
                "name": e.user.full_name,
                "position": e.user.position,
                "unit": group["name"],
                "marks": "".join(marks),
                "statuses": [mine.get(s.pk, "") for s in sessions],
                "attended": t.attended,
                "expected": t.expected,
                "leave": t.n(AttendanceStatus.ON_LEAVE),
                "absent": t.unexcused,
                "late": t.n(AttendanceStatus.LATE) + t.n(AttendanceStatus.LATE_LEFT_EARLY),
                "rate": t.rate,
            }
            rows.append(row)
            for key in totals:
                totals[key] += row[key]
        group["rows"] = rows
        group["totals"] = totals
        group["rate"] = rate(totals["attended"], totals["expected"])
    return groups


def summary_chunks(*, program, max_rows: int = 200) -> list[list[int | None]]:
    """Unit ids split into chunks of about `max_rows` trainees (a unit is never split)."""
    chunks: list[list] = []
    current: list = []
    size = 0
    for unit_id, _name, n in unit_groups_of_program(program=program):
        if current and size + n > max_rows:
            chunks.append(current)
            current, size = [], 0
        current.append(unit_id)
        size += n
    if current:
        chunks.append(current)
    return chunks or [[]]


def summary_overview(*, program, sessions, now=None) -> dict:
    """Program-wide totals for the summary's first page: the enrolled trainees' tallies summed
    (3 queries), so the overall rate is the rows' figures added up."""
    now = now or timezone.now()
    held = [s.pk for s in sessions if s.start <= now]
    enrolled = list(
        Enrollment.objects.filter(program=program, status=Enrollment.Status.ENROLLED).values_list(
            "user_id", flat=True
        )
    )
    found = rate_tallies(programs=[program], now=now)
    tallies = [found.get(program.pk, uid) for uid in enrolled]
    attended = sum(t.attended for t in tallies)
    expected = sum(t.expected for t in tallies)
    return {
        "enrolled": len(enrolled),
        "held": len(held),
        "attended": attended,
        "expected": expected,
        "rate": rate(attended, expected),
        "leave": sum(t.n(AttendanceStatus.ON_LEAVE) for t in tallies),
        "absent": sum(t.unexcused for t in tallies),
        "late": sum(
            t.n(AttendanceStatus.LATE) + t.n(AttendanceStatus.LATE_LEFT_EARLY) for t in tallies
        ),
    }


def attendance_flat_rows(*, program):
    """Every (trainee, session) pair with its record, for the streamed CSV: a server-side cursor,
    so memory stays flat however large the program."""
    return (
        AttendanceRecord.objects.filter(session__program=program)
        .order_by("session__start", "session_id", "user__full_name")
        .values_list(
            "session__start",
            "session__topic",
            "user__full_name",
            "user__unit__name",
            "status",
            "checkin_at",
            "checkout_at",
            "source",
        )
        .iterator(chunk_size=2000)
    )


# --- Trainee training record (个人培训档案) ------------------------------------------------------


def trainee_get(*, pk) -> User:
    try:
        return User.objects.select_related("unit").get(pk=pk)
    except (User.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def trainees_search(*, user, q: str, limit: int = 50) -> list[User]:
    """People whose training record `user` may open (reports.access.trainee_for_user: admins
    everyone, organizers the people of the units they organize), matching a name, phone, staff
    number or login name; ordered by unit then name. Empty for an empty query."""
    from accounts.models import subtree_q
    from accounts.scoping import roles_of

    q = (q or "").strip()[:60]
    if not q:
        return []
    roles = roles_of(user)
    qs = User.objects.filter(is_active=True).select_related("unit")
    if not roles.is_admin:
        if not roles.organizer_paths:
            return []
        qs = qs.filter(subtree_q(roles.organizer_paths, "unit"))
    match = Q(full_name__icontains=q) | Q(username__iexact=q) | Q(unit__name__icontains=q)
    if q.isdigit():
        match |= Q(phone=q) | Q(staff_number=q)
    return list(qs.filter(match).order_by("unit__path", "full_name", "pk")[:limit])


# --- Statistics (from rollups only) ------------------------------------------------------------


@dataclass
class StatsFilters:
    year: int
    unit: OrgUnit | None = None
    level: str = ""
    rank: str = ""
    years: list = field(default_factory=list)


def _unit_q(filters: StatsFilters, column: str = "unit_path") -> Q:
    if filters.unit is None:
        return Q()
    return Q(**{f"{column}__startswith": filters.unit.path})


def _uses_cube(filters: StatsFilters) -> bool:
    """Province- and city-wide views read the county-level cubes; deeper units the detail."""
    return filters.unit is None or filters.unit.depth <= 1


def _attendance_qs(filters: StatsFilters):
    from reports.models import AttendanceRollup, StatsCube

    model = StatsCube if _uses_cube(filters) else AttendanceRollup
    qs = model.objects.filter(year=filters.year).filter(_unit_q(filters))
    if filters.level:
        qs = qs.filter(level=filters.level)
    if filters.rank:
        qs = qs.filter(rank=filters.rank)
    return qs


def _sums():
    return {
        "enrolled": Sum("enrolled"),
        "completed": Sum("completed"),
        "assessed": Sum("assessed"),
        "expected": Sum("expected"),
        "attended": Sum("attended"),
        "present": Sum("present"),
        "late": Sum("late"),
        "left_early": Sum("left_early"),
        "late_left_early": Sum("late_left_early"),
        "absent": Sum("absent"),
        "on_leave": Sum("on_leave"),
        "credit_hours": Sum("credit_hours"),
    }


def _rates(row: dict) -> dict:
    row = {k: (v or 0) for k, v in row.items()}
    # "attended" is summed from each enrolment's count under its own program's leave policy
    # (attendance.rules), so it is not present + late + ... here.
    row["attendance_rate"] = rate(row["attended"], row["expected"])
    row["completion_rate"] = rate(row["completed"], row["assessed"])
    return row


def _compliance_by(filters: StatsFilters, key: str, requirement: dict, prefix_len: int) -> dict:
    """{key value: (trainees, meeting the requirement)} grouped by "rank" or unit "prefix"."""
    from django.db.models import Case, IntegerField, When

    from reports.models import ComplianceCube, TraineeYearRollup

    if _uses_cube(filters):
        qs = ComplianceCube.objects.filter(year=filters.year, level=filters.level)
        totals = {"trainees": Sum("trainees"), "met": Sum("met")}
    else:
        qs = TraineeYearRollup.objects.filter(year=filters.year, level=filters.level)
        met = Case(
            *[When(rank=r, credit_hours__gte=req, then=1) for r, req in requirement.items()],
            default=0,
            output_field=IntegerField(),
        )
        totals = {"trainees": Count("pk"), "met": Sum(met)}
    qs = qs.filter(_unit_q(filters))
    if filters.rank:
        qs = qs.filter(rank=filters.rank)
    if key == "prefix":
        qs = qs.annotate(prefix=Substr("unit_path", 1, prefix_len))
    rows = qs.values(key).annotate(**totals).order_by(key)
    return {r[key]: (r["trainees"] or 0, r["met"] or 0) for r in rows}


def _min_answers() -> int:
    """Evaluation's anonymity threshold."""
    from evaluation.selectors import MIN_ANSWERS

    return MIN_ANSWERS


def statistics(*, filters: StatsFilters) -> dict:
    """All figures of the statistics page, read from rollup tables (about 8 queries)."""
    from reports.models import ProgramRollup

    programs = ProgramRollup.objects.filter(year=filters.year, held=True).filter(
        _unit_q(filters, "organizing_unit_path")
    )
    if filters.level:
        programs = programs.filter(level=filters.level)
    by_level_programs = {
        r["level"]: r
        for r in programs.values("level")
        .annotate(
            n=Count("pk"),
            responses=Sum("evaluation_responses"),
            satisfied=Sum("evaluation_satisfied"),
        )
        .order_by("level")
    }
    n_programs = sum(r["n"] for r in by_level_programs.values())
    responses = sum(r["responses"] or 0 for r in by_level_programs.values())
    satisfied = sum(r["satisfied"] or 0 for r in by_level_programs.values())

    att = _attendance_qs(filters)
    totals = _rates(att.aggregate(**_sums()))
    by_level = {r["level"]: _rates(r) for r in att.values("level").annotate(**_sums()).order_by()}
    by_rank = {r["rank"]: _rates(r) for r in att.values("rank").annotate(**_sums()).order_by()}
    by_month = {
        r["month"]: r["enrolled"] or 0
        for r in att.values("month").annotate(enrolled=Sum("enrolled")).order_by()
    }

    # Child units of the selected one (or of the single root) as the "by unit" breakdown.
    parent = filters.unit
    if parent is None:
        roots = list(OrgUnit.objects.filter(depth=0)[:2])
        parent = roots[0] if len(roots) == 1 else None
    children = list(
        OrgUnit.objects.filter(parent=parent) if parent else OrgUnit.objects.filter(depth=0)
    )
    prefix_len = ((parent.depth + 2) if parent else 1) * 7  # each path segment is "000123."
    by_unit_raw = {
        r["prefix"]: _rates(r)
        for r in att.annotate(prefix=Substr("unit_path", 1, prefix_len))
        .values("prefix")
        .annotate(**_sums())
        .order_by()
    }

    requirement = credit_requirements()
    compliance_rank = _compliance_by(filters, "rank", requirement, prefix_len)
    compliance_unit = _compliance_by(filters, "prefix", requirement, prefix_len)
    n_trainees = sum(v[0] for v in compliance_rank.values())
    n_met = sum(v[1] for v in compliance_rank.values())

    level_labels = dict(Program.Level.choices)
    rank_labels = dict(Rank.choices)
    levels = [
        {
            "key": key,
            "label": level_labels.get(key, key),
            "programs": by_level_programs.get(key, {}).get("n", 0),
            "trainee_times": by_level.get(key, {}).get("enrolled", 0),
            "attendance_rate": by_level.get(key, {}).get("attendance_rate"),
        }
        for key in Program.Level.values
    ]
    ranks = [
        {
            "key": key,
            "label": rank_labels.get(key, key),
            "trainee_times": by_rank.get(key, {}).get("enrolled", 0),
            "attendance_rate": by_rank.get(key, {}).get("attendance_rate"),
            "completion_rate": by_rank.get(key, {}).get("completion_rate"),
            "trainees": compliance_rank.get(key, (0, 0))[0],
            "compliance_rate": rate(
                compliance_rank.get(key, (0, 0))[1], compliance_rank.get(key, (0, 0))[0]
            ),
            "required": requirement.get(key),
        }
        for key in Rank.values
    ]
    units = []
    for child in children:
        row = by_unit_raw.get(child.path, {})
        comp = compliance_unit.get(child.path, (0, 0))
        units.append(
            {
                "unit": child,
                "trainee_times": row.get("enrolled", 0),
                "attendance_rate": row.get("attendance_rate"),
                "completion_rate": row.get("completion_rate"),
                "trainees": comp[0],
                "compliance_rate": rate(comp[1], comp[0]),
            }
        )
    months = [{"month": m, "trainee_times": by_month.get(m, 0)} for m in range(1, 13)]
    return {
        "filters": filters,
        "programs": n_programs,
        "trainees": n_trainees,
        "trainee_times": totals["enrolled"],
        "attendance_rate": totals["attendance_rate"],
        "completion_rate": totals["completion_rate"],
        "leave": totals["on_leave"],
        "absent": totals["absent"],
        "credit_hours": totals["credit_hours"],
        # Fewer answers than evaluation's anonymity threshold would let a narrow filter (one
        # small program) tell how those few people answered.
        "satisfaction_rate": rate(satisfied, responses) if responses >= _min_answers() else None,
        "evaluation_responses": responses,
        "compliance_rate": rate(n_met, n_trainees),
        "levels": levels,
        "ranks": ranks,
        "units": units,
        "months": months,
    }


def statistics_years() -> list[int]:
    from reports.models import ProgramRollup

    years = list(
        ProgramRollup.objects.values_list("year", flat=True).distinct().order_by("-year")[:20]
    )
    this_year = timezone.localdate().year
    if this_year not in years:
        years.insert(0, this_year)
    return years
