"""Live scoring (现场打分、公开晒分) and random call-on (现场点名)."""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from core.models import BaseModel
from evaluation.models._common import SCORE_MAX, WEIGHT_MAX
from programs.models import Program, Session


class ScoringRound(BaseModel):
    program = models.ForeignKey(
        Program, on_delete=models.CASCADE, related_name="scoring_rounds", verbose_name=_("培训项目")
    )
    title = models.CharField(_("名称"), max_length=200)
    drop_extremes = models.BooleanField(_("去掉一个最高分和一个最低分"), default=False)
    locked_at = models.DateTimeField(_("锁定时间"), null=True, blank=True)
    locked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("锁定人"),
    )

    class Meta:
        verbose_name = _("现场打分")
        verbose_name_plural = _("现场打分")
        ordering = ["-created_at"]

    def __str__(self):
        return self.title

    @property
    def is_locked(self) -> bool:
        return self.locked_at is not None


class ScoringCriterion(models.Model):
    round = models.ForeignKey(
        ScoringRound, on_delete=models.CASCADE, related_name="criteria", verbose_name=_("评分轮次")
    )
    name = models.CharField(_("评分项"), max_length=100)
    weight = models.DecimalField(
        _("权重"),
        max_digits=5,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0.01")), MaxValueValidator(WEIGHT_MAX)],
    )
    min_score = models.DecimalField(
        _("最低分"),
        max_digits=5,
        decimal_places=1,
        default=0,
        validators=[MinValueValidator(0), MaxValueValidator(SCORE_MAX)],
    )
    max_score = models.DecimalField(
        _("最高分"),
        max_digits=5,
        decimal_places=1,
        default=10,
        validators=[MinValueValidator(0), MaxValueValidator(SCORE_MAX)],
    )
    position = models.PositiveSmallIntegerField(_("排序"), default=0)

    class Meta:
        verbose_name = _("评分项")
        verbose_name_plural = _("评分项")
        ordering = ["round", "position", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(max_score__gt=F("min_score")), name="criterion_range"
            ),
            models.CheckConstraint(condition=Q(weight__gt=0), name="criterion_weight_positive"),
            models.CheckConstraint(
                condition=Q(weight__lte=WEIGHT_MAX, min_score__gte=0, max_score__lte=SCORE_MAX),
                name="criterion_bounds",
            ),
        ]

    def __str__(self):
        return self.name


class Presenter(models.Model):
    round = models.ForeignKey(
        ScoringRound,
        on_delete=models.CASCADE,
        related_name="presenters",
        verbose_name=_("评分轮次"),
    )
    name = models.CharField(_("姓名"), max_length=60)
    position = models.CharField(_("职务"), max_length=120, blank=True)
    topic = models.CharField(_("汇报题目"), max_length=200, blank=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("人员"),
    )
    order = models.PositiveSmallIntegerField(_("出场顺序"), default=0)

    class Meta:
        verbose_name = _("汇报人")
        verbose_name_plural = _("汇报人")
        ordering = ["round", "order", "id"]

    def __str__(self):
        return self.name


class Judge(models.Model):
    round = models.ForeignKey(
        ScoringRound, on_delete=models.CASCADE, related_name="judges", verbose_name=_("评分轮次")
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="judging",
        verbose_name=_("人员"),
    )

    class Meta:
        verbose_name = _("评委")
        verbose_name_plural = _("评委")
        constraints = [models.UniqueConstraint(fields=["round", "user"], name="judge_unique")]

    def __str__(self):
        return str(self.user)


class ScoreSheet(models.Model):
    """One judge's scores for one presenter; the unique constraint forbids scoring twice."""

    round = models.ForeignKey(
        ScoringRound, on_delete=models.CASCADE, related_name="sheets", verbose_name=_("评分轮次")
    )
    presenter = models.ForeignKey(
        Presenter, on_delete=models.CASCADE, related_name="sheets", verbose_name=_("汇报人")
    )
    judge = models.ForeignKey(
        Judge, on_delete=models.CASCADE, related_name="sheets", verbose_name=_("评委")
    )
    # Weighted total on a 0–100 scale, fixed when the sheet is written.
    total = models.DecimalField(_("加权得分"), max_digits=6, decimal_places=2)
    values = models.JSONField(_("各项得分"), default=dict)  # criterion id (str) -> score
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("评分表")
        verbose_name_plural = _("评分表")
        constraints = [
            models.UniqueConstraint(fields=["presenter", "judge"], name="scoresheet_one_per_judge"),
            models.CheckConstraint(
                condition=Q(total__gte=0, total__lte=100), name="scoresheet_total_range"
            ),
        ]

    def __str__(self):
        return f"{self.judge} → {self.presenter}: {self.total}"


# --- Random call-on (现场点名) -------------------------------------------------------------------


class CallOnPick(models.Model):
    session = models.ForeignKey(
        Session, on_delete=models.CASCADE, related_name="callon_picks", verbose_name=_("课程")
    )
    program = models.ForeignKey(
        Program, on_delete=models.CASCADE, related_name="callon_picks", verbose_name=_("培训项目")
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", verbose_name=_("人员")
    )
    picked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("点名人"),
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("现场点名")
        verbose_name_plural = _("现场点名")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["program", "user"])]

    def __str__(self):
        return f"{self.session} · {self.user}"
