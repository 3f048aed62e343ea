from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from core.models import BaseModel
from programs.models import Session, Venue


class AttendanceStatus(models.TextChoices):
    PRESENT = "present", _("出勤")
    LATE = "late", _("迟到")
    LEFT_EARLY = "left_early", _("早退")
    LATE_LEFT_EARLY = "late_left_early", _("迟到且早退")
    ABSENT = "absent", _("旷课")
    ON_LEAVE = "on_leave", _("请假")
    PENDING = "pending", _("待签退")


class AttendanceRecord(BaseModel):
    """One trainee's attendance at one session. The unique constraint is what makes check-in
    idempotent under retries and concurrent requests."""

    class Source(models.TextChoices):
        QR = "qr", _("扫码")
        MANUAL = "manual", _("手工标记")
        AUTO = "auto", _("系统自动")
        LEAVE = "leave", _("请假审批")

    # No index of its own: the unique (session, user) index starts with it.
    session = models.ForeignKey(
        Session,
        verbose_name=_("课程"),
        on_delete=models.CASCADE,
        related_name="attendance",
        db_index=False,
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("学员"),
        on_delete=models.CASCADE,
        related_name="attendance",
    )
    venue = models.ForeignKey(
        Venue, verbose_name=_("签到地点"), null=True, blank=True, on_delete=models.SET_NULL
    )
    status = models.CharField(_("状态"), max_length=16, choices=AttendanceStatus.choices)
    checkin_at = models.DateTimeField(_("签到时间"), null=True, blank=True)
    checkout_at = models.DateTimeField(_("签退时间"), null=True, blank=True)
    source = models.CharField(_("来源"), max_length=8, choices=Source.choices)
    device_id = models.CharField(_("设备标识"), max_length=64, blank=True)
    # The client a scan came from (for the proxy signals that survive a cleared cookie, see
    # attendance.services.checkin_scan): the address as the server resolved it, and the
    # browser's user agent (cut to its column).
    client_addr = models.GenericIPAddressField(_("网络地址"), null=True, blank=True)
    user_agent = models.CharField(_("浏览器标识"), max_length=255, blank=True)
    flagged = models.BooleanField(_("疑似代签"), default=False)
    # Why the record was flagged: a list of {"signal", "user", "name", "at"} (services.
    # proxy_evidence), shown on the record page.
    flag_evidence = models.JSONField(_("代签依据"), default=list, blank=True)
    note = models.TextField(_("备注"), blank=True)

    class Meta:
        verbose_name = _("考勤记录")
        verbose_name_plural = _("考勤记录")
        ordering = ["session", "user"]
        constraints = [
            models.UniqueConstraint(fields=["session", "user"], name="attendance_one_per_session"),
            # A check-out needs a check-in before it (the service refuses; the database insists).
            models.CheckConstraint(
                condition=models.Q(checkout_at__isnull=True)
                | models.Q(checkin_at__isnull=False, checkout_at__gte=models.F("checkin_at")),
                name="attendance_checkout_after_checkin",
            ),
        ]
        indexes = [
            models.Index(fields=["session", "status"]),
            # a plain b-tree: the proxy check looks devices up by equality, never by prefix
            models.Index(fields=["device_id"], name="attendance_device_idx"),
            # the statistics rollups refresh programs whose records changed since their last run
            models.Index(fields=["updated_at"], name="attendance_updated_idx"),
        ]

    def __str__(self):
        return f"{self.user} · {self.session} · {self.get_status_display()}"


class LeaveRequest(BaseModel):
    """A trainee's request to be excused from one or more sessions of a program (请假)."""

    class Status(models.TextChoices):
        PENDING = "pending", _("待审批")
        APPROVED = "approved", _("已批准")
        REJECTED = "rejected", _("未批准")
        CANCELLED = "cancelled", _("已撤回")

    program = models.ForeignKey(
        "programs.Program",
        verbose_name=_("班次"),
        on_delete=models.CASCADE,
        related_name="leave_requests",
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("申请人"),
        on_delete=models.CASCADE,
        related_name="leave_requests",
    )
    sessions = models.ManyToManyField(Session, verbose_name=_("请假课程"), related_name="+")
    reason = models.TextField(_("请假事由"))
    attachment = models.FileField(_("证明材料"), upload_to="attendance/leave/%Y/%m/", blank=True)
    status = models.CharField(
        _("状态"), max_length=10, choices=Status.choices, default=Status.PENDING, db_index=True
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("审批人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("审批时间"), null=True, blank=True)
    decision_note = models.TextField(_("审批意见"), blank=True)

    class Meta:
        verbose_name = _("请假申请")
        verbose_name_plural = _("请假申请")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["program", "status"])]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status="pending", decided_at__isnull=True)
                | ~models.Q(status="pending"),
                name="leave_pending_is_undecided",
            )
        ]

    def __str__(self):
        return f"{self.user} · {self.get_status_display()}"


class SessionClosure(models.Model):
    """Marks that a session's windows were closed by the scheduled job, so each closing step
    (absent marking, missed check-outs) happens exactly once even with two beat processes."""

    session = models.OneToOneField(
        Session,
        verbose_name=_("课程"),
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="attendance_closure",
    )
    absent_marked_at = models.DateTimeField(_("旷课结算时间"), null=True, blank=True)
    absent_count = models.PositiveIntegerField(_("记为旷课人数"), default=0)
    checkout_closed_at = models.DateTimeField(_("签退结算时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("考勤结算")
        verbose_name_plural = _("考勤结算")

    def __str__(self):
        return f"{self.session_id}"


class AttendanceWarning(BaseModel):
    """A trainee was warned that their attendance rate fell below the program's threshold.
    One row per program and trainee while below; removed when the rate recovers."""

    program = models.ForeignKey(
        "programs.Program", verbose_name=_("班次"), on_delete=models.CASCADE, related_name="+"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("学员"), on_delete=models.CASCADE, related_name="+"
    )
    rate = models.DecimalField(_("出勤率"), max_digits=5, decimal_places=1)
    # The check that inserted the row: rows are inserted in bulk, skipping those the unique
    # constraint refuses, and only the rows carrying a check's id are that check's to announce.
    run = models.UUIDField(_("预警批次"), null=True, editable=False)

    class Meta:
        verbose_name = _("出勤预警")
        verbose_name_plural = _("出勤预警")
        constraints = [
            models.UniqueConstraint(fields=["program", "user"], name="attendance_warning_once"),
            # a percentage (a NaN or an infinity is outside any range)
            models.CheckConstraint(
                condition=models.Q(rate__gte=0, rate__lte=100), name="attendance_warning_rate_pct"
            ),
        ]


class LeaveLimitFlag(BaseModel):
    """A trainee's approved leave in a program neared or passed 1/7 of its hours (attendance.
    rules.leave_limit_state): one row per program and trainee while flagged, with the class
    manager's decision once the limit is passed (withdrawn through enrollment's withdrawal, or
    kept with a reason). Leave falling back below the near line removes an undecided row."""

    class Level(models.TextChoices):
        NEAR = "near", _("接近上限")
        OVER = "over", _("超过上限")

    class Decision(models.TextChoices):
        PENDING = "", _("待处理")
        WITHDRAWN = "withdrawn", _("已退学")
        KEPT = "kept", _("保留学籍")

    program = models.ForeignKey(
        "programs.Program", verbose_name=_("班次"), on_delete=models.CASCADE, related_name="+"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("学员"), on_delete=models.CASCADE, related_name="+"
    )
    level = models.CharField(_("程度"), max_length=8, choices=Level.choices)
    leave_hours = models.DecimalField(_("已批准请假学时"), max_digits=7, decimal_places=1)
    class_hours = models.DecimalField(_("课程总学时"), max_digits=7, decimal_places=1)
    decision = models.CharField(
        _("处理结果"), max_length=10, choices=Decision.choices, blank=True, default=""
    )
    decision_reason = models.TextField(_("处理说明"), blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("处理人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("处理时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("请假超限提示")
        verbose_name_plural = _("请假超限提示")
        constraints = [
            models.UniqueConstraint(fields=["program", "user"], name="attendance_leave_limit_once"),
            # a decision is taken only once the limit is passed, and always with who and when
            models.CheckConstraint(
                condition=models.Q(decision="") | models.Q(level="over", decided_at__isnull=False),
                name="attendance_leave_limit_decided_over",
            ),
        ]

    def __str__(self):
        return f"{self.user} · {self.get_level_display()}"
