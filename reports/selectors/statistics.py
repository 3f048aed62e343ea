"""The statistics page: figures from the rollups and cubes (never the raw records), by year,
unit, level and rank; a fixed number of queries whatever the size."""

from dataclasses import dataclass, field

from django.db.models import Count, Q, Sum
from django.db.models.functions import Substr
from django.utils import timezone

from accounts.models import OrgUnit, Rank
from programs.models import Program
from reports.credit import (  # noqa: F401
    credit_percents,
    credit_requirement,
    credit_requirements,
)
from reports.selectors.exports import rate


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
