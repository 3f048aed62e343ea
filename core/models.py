import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class BaseModel(models.Model):
    """Every Lectern table carries when a row was made and last changed."""

    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        abstract = True


class AuditLog(models.Model):
    """Who changed what, when, from what to what, and why. Append-only and hash-chained.

    Written only through core.audit (audit_log/audit_log_many): each row stores the SHA-256 of
    its content and of the previous row's hash (`row_hash`, `prev_hash`), computed under a lock
    so concurrent writers keep one chain; the database refuses UPDATE and DELETE on this table
    (triggers of migration 0004). `manage.py audit_verify` walks the chain."""

    class Result(models.TextChoices):
        SUCCESS = "success", _("成功")
        REFUSED = "refused", _("被拒绝")

    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("操作人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    action = models.CharField(_("操作"), max_length=80, db_index=True)
    target_type = models.CharField(_("对象类型"), max_length=80)
    target_id = models.CharField(_("对象编号"), max_length=64)
    before = models.JSONField(_("变更前"), null=True, blank=True)
    after = models.JSONField(_("变更后"), null=True, blank=True)
    reason = models.TextField(_("原因"), blank=True)
    created_at = models.DateTimeField(_("时间"), default=timezone.now, db_index=True)
    # who and from where, as they were at the time (the user may change or be removed later)
    actor_name = models.CharField(_("操作人账号"), max_length=150, blank=True, default="")
    actor_roles = models.JSONField(_("操作人角色"), default=list, blank=True)
    client_ip = models.CharField(_("客户端地址"), max_length=45, blank=True, default="")
    user_agent = models.CharField(_("客户端标识"), max_length=300, blank=True, default="")
    result = models.CharField(
        _("结果"), max_length=10, choices=Result.choices, default=Result.SUCCESS
    )
    prev_hash = models.CharField(_("前一条哈希"), max_length=64, blank=True, default="")
    row_hash = models.CharField(_("本条哈希"), max_length=64, blank=True, default="")

    class Meta:
        verbose_name = _("审计日志")
        verbose_name_plural = _("审计日志")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["target_type", "target_id", "-created_at"])]

    def __str__(self):
        return f"{self.action} {self.target_type}#{self.target_id}"

    def save(self, *args, _chained=False, **kwargs):
        """Only new entries, and only through core.audit (which chains them)."""
        if not self._state.adding:
            raise ValueError("Audit entries cannot be changed.")
        if not _chained:
            from core import audit

            audit.write([self])
            return
        kwargs["force_insert"] = True
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValueError("Audit entries cannot be deleted.")


class GeneratedFile(BaseModel):
    """An export or report made by a background job: the page polls it, the owner downloads it."""

    class Status(models.TextChoices):
        AWAITING = "awaiting", _("待审批")
        PENDING = "pending", _("排队中")
        RUNNING = "running", _("生成中")
        DONE = "done", _("已完成")
        FAILED = "failed", _("失败")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("申请人"), on_delete=models.CASCADE
    )
    kind = models.CharField(_("类型"), max_length=60)
    title = models.CharField(_("标题"), max_length=200)
    params = models.JSONField(_("参数"), default=dict, blank=True)
    status = models.CharField(
        _("状态"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    progress = models.PositiveSmallIntegerField(_("进度"), default=0)
    file = models.FileField(_("文件"), upload_to="generated/%Y/%m/", blank=True)
    filename = models.CharField(_("文件名"), max_length=200, blank=True)
    content_type = models.CharField(max_length=120, blank=True)
    error = models.TextField(_("错误信息"), blank=True)
    task_id = models.CharField(max_length=64, blank=True)
    expires_at = models.DateTimeField(_("过期时间"), null=True, blank=True, db_index=True)
    # the second approver of a large personal-data export (LECTERN_EXPORT_SECOND_APPROVER)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("审批人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("审批时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("生成文件")
        verbose_name_plural = _("生成文件")
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(progress__lte=100), name="generatedfile_progress_le_100"
            )
        ]

    def __str__(self):
        return self.title

    @property
    def export_info(self) -> dict:
        """Rows, scope, personal and reason the export was asked with (core.services)."""
        return (self.params or {}).get("_export") or {}


class Notification(BaseModel):
    """One message in a user's in-app inbox (and, if they want it, an e-mail)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("收件人"),
        on_delete=models.CASCADE,
        related_name="notifications",
    )
    kind = models.CharField(_("类型"), max_length=60, default="general")
    title = models.CharField(_("标题"), max_length=200)
    body = models.TextField(_("内容"), blank=True)
    url = models.CharField(_("链接"), max_length=300, blank=True)
    # What renders the message in the reader's language at read time: the source strings
    # (gettext msgids, empty for a plain-text message) and their %(name)s values. `title` and
    # `body` keep the text rendered in the default language, for the admin and as a fallback.
    title_msgid = models.TextField(_("标题原文"), blank=True)
    body_msgid = models.TextField(_("内容原文"), blank=True)
    params = models.JSONField(_("参数"), default=dict, blank=True)
    # The scheme and host the notice was created from, for its e-mail link when SITE_URL is unset.
    site_base = models.CharField(_("站点地址"), max_length=200, blank=True)
    read_at = models.DateTimeField(_("已读时间"), null=True, blank=True)
    emailed_at = models.DateTimeField(_("邮件发送时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("通知")
        verbose_name_plural = _("通知")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "read_at"])]

    def __str__(self):
        return self.title

    @property
    def display_title(self) -> str:
        """The title in the active language."""
        return render_message(self.title_msgid, self.params, fallback=self.title)

    @property
    def display_body(self) -> str:
        return render_message(self.body_msgid, self.params, fallback=self.body)


def render_message(msgid: str, params: dict, *, fallback: str) -> str:
    """gettext(msgid) % params in the active language; `fallback` for a plain-text message or
    a translation whose placeholders do not fit the stored values."""
    from django.utils.translation import gettext

    if not msgid:
        return fallback
    values = {
        k: gettext(v["msgid"]) if isinstance(v, dict) and "msgid" in v else v
        for k, v in (params or {}).items()
    }
    text = gettext(msgid)
    if not values:
        return text
    try:
        return text % values
    except (KeyError, TypeError, ValueError):
        return fallback
