"""Annual and supplementary training plans (年度培训计划 / 临时计划), item-by-item review by the
organization department, and the budget rules (培训经费) as policy data.

A unit files a plan for a year; each item is one planned class with its budget per cost category.
The organization department approves, returns (with comments) or rejects each item; an approved
item is recorded (备案). Changing an approved item sends it back for approval. Budget caps and
lecturer fee caps are rows an admin edits (effective dates, optionally for one unit subtree), not
code; `plans.rules` reads them.
"""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from core.models import BaseModel

MAX_HEADCOUNT = 2000  # the largest class the venue-free planning allows (a lecture series hall)
MAX_AMOUNT = Decimal("99999999.99")


class ClassCategory(models.TextChoices):
    """The three classes of training of the national training-fee rules, by the trainees' rank."""

    FIRST = "first", _("一类培训(省部级)")
    SECOND = "second", _("二类培训(厅局级)")
    THIRD = "third", _("三类培训(县处级及以下)")


class CostCategory(models.TextChoices):
    TEACHING = "teaching", _("师资费")
    LODGING = "lodging", _("住宿费")
    MEALS = "meals", _("伙食费")
    VENUE = "venue", _("场地费")
    MATERIALS = "materials", _("资料费")
    TRANSPORT = "transport", _("交通费")
    OTHER = "other", _("其他费用")


class TitleLevel(models.TextChoices):
    """Lecturer fee tiers by professional title."""

    EMINENT = "eminent", _("院士、全国知名专家")
    FULL = "full", _("正高级技术职称")
    ASSOCIATE = "associate", _("副高级技术职称")
    # The national rule sets no figure for this tier; a locality may (a LecturerFeeCap row).
    MIDDLE = "middle", _("中级及以下职称")


class TrainingPlan(BaseModel):
    class Kind(models.TextChoices):
        ANNUAL = "annual", _("年度计划")
        SUPPLEMENTARY = "supplementary", _("临时计划")

    class Status(models.TextChoices):
        DRAFT = "draft", _("草稿")
        SUBMITTED = "submitted", _("已报送")

    unit = models.ForeignKey(
        "accounts.OrgUnit",
        verbose_name=_("报送单位"),
        on_delete=models.PROTECT,
        related_name="training_plans",
    )
    year = models.PositiveSmallIntegerField(
        _("年度"), validators=[MinValueValidator(2000), MaxValueValidator(2100)]
    )
    kind = models.CharField(_("类型"), max_length=16, choices=Kind.choices, default=Kind.ANNUAL)
    status = models.CharField(
        _("状态"), max_length=12, choices=Status.choices, default=Status.DRAFT
    )
    title = models.CharField(_("名称"), max_length=120)
    note = models.TextField(_("说明"), blank=True, max_length=2000)
    submitted_at = models.DateTimeField(_("报送时间"), null=True, blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("报送人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("填报人"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = pgettext_lazy("model", "培训计划")
        verbose_name_plural = pgettext_lazy("models", "培训计划")
        ordering = ["-year", "unit__path", "kind", "id"]
        constraints = [
            # One annual plan per unit and year; supplementary plans as many as needed.
            models.UniqueConstraint(
                fields=["unit", "year"],
                condition=Q(kind="annual"),
                name="plan_one_annual_per_unit_year",
            ),
            models.CheckConstraint(
                condition=Q(year__gte=2000) & Q(year__lte=2100), name="plan_year_sane"
            ),
        ]

    def __str__(self):
        return self.title


class PlanItem(BaseModel):
    """One planned class (a row of the plan table) and its review state."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("未报送")
        PENDING = "pending", _("待审核")
        APPROVED = "approved", _("已备案")
        RETURNED = "returned", _("退回修改")
        REJECTED = "rejected", _("不予备案")

    plan = models.ForeignKey(
        TrainingPlan, verbose_name=_("培训计划"), on_delete=models.CASCADE, related_name="items"
    )
    title = models.CharField(_("班次名称"), max_length=120)
    audience = models.CharField(_("培训对象"), max_length=200)
    content = models.TextField(_("主要内容"), max_length=2000)
    class_category = models.CharField(
        _("培训类别"), max_length=8, choices=ClassCategory.choices, default=ClassCategory.THIRD
    )
    start_date = models.DateField(_("开始日期"))
    end_date = models.DateField(_("结束日期"))
    place = models.CharField(_("培训地点"), max_length=120)
    headcount = models.PositiveIntegerField(
        _("计划人数"), validators=[MinValueValidator(1), MaxValueValidator(MAX_HEADCOUNT)]
    )
    status = models.CharField(
        _("状态"), max_length=10, choices=Status.choices, default=Status.DRAFT
    )
    over_cap_reason = models.TextField(_("超标准说明"), blank=True, max_length=1000)
    review_comment = models.TextField(_("审核意见"), blank=True, max_length=1000)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("审核人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    reviewed_at = models.DateTimeField(_("审核时间"), null=True, blank=True)
    revision = models.PositiveIntegerField(_("修订次数"), default=0)

    class Meta:
        verbose_name = pgettext_lazy("model", "计划班次")
        verbose_name_plural = pgettext_lazy("models", "计划班次")
        ordering = ["start_date", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(end_date__gte=F("start_date")), name="planitem_end_after_start"
            ),
            models.CheckConstraint(
                condition=Q(headcount__gte=1) & Q(headcount__lte=MAX_HEADCOUNT),
                name="planitem_headcount_range",
            ),
        ]

    def __str__(self):
        return self.title

    @property
    def days(self) -> int:
        return (self.end_date - self.start_date).days + 1

    @property
    def editable(self) -> bool:
        return self.status in (self.Status.DRAFT, self.Status.RETURNED, self.Status.APPROVED)


class BudgetLine(models.Model):
    """The planned amount of one cost category of one item (yuan)."""

    item = models.ForeignKey(
        PlanItem, verbose_name=_("计划班次"), on_delete=models.CASCADE, related_name="budget"
    )
    category = models.CharField(_("费用类别"), max_length=12, choices=CostCategory.choices)
    amount = models.DecimalField(
        _("金额(元)"),
        max_digits=10,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(MAX_AMOUNT)],
    )

    class Meta:
        verbose_name = pgettext_lazy("model", "预算明细")
        verbose_name_plural = pgettext_lazy("models", "预算明细")
        constraints = [
            models.UniqueConstraint(fields=["item", "category"], name="budget_one_per_category"),
            models.CheckConstraint(condition=Q(amount__gte=0), name="budget_amount_not_negative"),
        ]

    def __str__(self):
        return f"{self.get_category_display()} {self.amount}"


class CostCap(BaseModel):
    """The per-person-day cap of one class category from a date on, nationally (unit empty) or
    for a unit's subtree. Days beyond `reduce_after_days` count at `reduced_percent` and days
    beyond `reduce_more_after_days` at `reduced_more_percent` of the cap."""

    class_category = models.CharField(_("培训类别"), max_length=8, choices=ClassCategory.choices)
    unit = models.ForeignKey(
        "accounts.OrgUnit",
        verbose_name=_("适用单位(空为全国标准)"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    effective_from = models.DateField(_("生效日期"))
    per_person_day = models.DecimalField(
        _("综合定额(元/人天)"),
        max_digits=8,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0"))],
    )
    reduce_after_days = models.PositiveSmallIntegerField(_("超过天数后按比例(天)"), default=15)
    reduced_percent = models.PositiveSmallIntegerField(
        _("比例(%)"), default=80, validators=[MaxValueValidator(100)]
    )
    reduce_more_after_days = models.PositiveSmallIntegerField(_("再超过天数后(天)"), default=30)
    reduced_more_percent = models.PositiveSmallIntegerField(
        _("再按比例(%)"), default=70, validators=[MaxValueValidator(100)]
    )

    class Meta:
        verbose_name = pgettext_lazy("model", "培训费综合定额")
        verbose_name_plural = pgettext_lazy("models", "培训费综合定额")
        ordering = ["class_category", "-effective_from"]
        constraints = [
            models.UniqueConstraint(
                fields=["class_category", "unit", "effective_from"],
                condition=Q(unit__isnull=False),
                name="costcap_one_per_unit_date",
            ),
            models.UniqueConstraint(
                fields=["class_category", "effective_from"],
                condition=Q(unit__isnull=True),
                name="costcap_one_national_per_date",
            ),
            models.CheckConstraint(
                condition=Q(per_person_day__gte=0)
                & Q(reduced_percent__lte=100)
                & Q(reduced_more_percent__lte=100)
                & Q(reduce_more_after_days__gte=F("reduce_after_days")),
                name="costcap_sane",
            ),
        ]

    def __str__(self):
        return f"{self.get_class_category_display()} {self.per_person_day}"


class LecturerFeeCap(BaseModel):
    """The highest lecturer fee per teaching hour (学时) for a title tier, from a date on."""

    title_level = models.CharField(_("职称层级"), max_length=10, choices=TitleLevel.choices)
    unit = models.ForeignKey(
        "accounts.OrgUnit",
        verbose_name=_("适用单位(空为全国标准)"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    effective_from = models.DateField(_("生效日期"))
    per_hour = models.DecimalField(
        _("每学时上限(元)"),
        max_digits=8,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0"))],
    )

    class Meta:
        verbose_name = pgettext_lazy("model", "讲课费标准")
        verbose_name_plural = pgettext_lazy("models", "讲课费标准")
        ordering = ["title_level", "-effective_from"]
        constraints = [
            models.UniqueConstraint(
                fields=["title_level", "unit", "effective_from"],
                condition=Q(unit__isnull=False),
                name="feecap_one_per_unit_date",
            ),
            models.UniqueConstraint(
                fields=["title_level", "effective_from"],
                condition=Q(unit__isnull=True),
                name="feecap_one_national_per_date",
            ),
            models.CheckConstraint(condition=Q(per_hour__gte=0), name="feecap_not_negative"),
        ]

    def __str__(self):
        return f"{self.get_title_level_display()} {self.per_hour}"


class PlanDeadline(BaseModel):
    """The date by which the annual plans of a year are due, for a unit subtree (the most specific
    row applies; none means no deadline)."""

    year = models.PositiveSmallIntegerField(_("年度"))
    unit = models.ForeignKey(
        "accounts.OrgUnit", verbose_name=_("适用单位"), on_delete=models.CASCADE, related_name="+"
    )
    submit_by = models.DateField(_("报送截止日期"))

    class Meta:
        verbose_name = pgettext_lazy("model", "计划报送截止日期")
        verbose_name_plural = pgettext_lazy("models", "计划报送截止日期")
        constraints = [
            models.UniqueConstraint(fields=["year", "unit"], name="plandeadline_one_per_unit_year")
        ]
