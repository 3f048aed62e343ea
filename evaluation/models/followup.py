"""Follow-up (成果转化): commitments after a program and their progress."""

from django.conf import settings
from django.core.validators import MaxValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from core.models import BaseModel
from evaluation.models._common import COMMITMENT_MAX, _max_length
from programs.models import Program


class Commitment(BaseModel):
    """An action a trainee commits to after completing a program, followed up over time."""

    class Status(models.TextChoices):
        OPEN = "open", _("推进中")
        DONE = "done", _("已完成")

    program = models.ForeignKey(
        Program, on_delete=models.CASCADE, related_name="commitments", verbose_name=_("培训项目")
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="commitments",
        verbose_name=_("人员"),
    )
    title = models.CharField(_("承诺事项"), max_length=200)
    description = models.TextField(_("具体措施"), blank=True, max_length=COMMITMENT_MAX)
    due_date = models.DateField(_("完成时限"))
    progress = models.PositiveSmallIntegerField(
        _("进度(%)"), default=0, validators=[MaxValueValidator(100)]
    )
    status = models.CharField(
        _("状态"), max_length=6, choices=Status.choices, default=Status.OPEN, db_index=True
    )
    last_update_at = models.DateTimeField(_("最近更新"), null=True, blank=True)
    last_reminded_at = models.DateTimeField(_("最近提醒"), null=True, blank=True)

    class Meta:
        verbose_name = _("成果转化承诺")
        verbose_name_plural = _("成果转化承诺")
        ordering = ["due_date", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(progress__lte=100), name="commitment_progress_le_100"
            ),
            _max_length("description", COMMITMENT_MAX, "commitment_description_length"),
        ]

    def __str__(self):
        return self.title


class CommitmentUpdate(BaseModel):
    commitment = models.ForeignKey(
        Commitment, on_delete=models.CASCADE, related_name="updates", verbose_name=_("承诺事项")
    )
    note = models.TextField(_("进展情况"), max_length=COMMITMENT_MAX)
    progress = models.PositiveSmallIntegerField(_("进度(%)"), validators=[MaxValueValidator(100)])

    class Meta:
        verbose_name = _("承诺进展")
        verbose_name_plural = _("承诺进展")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(progress__lte=100), name="commitmentupdate_progress_le_100"
            ),
            _max_length("note", COMMITMENT_MAX, "commitmentupdate_note_length"),
        ]
