"""The credit-hour rules reports apply, read from where each is kept: the percent of a session's
hours each attendance status earns is evaluation's one rule (evaluation.rules, with the
program's CreditPolicy); the requirement per rank is credits' policy data (credits.rules). A
trainee's full record (every source, the five-year window) is credits' 培训档案.

Both the rollups (SQL) and the selectors (Python) build on these, so neither imports the other.
"""

from decimal import Decimal

from django.utils import timezone

from credits.rules import yearly_requirements
from evaluation import models as evaluation_models
from evaluation.models import DEFAULT_CREDIT_PERCENT, CreditPolicy
from evaluation.rules import percents_for


def evaluation_model(name: str):
    """One of evaluation's models by name (CreditPolicy, Completion, EvaluationAnswer…)."""
    return getattr(evaluation_models, name, None)


def percents() -> dict:
    """Percent of a session's hours each status earns by default (evaluation's defaults)."""
    return DEFAULT_CREDIT_PERCENT


def credit_requirements(year: int | None = None) -> dict:
    """{rank: hours a year} from credits' national policy rows in force in `year` (this year by
    default); a rank measured over five years gives a fifth of its window."""
    return yearly_requirements(year or timezone.localdate().year)


def credit_requirement(rank: str, year: int | None = None) -> Decimal:
    """A rank's yearly figure; a cadre without a rank (or a rank the policy leaves without a
    requirement) is held to 乡科级's 90, as before."""
    return credit_requirements(year).get(rank, Decimal("90"))


def credit_percents(program_ids) -> dict:
    """{program_id: {status: percent}} by evaluation's rule (CreditPolicy, defaults otherwise)."""
    program_ids = list(program_ids)
    result = {pid: percents_for(None) for pid in program_ids}
    for policy in CreditPolicy.objects.filter(program_id__in=program_ids):
        result[policy.program_id] = percents_for(policy)
    return result
