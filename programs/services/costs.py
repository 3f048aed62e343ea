"""A program's actual costs per cost category (issue 16 item 7)."""

from decimal import Decimal

from django.db import transaction
from django.utils.translation import gettext as _

from core.errors import DomainError
from core.services import audit_log
from programs.access import ensure_program_open
from programs.models import (
    Program,
    ProgramCost,
)
from programs.services.common import S


@transaction.atomic
def program_costs_save(*, program: Program, by, amounts: dict) -> dict:
    """Set the program's actual cost per cost category (yuan); an empty or zero amount removes
    the category. All or nothing: one bad amount (not a finite number, negative, too large, an
    unknown category) refuses the whole entry. An archived program is read-only unless an admin
    reopened it; a completed one still takes its bills. Audited with before and after."""
    from plans.models import MAX_AMOUNT, CostCategory

    program = Program.objects.select_for_update().get(pk=program.pk)
    if program.status == S.ARCHIVED:
        ensure_program_open(program)
    clean = {}
    for category, amount in amounts.items():
        if category not in CostCategory.values:
            raise DomainError(_("未知的费用类别。"))
        if amount is None or amount == "":
            continue
        if not isinstance(amount, Decimal) or not amount.is_finite():
            raise DomainError(_("金额必须是有限的数字。"), field=f"cost_{category}")
        if amount < 0 or amount > MAX_AMOUNT:
            raise DomainError(
                _("金额应在 0 到 %(max)s 元之间。") % {"max": MAX_AMOUNT}, field=f"cost_{category}"
            )
        if amount:
            clean[category] = amount.quantize(Decimal("0.01"))
    before = {c.category: str(c.amount) for c in program.costs.all()}
    program.costs.exclude(category__in=clean).delete()
    for category, amount in clean.items():
        ProgramCost.objects.update_or_create(
            program=program, category=category, defaults={"amount": amount}
        )
    after = {k: str(v) for k, v in sorted(clean.items())}
    if before != after:
        audit_log(actor=by, action="program.costs", target=program, before=before, after=after)
    return clean
