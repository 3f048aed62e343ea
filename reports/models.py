"""Reports keep two kinds of tables of their own:

- rollups: pre-aggregated figures (per program × trainee unit × rank, and per trainee × year) that
  the statistics page reads, so it never scans raw attendance rows (DESIGN.md §6);
- reminder bookkeeping: a unique sent-marker per person and occasion, and per-kind preferences.
"""

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class ReminderKind(models.TextChoices):
    SESSION_DAY_BEFORE = "session_day", _("课程前一天提醒")
    SESSION_HOUR_BEFORE = "session_hour", _("课程前一小时提醒")
    LEAVE_PENDING = "leave_pending", _("请假待审批提醒")
    LEAVE_DECISION = "leave_decision", _("请假审批结果")
    LOW_ATTENDANCE = "low_attendance", _("出勤率预警")
    REFLECTION_DEADLINE = "reflection_deadline", _("心得截止提醒")
    EVALUATION_PENDING = "evaluation_pending", _("课程评估待填提醒")


class ReminderSent(models.Model):
    """One reminder of one kind sent to one person for one occasion — at most once, ever.

    Rows are inserted in bulk with ignore_conflicts under a fresh `run` id; only the rows that
    carry this run's id were inserted by it, and only those people are notified. Retries,
    restarts and a second beat process therefore never send the same reminder twice.
    """

    kind = models.CharField(_("类型"), max_length=24, choices=ReminderKind.choices)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    occasion = models.CharField(_("场合"), max_length=80)
    run = models.UUIDField(db_index=True)
    created_at = models.DateTimeField(_("发送时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("提醒发送记录")
        verbose_name_plural = _("提醒发送记录")
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "user", "occasion"], name="remindersent_once_per_occasion"
            )
        ]

    def __str__(self):
        return f"{self.kind} {self.occasion} → {self.user_id}"


class ReminderPreference(models.Model):
    """A person's choice to receive (or not) one kind of reminder. No row means yes."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="reminder_preferences"
    )
    kind = models.CharField(_("类型"), max_length=24, choices=ReminderKind.choices)
    enabled = models.BooleanField(_("接收"), default=True)

    class Meta:
        verbose_name = _("提醒偏好")
        verbose_name_plural = _("提醒偏好")
        constraints = [
            models.UniqueConstraint(fields=["user", "kind"], name="reminderpreference_unique")
        ]

    def __str__(self):
        return f"{self.user_id} {self.kind} {self.enabled}"


class AttendanceRollup(models.Model):
    """Figures for one program, one trainee unit and one rank (the program's start month).

    Rebuilt per program by reports.services.rollup_refresh; the statistics page sums these rows.
    Filter columns (year, month, level, paths) are copied in so reads need no joins.
    """

    program = models.ForeignKey("programs.Program", on_delete=models.CASCADE, related_name="+")
    unit = models.ForeignKey(
        "accounts.OrgUnit", null=True, on_delete=models.CASCADE, related_name="+"
    )
    rank = models.CharField(max_length=12, blank=True)
    year = models.PositiveSmallIntegerField()
    month = models.PositiveSmallIntegerField()
    level = models.CharField(max_length=12)
    unit_path = models.CharField(max_length=255, blank=True)
    enrolled = models.PositiveIntegerField(default=0)  # trainee-times (人次)
    completed = models.PositiveIntegerField(default=0)
    assessed = models.PositiveIntegerField(default=0)  # enrolled in finished or assessed programs
    # Sessions due and attended, summed over trainees, by attendance.rules (the one rate rule):
    # attended honours each program's leave policy and counts a pending check-out as there.
    expected = models.PositiveIntegerField(default=0)
    attended = models.PositiveIntegerField(default=0)
    present = models.PositiveIntegerField(default=0)
    late = models.PositiveIntegerField(default=0)
    left_early = models.PositiveIntegerField(default=0)
    late_left_early = models.PositiveIntegerField(default=0)
    absent = models.PositiveIntegerField(default=0)
    on_leave = models.PositiveIntegerField(default=0)
    credit_hours = models.DecimalField(max_digits=12, decimal_places=1, default=Decimal("0"))

    class Meta:
        verbose_name = _("考勤汇总(项目×单位×职级)")
        verbose_name_plural = verbose_name
        constraints = [
            models.UniqueConstraint(
                fields=["program", "unit", "rank"], name="attendancerollup_unique"
            )
        ]
        indexes = [
            models.Index(fields=["year", "level"]),
            models.Index(fields=["unit_path"]),
            # LIKE 'prefix%' on PostgreSQL needs the pattern operator class (ignored elsewhere).
            models.Index(
                fields=["unit_path"], name="attrollup_path_like", opclasses=["varchar_pattern_ops"]
            ),
        ]

    def __str__(self):
        return f"{self.program_id} {self.unit_id} {self.rank}"


class ProgramRollup(models.Model):
    """One row per program: when and at what level it was held, how it was rated."""

    program = models.OneToOneField(
        "programs.Program", on_delete=models.CASCADE, primary_key=True, related_name="+"
    )
    year = models.PositiveSmallIntegerField()
    month = models.PositiveSmallIntegerField()
    level = models.CharField(max_length=12)
    organizing_unit_path = models.CharField(max_length=255, blank=True)
    held = models.BooleanField(default=False)  # at least one session has taken place
    sessions_held = models.PositiveIntegerField(default=0)
    evaluation_responses = models.PositiveIntegerField(default=0)
    evaluation_satisfied = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("项目汇总")
        verbose_name_plural = verbose_name
        indexes = [models.Index(fields=["year", "level"])]

    def __str__(self):
        return f"{self.program_id} {self.year}"


class TraineeYearRollup(models.Model):
    """Credit hours and programs of one trainee in one year (level "" = all levels together)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    year = models.PositiveSmallIntegerField()
    level = models.CharField(max_length=12, blank=True)
    rank = models.CharField(max_length=12, blank=True)
    unit = models.ForeignKey(
        "accounts.OrgUnit", null=True, on_delete=models.SET_NULL, related_name="+"
    )
    unit_path = models.CharField(max_length=255, blank=True)
    programs = models.PositiveIntegerField(default=0)
    credit_hours = models.DecimalField(max_digits=8, decimal_places=1, default=Decimal("0"))

    class Meta:
        verbose_name = _("学员年度学时汇总")
        verbose_name_plural = verbose_name
        constraints = [
            models.UniqueConstraint(
                fields=["user", "year", "level"], name="traineeyearrollup_unique"
            )
        ]
        indexes = [
            models.Index(fields=["year", "level", "rank"]),
            models.Index(
                fields=["unit_path"],
                name="traineeyear_path_like",
                opclasses=["varchar_pattern_ops"],
            ),
        ]

    def __str__(self):
        return f"{self.user_id} {self.year} {self.level}"


class RollupState(models.Model):
    """The moment up to which rollups reflect changes (one row, key "attendance")."""

    key = models.CharField(max_length=40, primary_key=True)
    refreshed_through = models.DateTimeField(null=True, blank=True)
    full_rebuild_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("汇总状态")
        verbose_name_plural = verbose_name

    def __str__(self):
        return self.key


class RollupDirtyProgram(models.Model):
    """A program whose rollup is stale (marked by other apps; drained by the rollup beat job)."""

    program = models.OneToOneField(
        "programs.Program",
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="+",
        verbose_name=_("培训项目"),
    )
    marked_at = models.DateTimeField(_("标记时间"), auto_now=True)

    class Meta:
        verbose_name = _("待刷新汇总的项目")
        verbose_name_plural = verbose_name

    def __str__(self):
        return str(self.program_id)


class StatsCube(models.Model):
    """AttendanceRollup summed over programs, with units folded into their ancestor at depth 2
    (county level). About a hundredth of the rows: the statistics page reads this for the whole
    province or a city; filters on deeper units read AttendanceRollup by path prefix."""

    year = models.PositiveSmallIntegerField()
    month = models.PositiveSmallIntegerField()
    level = models.CharField(max_length=12)
    rank = models.CharField(max_length=12, blank=True)
    unit_path = models.CharField(max_length=255, blank=True)
    enrolled = models.PositiveIntegerField(default=0)
    completed = models.PositiveIntegerField(default=0)
    assessed = models.PositiveIntegerField(default=0)
    expected = models.PositiveIntegerField(default=0)
    attended = models.PositiveIntegerField(default=0)
    present = models.PositiveIntegerField(default=0)
    late = models.PositiveIntegerField(default=0)
    left_early = models.PositiveIntegerField(default=0)
    late_left_early = models.PositiveIntegerField(default=0)
    absent = models.PositiveIntegerField(default=0)
    on_leave = models.PositiveIntegerField(default=0)
    credit_hours = models.DecimalField(max_digits=14, decimal_places=1, default=Decimal("0"))

    class Meta:
        verbose_name = _("统计立方(县级汇总)")
        verbose_name_plural = verbose_name
        indexes = [models.Index(fields=["year", "level"])]

    def __str__(self):
        return f"{self.year}-{self.month} {self.level} {self.rank} {self.unit_path}"


class ComplianceCube(models.Model):
    """Trainees and those meeting their rank's yearly credit-hour requirement, per year, level
    ("" = all), rank and county-level unit path."""

    year = models.PositiveSmallIntegerField()
    level = models.CharField(max_length=12, blank=True)
    rank = models.CharField(max_length=12, blank=True)
    unit_path = models.CharField(max_length=255, blank=True)
    trainees = models.PositiveIntegerField(default=0)
    met = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("学时达标汇总")
        verbose_name_plural = verbose_name
        indexes = [models.Index(fields=["year", "level"])]

    def __str__(self):
        return f"{self.year} {self.level} {self.rank} {self.unit_path}"
