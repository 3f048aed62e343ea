"""Completion (结业) and certificates."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from core.models import BaseModel
from evaluation.models._common import COMMENT_MAX, _max_length
from programs.models import Program


class Completion(BaseModel):
    """A confirmed completion result: the rule check at confirmation time, with its reasons."""

    program = models.ForeignKey(
        Program, on_delete=models.CASCADE, related_name="completions", verbose_name=_("培训项目")
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="completions",
        verbose_name=_("人员"),
    )
    passed = models.BooleanField(_("准予结业"))
    reasons = models.JSONField(_("原因"), default=list)
    attendance_rate = models.DecimalField(_("出勤率"), max_digits=5, decimal_places=1, default=0)
    unexcused_absences = models.PositiveSmallIntegerField(default=0)
    score = models.DecimalField(_("得分"), max_digits=5, decimal_places=1, null=True, blank=True)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("确认人"),
    )
    confirmed_at = models.DateTimeField(_("确认时间"))

    class Meta:
        verbose_name = _("结业结果")
        verbose_name_plural = _("结业结果")
        ordering = ["program", "user__full_name"]
        constraints = [
            models.UniqueConstraint(fields=["program", "user"], name="completion_unique"),
            models.CheckConstraint(
                condition=Q(attendance_rate__gte=0, attendance_rate__lte=100)
                & (Q(score__isnull=True) | Q(score__gte=0, score__lte=100)),
                name="completion_figures_range",
            ),
        ]


class Certificate(BaseModel):
    """A completion certificate. Name, program and date are copied so the public verification
    page shows what was printed even if the person or program is later renamed."""

    completion = models.OneToOneField(
        Completion, on_delete=models.PROTECT, related_name="certificate", verbose_name=_("结业结果")
    )
    serial = models.CharField(_("证书编号"), max_length=40, unique=True)
    holder_name = models.CharField(_("姓名"), max_length=60)
    program_title = models.CharField(_("培训项目"), max_length=200)
    issued_on = models.DateField(_("发证日期"))
    # Set when a re-confirmation finds the holder no longer passes; cleared (same serial) if a
    # later confirmation finds them passing again. The public verification page says so.
    revoked_at = models.DateTimeField(_("撤销时间"), null=True, blank=True)
    revoked_reason = models.TextField(_("撤销原因"), blank=True, max_length=COMMENT_MAX)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("撤销人"),
    )

    class Meta:
        verbose_name = _("结业证书")
        verbose_name_plural = _("结业证书")
        ordering = ["serial"]
        constraints = [
            models.CheckConstraint(
                condition=Q(revoked_at__isnull=True, revoked_reason="")
                | Q(revoked_at__isnull=False),
                name="certificate_reason_only_when_revoked",
            ),
            _max_length("revoked_reason", COMMENT_MAX, "certificate_reason_length"),
        ]

    def __str__(self):
        return self.serial

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None
