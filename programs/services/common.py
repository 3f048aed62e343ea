"""What every workflow of the programs app shares: the state names, the clash error and the
bounds check of numbers."""

import math
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from core.errors import DomainError
from programs.conflicts import Conflict
from programs.models import (
    Program,
)

S = Program.Status


class ConflictError(DomainError):
    """Raised when a schedule change clashes. `conflicts` lists blocking ones and warnings;
    with only warnings, the caller may repeat the call with acknowledge_warnings=True."""

    def __init__(self, conflicts: list[Conflict]):
        self.conflicts = conflicts
        self.blocking = [c for c in conflicts if c.blocking]
        self.warnings = [c for c in conflicts if not c.blocking]
        first = (self.blocking or self.warnings)[0].message
        super().__init__(first, code="conflict")


def check_numbers(instance, fields) -> None:
    """Every number within its field's bounds (the model's validators, the same as the database
    checks), NaN and ±Infinity refused: a DomainError naming the field, never a 500."""
    for name in fields:
        value = getattr(instance, name)
        if value is None:
            continue
        model_field = instance._meta.get_field(name)
        if isinstance(value, Decimal | float) and not (
            value.is_finite() if isinstance(value, Decimal) else math.isfinite(value)
        ):  # before any comparison: comparing a signalling NaN raises
            raise DomainError(
                _("“%(label)s”须是一个有限的数字。") % {"label": model_field.verbose_name},
                field=name,
            )
        try:
            model_field.run_validators(model_field.to_python(value))
        except ValidationError as err:
            raise DomainError(
                _("“%(label)s”超出允许范围:%(detail)s")
                % {"label": model_field.verbose_name, "detail": " ".join(err.messages)},
                field=name,
            ) from None
