"""What the training produced: reflections, course evaluations, live scoring, call-on,
completion and certificates, credit hours, follow-up commitments (DESIGN.md §3 "evaluation")."""

import uuid
from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Length
from django.db.models.lookups import LessThanOrEqual
from django.utils.translation import gettext_lazy as _

from core.models import BaseModel
from programs.models import Program, Session

# --- Bounds of free text (characters) and numbers --------------------------------------------
# Each fits its purpose with room to spare; forms refuse more and the database checks it too.
PROMPT_MAX = 5000  # a writing task's instructions
REFLECTION_MAX = 30000  # an essay: min_chars is at most 20000 Chinese characters
COMMENT_MAX = 2000  # review comments, evaluation comments, revocation reasons
COMMITMENT_MAX = 2000  # a commitment's measures, one progress note
MIN_CHARS_MAX = 20000
CRITERIA_MAX = 20  # criteria in one scoring round
PRESENTERS_MAX = 200  # presenters in one scoring round
SCORE_MAX = Decimal("1000")  # the highest a criterion's range may reach
WEIGHT_MAX = Decimal("100")


def _max_length(field: str, limit: int, name: str) -> models.CheckConstraint:
    return models.CheckConstraint(condition=LessThanOrEqual(Length(field), limit), name=name)


# --- Reflections (学习体会) --------------------------------------------------------------------


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


# --- Course evaluation (满意度测评) --------------------------------------------------------------


class Rating(models.IntegerChoices):
    SATISFIED = 4, _("满意")
    FAIRLY = 3, _("较满意")
    NEUTRAL = 2, _("一般")
    DISSATISFIED = 1, _("不满意")


INDICATORS = (
    ("content", _("课程内容")),
    ("delivery", _("授课水平")),
    ("relevance", _("联系工作实际")),
    ("overall", _("总体评价")),
)


class EvaluationAnswer(models.Model):
    """One anonymous answer. Deliberately NOT a BaseModel: no user, no timestamp, a random
    (UUID) primary key. What is and is not true about linking it to its author:

    - No column or relation leads from an answer to a person; the receipt (who answered, on
      which day) has no link to the answer.
    - Every submission deletes and re-inserts all of the session's answers, ordered by their
      random ids, in the receipt's transaction (services.evaluation_submit). So on PostgreSQL
      all live answers of a session share one xmin, that of the latest submission, and their
      physical order (ctid) follows the random ids, not the order of answering; ordering by id
      (the default here) is random too.
    - Not covered: the latest submitter's receipt shares that xmin, which says only that their
      answer is among the session's; someone who reads the results before and after one more
      answer learns that answer from the difference (MIN_ANSWERS in selectors limits what is
      shown, not this); superseded row versions (until VACUUM), the write-ahead log and any
      statement logging still hold the history, so against a database superuser anonymity
      rests on how the server is run, not on this schema."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    session = models.ForeignKey(
        Session, on_delete=models.CASCADE, related_name="evaluation_answers", verbose_name=_("课程")
    )
    content = models.PositiveSmallIntegerField(_("课程内容"), choices=Rating.choices)
    delivery = models.PositiveSmallIntegerField(_("授课水平"), choices=Rating.choices)
    relevance = models.PositiveSmallIntegerField(_("联系工作实际"), choices=Rating.choices)
    overall = models.PositiveSmallIntegerField(_("总体评价"), choices=Rating.choices)
    comment = models.TextField(_("意见建议"), blank=True, max_length=COMMENT_MAX)

    class Meta:
        verbose_name = _("评教答卷")
        verbose_name_plural = _("评教答卷")
        # Ordered by the random id, never by insertion.
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(content__gte=1, content__lte=4)
                & Q(delivery__gte=1, delivery__lte=4)
                & Q(relevance__gte=1, relevance__lte=4)
                & Q(overall__gte=1, overall__lte=4),
                name="evaluationanswer_ratings_in_range",
            ),
            _max_length("comment", COMMENT_MAX, "evaluationanswer_comment_length"),
        ]

    def __str__(self):
        return f"{self.session_id} · {self.overall}"


class EvaluationReceipt(models.Model):
    """Who has evaluated a session (for completion and reminders), with no link to the answer.
    Only the day is kept. Receipt ids are sequential (they order the answerers), which is
    harmless because answers carry no order of their own (see EvaluationAnswer)."""

    session = models.ForeignKey(
        Session,
        on_delete=models.CASCADE,
        related_name="evaluation_receipts",
        verbose_name=_("课程"),
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="evaluation_receipts",
        verbose_name=_("人员"),
    )
    answered_on = models.DateField(_("评价日期"))

    class Meta:
        verbose_name = _("评教回执")
        verbose_name_plural = _("评教回执")
        constraints = [
            models.UniqueConstraint(fields=["session", "user"], name="evaluationreceipt_unique")
        ]

    def __str__(self):
        return f"{self.session_id} · {self.user_id}"


# --- Live scoring (现场打分、公开晒分) -------------------------------------------------------------


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


# --- Completion (结业) and certificates --------------------------------------------------------


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


# --- Credit hours (学时) ---------------------------------------------------------------------


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

# --- Follow-up (成果转化) --------------------------------------------------------------------


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
