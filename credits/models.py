"""The cadre's training record (培训档案): credit entries from every source and the 2023 rules as
policy data.

Policy rows (requirements by rank, conversions, caps, approval levels) carry an effective date
and optionally a unit: the row that applies to a cadre is the one in force whose unit is the
nearest ancestor of the cadre's unit (no unit: the national row). `credits.rules` reads them.

Hours earned in Lectern sessions are never stored here: they are read through evaluation's one
credit rule (evaluation.selectors.credits). A CreditEntry records every other source.
"""

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from accounts.models import Rank
from core.models import BaseModel

MAX_ENTRY_HOURS = Decimal("1000.0")  # one record: a year of full-time study at most
MAX_POLICY_HOURS = Decimal("9999.9")


class SourceKind(models.TextChoices):
    LECTERN_SESSION = "lectern_session", _("讲台课程")
    EXTERNAL_CLASS = "external_class", _("外部培训班")
    ONLINE = "online", _("网络学院")
    STUDY_GROUP = "study_group", _("中心组学习")
    TEACHING = "teaching", _("授课")
    PAPER = "paper", _("论文")
    OTHER = "other", _("其他")


# Kinds a person files (Lectern sessions are derived, never filed).
FILED_KINDS = [k for k in SourceKind if k != SourceKind.LECTERN_SESSION]


class Category(models.TextChoices):
    REQUIRED = "required", _("必修")
    ELECTIVE = "elective", _("选修")


class Mode(models.TextChoices):
    FULL_TIME = "full_time", _("脱产")
    ONLINE = "online", _("在线")
    PART_TIME = "part_time", _("业余")
    OTHER = "other", _("其他")


class PaperLevel(models.TextChoices):
    NATIONAL = "national", _("国家级刊物")
    PROVINCIAL = "provincial", _("省级刊物")
    CITY = "city", _("市级及以下")


def _unit_fk(related_name):
    return models.ForeignKey(
        "accounts.OrgUnit",
        verbose_name=_("适用单位"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name=related_name,
        help_text=_("留空表示全国通用;填写则适用于该单位及其下级单位。"),
    )


class Requirement(BaseModel):
    """What a rank must complete: hours a year and/or hours per five years, and the online
    minimum a year (《干部教育培训工作条例》2023)."""

    rank = models.CharField(_("职级"), max_length=12, choices=Rank.choices)
    unit = _unit_fk("credit_requirements")
    effective_from = models.DateField(_("生效日期"))
    annual_hours = models.DecimalField(
        _("每年学时"), max_digits=5, decimal_places=1, null=True, blank=True
    )
    five_year_hours = models.DecimalField(
        _("五年累计学时"), max_digits=5, decimal_places=1, null=True, blank=True
    )
    online_hours = models.DecimalField(
        _("每年网络学习学时"), max_digits=5, decimal_places=1, default=Decimal(0)
    )
    note = models.CharField(_("依据"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("学时要求")
        verbose_name_plural = _("学时要求")
        ordering = ["rank", "effective_from"]
        constraints = [
            models.UniqueConstraint(
                fields=["rank", "unit", "effective_from"], name="credit_req_unique"
            ),
            models.UniqueConstraint(
                fields=["rank", "effective_from"],
                condition=Q(unit__isnull=True),
                name="credit_req_unique_national",
            ),
            models.CheckConstraint(
                condition=(Q(annual_hours__isnull=True) | Q(annual_hours__gte=0))
                & (Q(five_year_hours__isnull=True) | Q(five_year_hours__gte=0))
                & Q(online_hours__gte=0),
                name="credit_req_hours_nonneg",
            ),
        ]

    def __str__(self):
        return f"{self.get_rank_display()} {self.effective_from}"


class Conversion(BaseModel):
    """One conversion or cap row: how much a unit of study is worth, in 学时."""

    class Kind(models.TextChoices):
        FULL_DAY = "full_day", _("脱产培训每天折算学时")
        HALF_DAY_LECTURE = "half_day_lecture", _("半天专题讲座折算学时")
        TEACHING_FACTOR = "teaching_factor", _("授课学时系数")
        ONLINE_TIER = "online_tier", _("网络课程时长档次")
        PAPER = "paper", _("论文按级别折算学时")
        CATEGORY_CAP = "category_cap", _("类别年度上限")

    kind = models.CharField(_("规则"), max_length=20, choices=Kind.choices)
    unit = _unit_fk("credit_conversions")
    effective_from = models.DateField(_("生效日期"))
    # online_tier: the shortest course (minutes) the tier applies to; paper: the level;
    # category_cap: the source kind capped. Empty for the single-value rules.
    key = models.CharField(_("条件"), max_length=20, blank=True, default="")
    value = models.DecimalField(_("数值"), max_digits=6, decimal_places=1)

    class Meta:
        verbose_name = _("折算规则")
        verbose_name_plural = _("折算规则")
        ordering = ["kind", "key", "effective_from"]
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "key", "unit", "effective_from"], name="credit_conv_unique"
            ),
            models.UniqueConstraint(
                fields=["kind", "key", "effective_from"],
                condition=Q(unit__isnull=True),
                name="credit_conv_unique_national",
            ),
            models.CheckConstraint(
                condition=Q(value__gte=0) & Q(value__lte=MAX_POLICY_HOURS),
                name="credit_conv_value_bounded",
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} {self.key} = {self.value}"


class ApprovalPolicy(BaseModel):
    """Approval levels: whether the cadre's unit reviews before the organization department."""

    unit = _unit_fk("credit_approval_policies")
    effective_from = models.DateField(_("生效日期"))
    unit_review = models.BooleanField(_("需单位审核"), default=True)

    class Meta:
        verbose_name = _("审核层级")
        verbose_name_plural = _("审核层级")
        ordering = ["effective_from"]


class CreditEntry(BaseModel):
    """One training record from a source outside Lectern's sessions."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("草稿")
        UNIT_PENDING = "unit_pending", _("待单位审核")
        DEPT_PENDING = "dept_pending", _("待组织部审核")
        APPROVED = "approved", _("已认定")
        REJECTED = "rejected", _("已退回")
        REVOKED = "revoked", _("已撤销")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("干部"),
        on_delete=models.PROTECT,
        related_name="credit_entries",
    )
    kind = models.CharField(_("来源"), max_length=20, choices=SourceKind.choices)
    title = models.CharField(_("名称"), max_length=200)
    organizer_name = models.CharField(_("举办单位"), max_length=120, blank=True)
    hours = models.DecimalField(_("学时"), max_digits=5, decimal_places=1)
    start_date = models.DateField(_("开始日期"))
    end_date = models.DateField(_("结束日期"))
    category = models.CharField(
        _("类别"), max_length=10, choices=Category.choices, default=Category.REQUIRED
    )
    mode = models.CharField(_("方式"), max_length=10, choices=Mode.choices, default=Mode.FULL_TIME)
    evidence = models.FileField(_("证明材料"), upload_to="credits/evidence/%Y/", blank=True)
    evidence_name = models.CharField(_("证明材料文件名"), max_length=200, blank=True)
    evidence_link = models.URLField(_("证明链接"), blank=True, max_length=500)
    status = models.CharField(
        _("状态"), max_length=14, choices=Status.choices, default=Status.DRAFT, db_index=True
    )
    reject_reason = models.CharField(_("退回原因"), max_length=500, blank=True)
    filed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("填报人"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    unit_decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("单位审核人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    unit_decided_at = models.DateTimeField(_("单位审核时间"), null=True, blank=True)
    dept_decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("组织部审核人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    dept_decided_at = models.DateTimeField(_("组织部审核时间"), null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("撤销人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    revoked_at = models.DateTimeField(_("撤销时间"), null=True, blank=True)
    revoke_reason = models.CharField(_("撤销原因"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("学时记录")
        verbose_name_plural = _("学时记录")
        ordering = ["-start_date", "id"]
        indexes = [models.Index(fields=["user", "start_date"], name="credit_entry_user_date")]
        constraints = [
            models.CheckConstraint(
                condition=Q(hours__gte=0) & Q(hours__lte=MAX_ENTRY_HOURS),
                name="credit_entry_hours_bounded",
            ),
            models.CheckConstraint(
                condition=Q(end_date__gte=F("start_date")), name="credit_entry_end_after_start"
            ),
            models.CheckConstraint(
                condition=~Q(kind=SourceKind.LECTERN_SESSION), name="credit_entry_not_lectern"
            ),
            # The same course on the same day counts once (a rejected or revoked record may be
            # filed again).
            models.UniqueConstraint(
                fields=["user", "title", "start_date"],
                condition=~Q(status__in=["rejected", "revoked"]),
                name="credit_entry_no_duplicate_live",
            ),
            models.CheckConstraint(
                condition=Q(status="revoked", revoked_at__isnull=False) | ~Q(status="revoked"),
                name="credit_entry_revoked_has_time",
            ),
        ]

    def __str__(self):
        return self.title

    @property
    def year(self) -> int:
        return self.start_date.year


class OnlineImport(BaseModel):
    """One upload of the online college's yearly export, previewed before it is confirmed.
    `rows` holds every row as read and matched (see credits.online_import)."""

    class Status(models.TextChoices):
        PREVIEW = "preview", _("待确认")
        COMMITTED = "committed", _("已导入")

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("导入人"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    filename = models.CharField(_("文件名"), max_length=200)
    status = models.CharField(
        _("状态"), max_length=10, choices=Status.choices, default=Status.PREVIEW
    )
    rows = models.JSONField(_("数据行"), default=list)
    imported = models.PositiveIntegerField(_("导入条数"), default=0)

    class Meta:
        verbose_name = _("网络学院导入")
        verbose_name_plural = _("网络学院导入")
        ordering = ["-created_at"]


class CadreProfile(BaseModel):
    """What the training record needs to know of a cadre beyond their account: the date they
    were appointed to their present rank (任现职级时间). The five-year window of 县处级 and above
    runs from it, and a promotion without enough training is caught up within a year of it."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("干部"),
        on_delete=models.CASCADE,
        related_name="credit_profile",
    )
    rank_appointed_on = models.DateField(_("任现职级时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("干部任职信息")
        verbose_name_plural = _("干部任职信息")


class CreditYearRollup(models.Model):
    """One cadre's progress in one year as `credits.rules.evaluate` computed it, kept so that
    the compliance list and the promotion check at province scale read one indexed row per
    cadre. Refreshed when an entry is approved, edited or revoked, when attendance or
    enrolments change (credits.tasks), when the policy changes, and rebuilt nightly."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="credit_rollups"
    )
    year = models.PositiveSmallIntegerField()
    unit = models.ForeignKey(
        "accounts.OrgUnit", null=True, on_delete=models.SET_NULL, related_name="+"
    )
    unit_path = models.CharField(max_length=255, default="")
    rank = models.CharField(max_length=12, default="")
    # Counted hours of the year by source (after the caps), rounded to 0.1.
    hours_lectern = models.DecimalField(max_digits=7, decimal_places=1, default=0)
    hours_external = models.DecimalField(max_digits=7, decimal_places=1, default=0)
    hours_online = models.DecimalField(max_digits=7, decimal_places=1, default=0)
    hours_study_group = models.DecimalField(max_digits=7, decimal_places=1, default=0)
    hours_teaching = models.DecimalField(max_digits=7, decimal_places=1, default=0)
    hours_paper = models.DecimalField(max_digits=7, decimal_places=1, default=0)
    hours_other = models.DecimalField(max_digits=7, decimal_places=1, default=0)
    year_total = models.DecimalField(max_digits=7, decimal_places=1, default=0)
    window_total = models.DecimalField(max_digits=8, decimal_places=1, default=0)
    required_annual = models.DecimalField(max_digits=6, decimal_places=1, null=True)
    required_window = models.DecimalField(max_digits=6, decimal_places=1, null=True)
    required_online = models.DecimalField(max_digits=6, decimal_places=1, default=0)
    annual_missing = models.DecimalField(max_digits=7, decimal_places=1, default=0)
    window_missing = models.DecimalField(max_digits=7, decimal_places=1, default=0)
    online_missing = models.DecimalField(max_digits=7, decimal_places=1, default=0)
    catch_up_missing = models.DecimalField(max_digits=7, decimal_places=1, default=0)
    missing = models.DecimalField(max_digits=8, decimal_places=1, default=0)
    has_requirement = models.BooleanField(default=False)
    met = models.BooleanField(default=True)
    refreshed_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "year"], name="credit_rollup_user_year")
        ]
        indexes = [
            # the compliance list: filter (year, met), order (-missing, unit_path, user) and the
            # bounded count read the index in order and stop at the page / the cap
            models.Index(
                fields=["year", "met", "-missing", "unit_path", "user"], name="credit_rollup_list"
            ),
            models.Index(
                fields=["year", "-missing", "unit_path", "user"], name="credit_rollup_all"
            ),
            models.Index(fields=["year", "unit_path"], name="credit_rollup_unit"),
            # unit_path LIKE 'prefix%' (a unit's subtree, an organizer's scope) on PostgreSQL
            models.Index(
                fields=["unit_path", "year"],
                name="credit_rollup_path_like",
                opclasses=["varchar_pattern_ops", "int2_ops"],
            ),
            models.Index(fields=["year", "rank", "met"], name="credit_rollup_rank"),
        ]

    def __str__(self):
        return f"{self.user_id} {self.year}"


class CreditRollupState(models.Model):
    """When the changed-records refresh last ran (one row)."""

    last_run = models.DateTimeField()

    def __str__(self):
        return str(self.last_run)
