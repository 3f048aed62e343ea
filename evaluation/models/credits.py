"""Credit hours (学时): what each attendance status earns in a program (the rule itself is
evaluation.rules; the requirements are credits' policy data)."""

from django.core.validators import MaxValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from core.models import BaseModel
from programs.models import Program


class CreditPolicy(BaseModel):
    """How much of a session's credit hours each attendance status earns, per program.
    Programs without a row use the defaults below."""

    program = models.OneToOneField(
        Program, on_delete=models.CASCADE, related_name="credit_policy", verbose_name=_("培训项目")
    )
    late_percent = models.PositiveSmallIntegerField(
        _("迟到计学时(%)"), default=50, validators=[MaxValueValidator(100)]
    )
    left_early_percent = models.PositiveSmallIntegerField(
        _("早退计学时(%)"), default=50, validators=[MaxValueValidator(100)]
    )
    late_left_early_percent = models.PositiveSmallIntegerField(
        _("迟到且早退计学时(%)"), default=0, validators=[MaxValueValidator(100)]
    )
    leave_percent = models.PositiveSmallIntegerField(
        _("请假计学时(%)"), default=0, validators=[MaxValueValidator(100)]
    )

    class Meta:
        verbose_name = _("学时认定规则")
        verbose_name_plural = _("学时认定规则")
        constraints = [
            models.CheckConstraint(
                condition=Q(late_percent__lte=100)
                & Q(left_early_percent__lte=100)
                & Q(late_left_early_percent__lte=100)
                & Q(leave_percent__lte=100),
                name="creditpolicy_percent_le_100",
            )
        ]


DEFAULT_CREDIT_PERCENT = {"late": 50, "left_early": 50, "late_left_early": 0, "on_leave": 0}
