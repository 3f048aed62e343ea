"""The programs app's data model: programs and families, sessions, venues, lecturers, costs and
the attendance/completion policy field lists.

Over 500 lines because it is one cohesive model: the tables reference each other and carry their
database constraints (checks, uniques, indexes) beside their fields."""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from accounts.models import OrgUnit
from core.models import BaseModel
from plans.models import MAX_AMOUNT, CostCategory, TitleLevel

# Sane bounds of every number an organizer types (issue 12 item 12): enforced by the model's
# validators (so forms and services refuse with a message) and by database check constraints.
CAPACITY_MAX = 10000  # people in one program / seats in one venue
PROGRAM_HOURS_MAX = Decimal("1000")  # 总学时 of a program
SESSION_HOURS_MAX = Decimal("24")  # 学时 of one session
WINDOW_MINUTES_MAX = 1440  # check-in / check-out windows: at most a day
GRACE_MINUTES_MAX = 240
ABSENCES_MAX = 1000
COHORT_MAX = 999
SCORE_MAX = Decimal("100")


def _between(low, high):
    return [MinValueValidator(low), MaxValueValidator(high)]


def _minutes(label, default, high=WINDOW_MINUTES_MAX):
    return models.PositiveSmallIntegerField(label, default=default, validators=_between(0, high))


def _percent(label, default):
    return models.PositiveSmallIntegerField(label, default=default, validators=_between(0, 100))


def _range_check(name, field, low, high, *, nullable=False):
    q = Q(**{f"{field}__gte": low, f"{field}__lte": high})
    if nullable:
        q |= Q(**{f"{field}__isnull": True})
    return models.CheckConstraint(condition=q, name=name)


class ProgramFamily(BaseModel):
    """A named series of cohorts, e.g. 局长讲堂 (第1期, 第2期, …)."""

    name = models.CharField(_("名称"), max_length=120)
    organizing_unit = models.ForeignKey(
        OrgUnit, verbose_name=_("主办单位"), on_delete=models.PROTECT, related_name="+"
    )
    description = models.TextField(_("简介"), blank=True)

    class Meta:
        verbose_name = pgettext_lazy("model", "项目系列")
        verbose_name_plural = pgettext_lazy("models", "项目系列")
        ordering = ["name"]

    def __str__(self):
        return self.name


# A program's attendance and completion policy, in the order the program form shows them: the one
# list the program's services, form and copies read (attendance.rules.Policy holds the rules).
ATTENDANCE_POLICY_FIELDS = (
    "checkin_opens_before",
    "late_grace_minutes",
    "checkin_closes_after",
    "checkout_opens_before",
    "checkout_closes_after",
    "require_checkout",
    "leave_counts_as_attended",
    "attendance_warning_rate",
)
COMPLETION_POLICY_FIELDS = (
    "completion_min_attendance_rate",
    "completion_max_unexcused_absences",
    "completion_requires_reflection",
    "completion_min_score",
)


class Program(BaseModel):
    """A training class (培训班) or lecture series (讲堂) with its policies."""

    class Level(models.TextChoices):
        PROVINCIAL = "provincial", _("省级")
        CITY = "city", _("市级")
        COUNTY = "county", _("县级")
        DEPARTMENT = "department", _("部门")

    class Kind(models.TextChoices):
        TRAINING_CLASS = "class", _("专题培训班")
        LECTURE_SERIES = "series", _("系列讲座")
        ONLINE_COURSE = "online", _("网络课程")

    class Status(models.TextChoices):
        DRAFT = "draft", _("草稿")
        PUBLISHED = "published", _("已发布")
        RUNNING = "running", _("进行中")
        COMPLETED = "completed", _("已结束")
        ARCHIVED = "archived", _("已归档")

    code = models.CharField(_("编号"), max_length=40, unique=True)
    title = models.CharField(_("名称"), max_length=200)
    theme = models.CharField(_("主题"), max_length=200, blank=True)
    description = models.TextField(_("简介"), blank=True)
    level = models.CharField(_("级别"), max_length=12, choices=Level.choices)
    kind = models.CharField(_("类型"), max_length=10, choices=Kind.choices)
    organizing_unit = models.ForeignKey(
        OrgUnit, verbose_name=_("主办单位"), on_delete=models.PROTECT, related_name="programs"
    )
    family = models.ForeignKey(
        ProgramFamily,
        verbose_name=_("项目系列"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="programs",
    )
    cohort_number = models.PositiveSmallIntegerField(
        _("期数"), null=True, blank=True, validators=_between(1, COHORT_MAX)
    )
    start_date = models.DateField(_("开始日期"))
    end_date = models.DateField(_("结束日期"))
    capacity = models.PositiveIntegerField(
        _("计划人数"), default=50, validators=_between(0, CAPACITY_MAX)
    )
    target_ranks = models.JSONField(_("培训对象职级"), default=list, blank=True)
    status = models.CharField(
        _("状态"), max_length=10, choices=Status.choices, default=Status.DRAFT, db_index=True
    )
    credit_hours = models.DecimalField(
        _("总学时"),
        max_digits=6,
        decimal_places=1,
        default=Decimal("0"),
        validators=_between(Decimal(0), PROGRAM_HOURS_MAX),
    )

    # Attendance policy: minutes relative to each session's start and end.
    checkin_opens_before = _minutes(_("签到提前开放(分钟)"), 30)
    late_grace_minutes = _minutes(_("迟到宽限(分钟)"), 5, GRACE_MINUTES_MAX)
    checkin_closes_after = _minutes(_("开课后停止签到(分钟)"), 60)
    checkout_opens_before = _minutes(_("下课前开放签退(分钟)"), 15)
    checkout_closes_after = _minutes(_("下课后停止签退(分钟)"), 30)
    require_checkout = models.BooleanField(_("要求签退"), default=True)
    leave_counts_as_attended = models.BooleanField(_("请假计入出勤"), default=False)
    attendance_warning_rate = _percent(_("出勤预警线(%)"), 90)

    # Completion policy (结业).
    completion_min_attendance_rate = _percent(_("结业最低出勤率(%)"), 90)
    completion_max_unexcused_absences = models.PositiveSmallIntegerField(
        _("结业最多旷课次数"), default=0, validators=_between(0, ABSENCES_MAX)
    )
    completion_requires_reflection = models.BooleanField(_("结业须提交心得"), default=True)
    completion_min_score = models.DecimalField(
        _("结业最低成绩"),
        max_digits=5,
        decimal_places=1,
        null=True,
        blank=True,
        validators=_between(Decimal(0), SCORE_MAX),
    )

    # A completed or archived program is read-only (programs.access.ensure_program_open) until
    # this moment, set by an admin's explicit reopening (programs.services.program_reopen).
    reopened_until = models.DateTimeField(_("临时开放至"), null=True, blank=True)
    reopen_reason = models.CharField(_("临时开放原因"), max_length=200, blank=True)

    # Where the class comes from (issue 16 item 2): an approved (备案) item of a training plan. A
    # program may be published only with one, unless an admin waived the rule (audited).
    plan_item = models.ForeignKey(
        "plans.PlanItem",
        verbose_name=_("计划班次"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="programs",
    )
    plan_waived_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("计划外举办批准人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    plan_waived_at = models.DateTimeField(_("计划外举办批准时间"), null=True, blank=True)
    plan_waiver_reason = models.CharField(_("计划外举办理由"), max_length=200, blank=True)

    class Meta:
        verbose_name = pgettext_lazy("model", "培训项目")
        verbose_name_plural = pgettext_lazy("models", "培训项目")
        ordering = ["-start_date", "code"]
        constraints = [
            models.CheckConstraint(
                condition=Q(end_date__gte=F("start_date")), name="program_dates_ordered"
            ),
            _range_check("program_capacity_range", "capacity", 0, CAPACITY_MAX),
            _range_check("program_credit_hours_range", "credit_hours", 0, PROGRAM_HOURS_MAX),
            _range_check("program_cohort_range", "cohort_number", 1, COHORT_MAX, nullable=True),
            _range_check(
                "program_checkin_opens_range", "checkin_opens_before", 0, WINDOW_MINUTES_MAX
            ),
            _range_check("program_grace_range", "late_grace_minutes", 0, GRACE_MINUTES_MAX),
            _range_check(
                "program_checkin_closes_range", "checkin_closes_after", 0, WINDOW_MINUTES_MAX
            ),
            _range_check(
                "program_checkout_opens_range", "checkout_opens_before", 0, WINDOW_MINUTES_MAX
            ),
            _range_check(
                "program_checkout_closes_range", "checkout_closes_after", 0, WINDOW_MINUTES_MAX
            ),
            _range_check("program_warning_rate_range", "attendance_warning_rate", 0, 100),
            _range_check("program_completion_rate_range", "completion_min_attendance_rate", 0, 100),
            _range_check(
                "program_absences_range", "completion_max_unexcused_absences", 0, ABSENCES_MAX
            ),
            _range_check(
                "program_min_score_range", "completion_min_score", 0, SCORE_MAX, nullable=True
            ),
            models.UniqueConstraint(
                fields=["family", "cohort_number"],
                condition=Q(family__isnull=False),
                name="program_family_cohort_unique",
            ),
        ]
        indexes = [models.Index(fields=["organizing_unit", "status"])]

    def __str__(self):
        return self.title


class ProgramStaff(BaseModel):
    """Staff attached to one program: class manager (班主任) or class assistant (跟班管理员)."""

    class Role(models.TextChoices):
        CLASS_MANAGER = "manager", _("班主任")
        CLASS_ASSISTANT = "assistant", _("跟班管理员")

    program = models.ForeignKey(
        Program, verbose_name=_("培训项目"), on_delete=models.CASCADE, related_name="staff"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("人员"),
        on_delete=models.CASCADE,
        related_name="program_roles",
    )
    role = models.CharField(_("角色"), max_length=10, choices=Role.choices)

    class Meta:
        verbose_name = pgettext_lazy("model", "班级管理人员")
        verbose_name_plural = pgettext_lazy("models", "班级管理人员")
        constraints = [
            models.UniqueConstraint(fields=["program", "user"], name="programstaff_unique")
        ]

    def __str__(self):
        return f"{self.program} · {self.user} · {self.get_role_display()}"


class Venue(BaseModel):
    """A room where sessions are held; branch venues have their own local managers."""

    name = models.CharField(_("名称"), max_length=120)
    address = models.CharField(_("地址"), max_length=200, blank=True)
    capacity = models.PositiveIntegerField(_("容纳人数"), validators=_between(1, CAPACITY_MAX))
    unit = models.ForeignKey(
        OrgUnit, verbose_name=_("所属单位"), on_delete=models.PROTECT, related_name="venues"
    )
    managers = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("场地管理员"),
        blank=True,
        related_name="managed_venues",
    )

    class Meta:
        verbose_name = pgettext_lazy("model", "教室/场地")
        verbose_name_plural = pgettext_lazy("models", "教室/场地")
        ordering = ["name"]
        constraints = [_range_check("venue_capacity_range", "capacity", 1, CAPACITY_MAX)]

    def __str__(self):
        return self.name


class Lecturer(BaseModel):
    """An official or expert who teaches; may have no account."""

    name = models.CharField(_("姓名"), max_length=60)
    title = models.CharField(_("职务/职称"), max_length=120, blank=True)
    affiliation = models.CharField(_("工作单位"), max_length=120, blank=True)
    bio = models.TextField(_("简介"), blank=True)
    # The tier of the lecturer fee standard (plans.LecturerFeeCap); blank: not checked.
    title_level = models.CharField(
        _("职称层级"),
        max_length=10,
        choices=TitleLevel.choices,
        blank=True,
        help_text=_("用于核对讲课费上限;党政领导干部等不按职称付酬的可不填。"),
    )
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("关联账号"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="lecturer_profile",
    )
    # The unit that keeps this entry; blank for the shared pool (experts from outside).
    unit = models.ForeignKey(
        OrgUnit,
        verbose_name=_("录入单位"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="lecturers",
    )

    class Meta:
        verbose_name = pgettext_lazy("model", "授课人")
        verbose_name_plural = pgettext_lazy("models", "授课人")
        ordering = ["name"]

    def __str__(self):
        return self.name


class RecurringSeries(BaseModel):
    """The rule a group of sessions was created from: weekdays, times, first date, count or end
    date, skipped dates. Sessions keep a link to it so "this and all following" can find them."""

    program = models.ForeignKey(
        Program, verbose_name=_("培训项目"), on_delete=models.CASCADE, related_name="series"
    )
    weekdays = models.JSONField(_("星期"), default=list)  # 0 = Monday … 6 = Sunday
    start_time = models.TimeField(_("开始时间"))
    end_time = models.TimeField(_("结束时间"))
    first_date = models.DateField(_("首次日期"))
    count = models.PositiveSmallIntegerField(
        _("次数"), null=True, blank=True, validators=_between(1, 200)
    )
    until = models.DateField(_("截止日期"), null=True, blank=True)
    skip_dates = models.JSONField(_("跳过日期"), default=list, blank=True)

    class Meta:
        verbose_name = pgettext_lazy("model", "循环课程")
        verbose_name_plural = pgettext_lazy("models", "循环课程")
        constraints = [
            models.CheckConstraint(
                condition=Q(count__isnull=False) | Q(until__isnull=False),
                name="series_count_or_until",
            ),
            models.CheckConstraint(
                condition=Q(end_time__gt=F("start_time")), name="series_end_after_start"
            ),
            _range_check("series_count_range", "count", 1, 200, nullable=True),
        ]

    def __str__(self):
        return f"{self.program} · {self.first_date}"


class Session(BaseModel):
    """One teaching slot of a program, held in a main venue and any number of branch venues."""

    class Kind(models.TextChoices):
        LECTURE = "lecture", _("专题讲座")
        SEMINAR = "seminar", _("分组研讨")
        FIELD = "field", _("现场教学")
        OPENING = "opening", _("开班式")
        GRADUATION = "graduation", _("结业式")
        EXCHANGE = "exchange", _("交流发言")

    class Status(models.TextChoices):
        SCHEDULED = "scheduled", _("已排课")
        CANCELLED = "cancelled", _("已取消")

    program = models.ForeignKey(
        Program, verbose_name=_("培训项目"), on_delete=models.CASCADE, related_name="sessions"
    )
    kind = models.CharField(_("类型"), max_length=12, choices=Kind.choices, default=Kind.LECTURE)
    topic = models.CharField(_("主题"), max_length=200)
    start = models.DateTimeField(_("开始时间"), db_index=True)
    end = models.DateTimeField(_("结束时间"))
    credit_hours = models.DecimalField(
        _("学时"),
        max_digits=4,
        decimal_places=1,
        default=Decimal("3.0"),
        validators=_between(Decimal(0), SESSION_HOURS_MAX),
    )
    status = models.CharField(
        _("状态"), max_length=10, choices=Status.choices, default=Status.SCHEDULED
    )
    venue = models.ForeignKey(
        Venue,
        verbose_name=_("主课堂"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="main_sessions",
    )
    branch_venues = models.ManyToManyField(
        Venue, verbose_name=_("分课堂"), blank=True, related_name="branch_sessions"
    )
    lecturers = models.ManyToManyField(
        Lecturer, verbose_name=_("授课人"), blank=True, related_name="sessions"
    )
    notes = models.TextField(_("备注"), blank=True)
    series = models.ForeignKey(
        RecurringSeries,
        verbose_name=_("所属循环"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="sessions",
    )
    cancel_reason = models.CharField(_("停课原因"), max_length=200, blank=True)
    # RFC 5545 SEQUENCE: bumped whenever calendar apps must take a new version (moved, cancelled).
    sequence = models.PositiveIntegerField(_("日历版本号"), default=0)

    class Meta:
        verbose_name = pgettext_lazy("model", "课程")
        verbose_name_plural = pgettext_lazy("models", "课程")
        ordering = ["start", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(end__gt=F("start")), name="session_end_after_start"),
            _range_check("session_credit_hours_range", "credit_hours", 0, SESSION_HOURS_MAX),
        ]
        indexes = [models.Index(fields=["program", "start"])]

    def __str__(self):
        return self.topic


class CalendarFeed(BaseModel):
    """A secret URL for one person's schedule: a trainee's (by user) or a lecturer's (by lecturer
    entry, so lecturers without an account can subscribe too). Regenerating replaces the token."""

    class Kind(models.TextChoices):
        TRAINEE = "trainee", _("学员日程")
        LECTURER = "lecturer", _("授课日程")

    kind = models.CharField(_("类型"), max_length=10, choices=Kind.choices)
    token = models.CharField(_("令牌"), max_length=64, unique=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("学员"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    lecturer = models.ForeignKey(
        Lecturer,
        verbose_name=_("授课人"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )

    class Meta:
        verbose_name = pgettext_lazy("model", "日历订阅")
        verbose_name_plural = pgettext_lazy("models", "日历订阅")
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(kind="trainee", user__isnull=False, lecturer__isnull=True)
                    | Q(kind="lecturer", lecturer__isnull=False, user__isnull=True)
                ),
                name="calendarfeed_owner_matches_kind",
            ),
            models.UniqueConstraint(
                fields=["user"], condition=Q(kind="trainee"), name="calendarfeed_one_per_trainee"
            ),
            models.UniqueConstraint(
                fields=["lecturer"],
                condition=Q(kind="lecturer"),
                name="calendarfeed_one_per_lecturer",
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} · {self.user or self.lecturer}"


class ProgramCost(BaseModel):
    """The actual cost of one cost category of a program (yuan), by the plan's categories
    (plans.models.CostCategory), entered by the organizer; compared with the plan item's budget
    and the training-cost cap (plans.rules)."""

    program = models.ForeignKey(
        Program, verbose_name=_("培训项目"), on_delete=models.CASCADE, related_name="costs"
    )
    category = models.CharField(_("费用类别"), max_length=12, choices=CostCategory.choices)
    amount = models.DecimalField(
        _("实际金额(元)"),
        max_digits=10,
        decimal_places=2,
        validators=_between(Decimal("0"), MAX_AMOUNT),
    )

    class Meta:
        verbose_name = pgettext_lazy("model", "实际经费")
        verbose_name_plural = pgettext_lazy("models", "实际经费")
        constraints = [
            models.UniqueConstraint(
                fields=["program", "category"], name="programcost_one_per_category"
            ),
            _range_check("programcost_amount_range", "amount", 0, MAX_AMOUNT),
        ]

    def __str__(self):
        return f"{self.get_category_display()} {self.amount}"


class LecturerFee(BaseModel):
    """The fee paid to one lecturer for one program (讲课费, yuan), entered with the program's
    actual costs and checked against the cap of the lecturer's title tier for the hours taught
    (plans.rules.lecturer_fee_cap)."""

    program = models.ForeignKey(
        Program, verbose_name=_("培训项目"), on_delete=models.CASCADE, related_name="lecturer_fees"
    )
    lecturer = models.ForeignKey(
        Lecturer, verbose_name=_("授课人"), on_delete=models.CASCADE, related_name="fees"
    )
    amount = models.DecimalField(
        _("讲课费(元)"),
        max_digits=10,
        decimal_places=2,
        validators=_between(Decimal("0"), MAX_AMOUNT),
    )

    class Meta:
        verbose_name = pgettext_lazy("model", "讲课费")
        verbose_name_plural = pgettext_lazy("models", "讲课费")
        constraints = [
            models.UniqueConstraint(
                fields=["program", "lecturer"], name="lecturerfee_one_per_lecturer"
            ),
            _range_check("lecturerfee_amount_range", "amount", 0, MAX_AMOUNT),
        ]

    def __str__(self):
        return f"{self.lecturer} {self.amount}"
