from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from accounts.models import OrgUnit
from core.models import BaseModel
from programs.models import Program


class Enrollment(BaseModel):
    """A person's place (or request for one) in a program. One row per program and person."""

    class Status(models.TextChoices):
        NOMINATED = "nominated", _("已提名")
        APPLIED = "applied", _("已报名")
        WAITLISTED = "waitlisted", _("候补")
        ENROLLED = "enrolled", _("已录取")
        REJECTED = "rejected", _("未通过")
        WITHDRAWN = "withdrawn", _("已退训")

    class Source(models.TextChoices):
        NOMINATION = "nomination", _("单位调训")
        APPLICATION = "application", _("个人报名")
        IMPORT = "import", _("名册导入")
        MANUAL = "manual", _("手工添加")

    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="enrollments")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="enrollments"
    )
    # The unit the trainee represented when enrolled (people move; reports group by this).
    unit = models.ForeignKey(
        OrgUnit, verbose_name=_("单位"), null=True, on_delete=models.PROTECT, related_name="+"
    )
    status = models.CharField(_("状态"), max_length=12, choices=Status.choices, db_index=True)
    source = models.CharField(_("来源"), max_length=12, choices=Source.choices)
    waitlist_position = models.PositiveIntegerField(_("候补顺序"), null=True, blank=True)
    status_changed_at = models.DateTimeField(_("状态变更时间"), null=True, blank=True)
    note = models.TextField(_("备注"), blank=True)

    class Meta:
        verbose_name = _("学员名册")
        verbose_name_plural = _("学员名册")
        ordering = ["program", "id"]
        constraints = [
            models.UniqueConstraint(fields=["program", "user"], name="enrollment_unique")
        ]
        indexes = [models.Index(fields=["program", "status"]), models.Index(fields=["user", "status"])]

    def __str__(self):
        return f"{self.user} · {self.program}"
