"""The credit-hour rules reports apply, read from the evaluation app (the one place they are
kept): the yearly requirement per rank and the percent of a session's hours each attendance
status earns (evaluation's CreditPolicy per program, its defaults otherwise).

Both the rollups (SQL) and the selectors (Python) build on these, so neither imports the other.
"""

from decimal import Decimal

from attendance.models import AttendanceStatus
from evaluation import models as evaluation_models
from evaluation.models import DEFAULT_CREDIT_PERCENT
from evaluation.selectors import required_hours_by_rank


def evaluation_model(name: str):
    """One of evaluation's models by name (CreditPolicy, Completion, EvaluationAnswer…)."""
    return getattr(evaluation_models, name, None)


def percents() -> dict:
    """Percent of a session's hours each status earns by default (evaluation's defaults)."""
    return DEFAULT_CREDIT_PERCENT


def credit_requirements() -> dict:
    """Required yearly credit hours per rank: evaluation's table (its defaults included)."""
    return required_hours_by_rank()


def credit_requirement(rank: str, year: int | None = None) -> Decimal:
    return credit_requirements().get(rank, Decimal("90"))


def credit_percents(program_ids) -> dict:
    """{program_id: {status: percent}} from evaluation's CreditPolicy, defaults otherwise."""
    default = percents()
    base = {
        AttendanceStatus.PRESENT: 100,
        AttendanceStatus.LATE: default["late"],
        AttendanceStatus.LEFT_EARLY: default["left_early"],
        AttendanceStatus.LATE_LEFT_EARLY: default["late_left_early"],
        AttendanceStatus.ON_LEAVE: default["on_leave"],
    }
    result = {pid: dict(base) for pid in program_ids}
    model = evaluation_model("CreditPolicy")
    if model is not None:
        for policy in model.objects.filter(program_id__in=list(program_ids)):
            result[policy.program_id] = {
                **base,
                AttendanceStatus.LATE: policy.late_percent,
                AttendanceStatus.LEFT_EARLY: policy.left_early_percent,
                AttendanceStatus.LATE_LEFT_EARLY: policy.late_left_early_percent,
                AttendanceStatus.ON_LEAVE: policy.leave_percent,
            }
    return result
