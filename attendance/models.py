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

    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="attendance")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="attendance"
    )
    venue = models.ForeignKey(
        Venue, verbose_name=_("签到地点"), null=True, blank=True, on_delete=models.SET_NULL
    )
    status = models.CharField(_("状态"), max_length=16, choices=AttendanceStatus.choices)
    checkin_at = models.DateTimeField(_("签到时间"), null=True, blank=True)
    checkout_at = models.DateTimeField(_("签退时间"), null=True, blank=True)
    source = models.CharField(_("来源"), max_length=8, choices=Source.choices)
    device_id = models.CharField(max_length=64, blank=True, db_index=True)
    flagged = models.BooleanField(_("疑似代签"), default=False)
    note = models.TextField(_("备注"), blank=True)

    class Meta:
        verbose_name = _("考勤记录")
        verbose_name_plural = _("考勤记录")
        ordering = ["session", "user"]
        constraints = [
            models.UniqueConstraint(fields=["session", "user"], name="attendance_one_per_session")
        ]
        indexes = [models.Index(fields=["session", "status"]), models.Index(fields=["user"])]

    def __str__(self):
        return f"{self.user} · {self.session} · {self.get_status_display()}"
