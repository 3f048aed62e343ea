"""A program's actual costs per cost category and its lecturers' fees (issue 16 item 7)."""

from decimal import Decimal

from django.db import transaction
from django.utils.translation import gettext as _

from core.errors import DomainError
from core.services import audit_log
from plans.models import MAX_AMOUNT, CostCategory
from programs.access import ensure_program_open
from programs.models import Lecturer, LecturerFee, Program, ProgramCost, Session
from programs.services.common import S


def _amount(value, *, field: str) -> Decimal | None:
    """A clean amount in yuan, None for empty or zero; DomainError naming `field` otherwise."""
    if value is None or value == "":
        return None
    if not isinstance(value, Decimal) or not value.is_finite():
        raise DomainError(_("金额必须是有限的数字。"), field=field)
    if value < 0 or value > MAX_AMOUNT:
        raise DomainError(_("金额应在 0 到 %(max)s 元之间。") % {"max": MAX_AMOUNT}, field=field)
    return value.quantize(Decimal("0.01")) if value else None


def _payable(program: Program) -> set[int]:
    """Lecturers who may be paid for the program: those teaching a session of it (cancelled
    ones too: a cancelled lecture may still be paid) and those already paid."""
    teaching = Session.lecturers.through.objects.filter(session__program=program)
    return set(teaching.values_list("lecturer_id", flat=True)) | set(
        program.lecturer_fees.values_list("lecturer_id", flat=True)
    )


@transaction.atomic
def program_costs_save(*, program: Program, by, amounts: dict, fees: dict | None = None) -> dict:
    """Set the program's actual cost per cost category (yuan) and, with `fees` ({lecturer id:
    amount}), the fee paid to each lecturer; an empty or zero amount removes the entry. All or
    nothing: one bad amount (not a finite number, negative, too large, an unknown category, a
    lecturer who does not teach in the program) refuses the whole entry. An archived program is
    read-only unless an admin reopened it; a completed one still takes its bills. Audited with
    before and after. Fees over their cap are allowed (the cost page warns)."""
    program = Program.objects.select_for_update().get(pk=program.pk)
    if program.status == S.ARCHIVED:
        ensure_program_open(program)
    clean = {}
    for category, amount in amounts.items():
        if category not in CostCategory.values:
            raise DomainError(_("未知的费用类别。"))
        value = _amount(amount, field=f"cost_{category}")
        if value:
            clean[category] = value
    clean_fees = {}
    if fees is not None:
        payable = _payable(program)
        for lecturer_id, amount in fees.items():
            if lecturer_id not in payable:
                raise DomainError(_("该授课人未在本项目授课。"))
            value = _amount(amount, field=f"fee_{lecturer_id}")
            if value:
                clean_fees[lecturer_id] = value
    before = {c.category: str(c.amount) for c in program.costs.all()}
    program.costs.exclude(category__in=clean).delete()
    for category, amount in clean.items():
        ProgramCost.objects.update_or_create(
            program=program, category=category, defaults={"amount": amount}
        )
    after = {k: str(v) for k, v in sorted(clean.items())}
    if fees is not None:
        names = dict(Lecturer.objects.filter(pk__in=_payable(program)).values_list("pk", "name"))
        before["fees"] = {
            names.get(f.lecturer_id, str(f.lecturer_id)): str(f.amount)
            for f in program.lecturer_fees.all()
        }
        program.lecturer_fees.exclude(lecturer_id__in=clean_fees).delete()
        for lecturer_id, amount in clean_fees.items():
            LecturerFee.objects.update_or_create(
                program=program, lecturer_id=lecturer_id, defaults={"amount": amount}
            )
        after["fees"] = {names[k]: str(v) for k, v in sorted(clean_fees.items())}
        if not before["fees"] and not after["fees"]:
            del before["fees"], after["fees"]
    if before != after:
        audit_log(actor=by, action="program.costs", target=program, before=before, after=after)
    return clean
