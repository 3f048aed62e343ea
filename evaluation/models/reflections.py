"""Reflections (学习体会): assignments, essays and their grades, similarity flags."""

import uuid

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from core.models import BaseModel
from evaluation.models._common import (
    COMMENT_MAX,
    MIN_CHARS_MAX,
    PROMPT_MAX,
    REFLECTION_MAX,
    _max_length,
)
from programs.models import Program


class ReflectionAssignment(BaseModel):
    """A writing task set for every trainee of a program."""

    program = models.ForeignKey(
        Program,
        on_delete=models.CASCADE,
        related_name="reflection_assignments",
        verbose_name=_("培训项目"),
    )
    title = models.CharField(_("标题"), max_length=200)
    prompt = models.TextField(_("写作要求"), max_length=PROMPT_MAX)
    deadline = models.DateTimeField(_("截止时间"))
    min_chars = models.PositiveIntegerField(
        _("最少字数(汉字)"),
        default=800,
        validators=[MinValueValidator(1), MaxValueValidator(MIN_CHARS_MAX)],
    )
    # Comma-separated lower-case extensions, e.g. "pdf,docx"; empty means no attachment.
    attachment_types = models.CharField(_("允许附件类型"), max_length=100, blank=True)
    allow_late = models.BooleanField(_("允许逾期提交"), default=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("创建人"),
    )

    class Meta:
        verbose_name = _("心得体会任务")
        verbose_name_plural = _("心得体会任务")
        ordering = ["deadline", "id"]
        constraints = [
            _max_length("prompt", PROMPT_MAX, "assignment_prompt_length"),
            models.CheckConstraint(
                condition=Q(min_chars__gte=1, min_chars__lte=MIN_CHARS_MAX),
                name="assignment_min_chars_range",
            ),
        ]

    def __str__(self):
        return self.title

    @property
    def allowed_extensions(self) -> list[str]:
        return [
            e.strip().lower().lstrip(".") for e in self.attachment_types.split(",") if e.strip()
        ]


class Grade(models.TextChoices):
    EXCELLENT = "excellent", _("优秀")
    GOOD = "good", _("良好")
    PASS = "pass", _("合格")
    FAIL = "fail", _("不合格")


def reflection_upload_to(instance, filename):
    return f"reflections/{instance.assignment_id}/{uuid.uuid4().hex}/{filename}"


class Reflection(BaseModel):
    """One trainee's essay for one assignment: a draft until submitted, then reviewed."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("草稿")
        SUBMITTED = "submitted", _("已提交")
        RETURNED = "returned", _("退回修改")
        REVIEWED = "reviewed", _("已评阅")

    assignment = models.ForeignKey(
        ReflectionAssignment,
        on_delete=models.CASCADE,
        related_name="reflections",
        verbose_name=_("心得体会任务"),
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="reflections",
        verbose_name=_("作者"),
    )
    title = models.CharField(_("题目"), max_length=200, blank=True)
    body = models.TextField(_("正文"), blank=True, max_length=REFLECTION_MAX)
    status = models.CharField(
        _("状态"), max_length=10, choices=Status.choices, default=Status.DRAFT, db_index=True
    )
    # The client's edit counter: an autosave that arrives after a newer one is ignored.
    draft_rev = models.BigIntegerField(_("编辑序号"), default=0)
    draft_saved_at = models.DateTimeField(_("草稿保存时间"), null=True, blank=True)
    submitted_at = models.DateTimeField(_("提交时间"), null=True, blank=True)
    is_late = models.BooleanField(_("逾期提交"), default=False)
    attachment = models.FileField(_("附件"), upload_to=reflection_upload_to, blank=True)
    grade = models.CharField(_("等次"), max_length=10, choices=Grade.choices, blank=True)
    score = models.DecimalField(
        _("得分"),
        max_digits=5,
        decimal_places=1,
        null=True,
        blank=True,
        validators=[MinValueValidator(0), MaxValueValidator(100)],
    )
    review_comment = models.TextField(_("评语"), blank=True, max_length=COMMENT_MAX)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("评阅人"),
    )
    reviewed_at = models.DateTimeField(_("评阅时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("心得体会")
        verbose_name_plural = _("心得体会")
        ordering = ["assignment", "author__full_name", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["assignment", "author"], name="reflection_one_per_author"
            ),
            models.CheckConstraint(
                condition=Q(score__isnull=True) | Q(score__gte=0, score__lte=100),
                name="reflection_score_range",
            ),
            _max_length("body", REFLECTION_MAX, "reflection_body_length"),
            _max_length("review_comment", COMMENT_MAX, "reflection_comment_length"),
        ]

    def __str__(self):
        return f"{self.author} · {self.assignment}"

    @property
    def editable(self) -> bool:
        return self.status in (self.Status.DRAFT, self.Status.RETURNED)


class SimilarityFlag(models.Model):
    """Two classmates' submitted essays that share too much text; `passages` holds the overlap."""

    assignment = models.ForeignKey(
        ReflectionAssignment,
        on_delete=models.CASCADE,
        related_name="similarity_flags",
        verbose_name=_("心得体会任务"),
    )
    first = models.ForeignKey(
        Reflection, on_delete=models.CASCADE, related_name="+", verbose_name=_("心得甲")
    )
    second = models.ForeignKey(
        Reflection, on_delete=models.CASCADE, related_name="+", verbose_name=_("心得乙")
    )
    score = models.FloatField(_("相似度"))
    passages = models.JSONField(_("重合段落"), default=list)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("相似提示")
        verbose_name_plural = _("相似提示")
        ordering = ["-score"]
        constraints = [
            models.UniqueConstraint(fields=["first", "second"], name="similarity_pair_unique"),
            models.CheckConstraint(
                condition=Q(first__lt=F("second")), name="similarity_pair_ordered"
            ),
        ]

    def __str__(self):
        return f"{self.first_id} ~ {self.second_id} ({self.score:.2f})"
