"""The enrollment app's data model: quotas, nominations, enrollments, applications and the
waitlist, withdrawals, groups, roster import batches, nomination notices and their replies,
substitutions and reconciliation.

Over 500 lines because it is one cohesive model: every table hangs off Enrollment or a program's
quota, and keeps its database constraints beside its fields."""

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

    program = models.ForeignKey(
        Program, on_delete=models.CASCADE, related_name="enrollments", verbose_name=_("培训项目")
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="enrollments",
        verbose_name=_("学员"),
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
    # The 备注 cell of an imported roster row (e.g. 班长, 请假两天), kept as the office wrote it.
    roster_note = models.CharField(_("名册备注"), max_length=200, blank=True)
    # Named nomination (调训): the quota it counts against and the liaison who made it.
    quota = models.ForeignKey(
        "Quota",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="enrollments",
        verbose_name=_("调训名额"),
    )
    nominated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("提名人"),
    )
    # A substituted nominee keeps their (withdrawn) row and points at who replaced them.
    substituted_by = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("替换人员"),
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("审核人"),
    )
    decision_reason = models.TextField(_("审核意见"), blank=True)
    # Set by a reconciliation decision (不予认定学时): the trainee attended without being named
    # and the host does not credit it. The credit rule gives such an enrollment no session hours,
    # as for a withdrawn one.
    credit_withheld = models.BooleanField(_("不予认定学时"), default=False)
    group = models.ForeignKey(
        "DiscussionGroup",
        verbose_name=_("研讨小组"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="members",
    )

    class Meta:
        verbose_name = _("学员名册")
        verbose_name_plural = _("学员名册")
        ordering = ["program", "id"]
        constraints = [
            models.UniqueConstraint(fields=["program", "user"], name="enrollment_unique")
        ]
        indexes = [
            models.Index(fields=["program", "status"]),
            models.Index(fields=["user", "status"]),
            # the statistics rollups refresh programs whose rows changed since their last run
            models.Index(fields=["updated_at"], name="enrollment_updated_idx"),
        ]

    def __str__(self):
        return f"{self.user} · {self.program}"


class EnrollmentPolicy(BaseModel):
    """Per-program enrollment settings that belong to this app (the Program model is shared)."""

    program = models.OneToOneField(
        Program,
        on_delete=models.CASCADE,
        related_name="enrollment_policy",
        verbose_name=_("培训项目"),
    )
    applications_open = models.BooleanField(_("接受个人报名(点题)"), default=False)
    application_deadline = models.DateTimeField(_("报名截止时间"), null=True, blank=True)
    nomination_deadline = models.DateTimeField(
        _("调训名单报送截止时间"),
        null=True,
        blank=True,
        help_text=_("截止前联络员可提名和替换人员。"),
    )
    waitlist_enabled = models.BooleanField(_("名额满后进入候补"), default=True)
    # Seats set aside for self-application (点题), the rest being filled by unit quotas.
    application_seats = models.PositiveIntegerField(
        _("个人报名名额"),
        null=True,
        blank=True,
        help_text=_("留空表示不单独限制,只受计划人数限制。"),
    )

    class Meta:
        verbose_name = _("报名设置")
        verbose_name_plural = _("报名设置")

    def __str__(self):
        return f"{self.program} · {self._meta.verbose_name}"


class Quota(BaseModel):
    """Seats a unit may fill by named nomination (名额) in one program."""

    program = models.ForeignKey(
        Program, on_delete=models.CASCADE, related_name="quotas", verbose_name=_("培训项目")
    )
    unit = models.ForeignKey(
        OrgUnit, verbose_name=_("单位"), on_delete=models.PROTECT, related_name="quotas"
    )
    seats = models.PositiveIntegerField(_("名额"))
    set_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("设置人"),
    )

    class Meta:
        verbose_name = _("调训名额")
        verbose_name_plural = _("调训名额")
        ordering = ["program", "unit__path"]
        constraints = [
            models.UniqueConstraint(fields=["program", "unit"], name="quota_unique_per_unit")
        ]

    def __str__(self):
        return f"{self.program} · {self.unit} · {self.seats}"


class DiscussionGroup(BaseModel):
    """A discussion group (研讨小组) of a program, with its leader and room."""

    program = models.ForeignKey(
        Program,
        on_delete=models.CASCADE,
        related_name="discussion_groups",
        verbose_name=_("培训项目"),
    )
    number = models.PositiveSmallIntegerField(_("组号"))
    name = models.CharField(_("组名"), max_length=60)
    room = models.CharField(_("研讨室"), max_length=120, blank=True)
    leader = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("组长"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("研讨小组")
        verbose_name_plural = _("研讨小组")
        ordering = ["program", "number"]
        constraints = [
            models.UniqueConstraint(fields=["program", "number"], name="group_number_unique")
        ]

    def __str__(self):
        return self.name


class WithdrawalRequest(BaseModel):
    """A trainee's request to leave a program (退训), decided by the program's managers."""

    class Status(models.TextChoices):
        PENDING = "pending", _("待审批")
        APPROVED = "approved", _("已批准")
        REJECTED = "rejected", _("未批准")

    enrollment = models.ForeignKey(
        Enrollment,
        on_delete=models.CASCADE,
        related_name="withdrawal_requests",
        verbose_name=_("学员名册"),
    )
    reason = models.TextField(_("退训原因"))
    status = models.CharField(
        _("状态"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("申请人"),
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("审批人"),
    )
    decided_at = models.DateTimeField(_("审批时间"), null=True, blank=True)
    decision_note = models.TextField(_("审批意见"), blank=True)

    class Meta:
        verbose_name = _("退训申请")
        verbose_name_plural = _("退训申请")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["enrollment"],
                condition=models.Q(status="pending"),
                name="withdrawal_one_pending",
            )
        ]

    def __str__(self):
        return f"{self.enrollment} · {self.get_status_display()}"


class ImportBatch(BaseModel):
    """An uploaded roster, parsed into rows and kept until the organizer confirms or cancels.

    `rows` holds the preview as JSON so that confirming does not need the file again."""

    class Status(models.TextChoices):
        PREVIEW = "preview", _("待确认")
        COMMITTED = "committed", _("已导入")
        CANCELLED = "cancelled", _("已取消")

    program = models.ForeignKey(
        Program, on_delete=models.CASCADE, related_name="import_batches", verbose_name=_("培训项目")
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("上传人"),
    )
    filename = models.CharField(_("文件名"), max_length=200)
    status = models.CharField(
        _("状态"), max_length=10, choices=Status.choices, default=Status.PREVIEW
    )
    header_row = models.PositiveIntegerField(_("表头所在行"), default=1)
    columns = models.JSONField(_("识别的列"), default=dict)
    rows = models.JSONField(_("预览行"), default=list)
    # Columns with data the importer does not read (reported in the preview).
    unused_columns = models.JSONField(_("未使用的列"), default=list, blank=True)
    # A digest of what the preview decided (who is matched, created, skipped): a confirmation
    # made against another state is refused as stale.
    preview_hash = models.CharField(_("预览校验值"), max_length=64, blank=True)
    summary = models.JSONField(_("导入结果"), default=dict, blank=True)
    committed_at = models.DateTimeField(_("导入时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("名册导入")
        verbose_name_plural = _("名册导入")
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.program} · {self.filename}"


class UnitAlias(BaseModel):
    """How a sending office writes a unit (市发改委) mapped to the unit in the tree, remembered
    when an organizer picks it once in an import preview. `scope` is the territory (the
    program's jurisdiction) in which the text means that unit: 市发改委 differs by city."""

    scope = models.ForeignKey(
        OrgUnit, verbose_name=_("适用范围"), on_delete=models.CASCADE, related_name="+"
    )
    text = models.CharField(_("名册中的写法"), max_length=120)
    unit = models.ForeignKey(
        OrgUnit, verbose_name=_("对应单位"), on_delete=models.CASCADE, related_name="aliases"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("设置人"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("单位别名")
        verbose_name_plural = _("单位别名")
        ordering = ["scope", "text"]
        constraints = [
            models.UniqueConstraint(fields=["scope", "text"], name="unit_alias_unique_text")
        ]

    def __str__(self):
        return f"{self.text} → {self.unit}"


class NominationNotice(BaseModel):
    """The official nomination notice (调训通知) of a program: drafted from the program and its
    quotas by the organizer, then sent to the liaisons of every unit with a quota. One a program."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("草稿")
        SENT = "sent", _("已发送")

    program = models.OneToOneField(
        Program,
        on_delete=models.CASCADE,
        related_name="nomination_notice",
        verbose_name=_("培训项目"),
    )
    doc_number = models.CharField(_("文号"), max_length=60)
    title = models.CharField(_("标题"), max_length=200)
    body = models.TextField(_("正文"), max_length=8000)
    reply_deadline = models.DateTimeField(_("回执截止时间"))
    contact = models.CharField(_("联系人及电话"), max_length=120)
    issuing_unit = models.CharField(_("发文单位"), max_length=120)
    issue_date = models.DateField(_("发文日期"))
    status = models.CharField(_("状态"), max_length=8, choices=Status.choices, default=Status.DRAFT)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("拟稿人"),
    )
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("发送人"),
    )
    sent_at = models.DateTimeField(_("发送时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("调训通知")
        verbose_name_plural = _("调训通知")
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.doc_number} {self.title}"


class NoticeReceipt(BaseModel):
    """One unit's copy of a sent notice: when its liaison first opened it (read receipt) and
    whether the unit declined; 'replied' and 'overdue' are derived from its quota's nominations
    and the notice's reply deadline (enrollment.selectors.notices)."""

    notice = models.ForeignKey(
        NominationNotice,
        on_delete=models.CASCADE,
        related_name="receipts",
        verbose_name=_("调训通知"),
    )
    unit = models.ForeignKey(
        OrgUnit, on_delete=models.PROTECT, related_name="+", verbose_name=_("单位")
    )
    sent_at = models.DateTimeField(_("送达时间"))
    read_at = models.DateTimeField(_("阅读时间"), null=True, blank=True)
    read_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("阅读人"),
    )
    declined_at = models.DateTimeField(_("回复不参训时间"), null=True, blank=True)
    decline_reason = models.TextField(_("不参训原因"), blank=True, max_length=1000)
    declined_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("回复人"),
    )

    class Meta:
        verbose_name = _("通知回执")
        verbose_name_plural = _("通知回执")
        ordering = ["notice", "unit__path"]
        constraints = [
            models.UniqueConstraint(fields=["notice", "unit"], name="notice_receipt_unique_unit"),
            models.CheckConstraint(
                condition=models.Q(declined_at__isnull=True) | ~models.Q(decline_reason=""),
                name="notice_receipt_decline_has_reason",
            ),
        ]

    def __str__(self):
        return f"{self.notice} · {self.unit}"


class NoticeReminder(BaseModel):
    """A reminder (催报) sent to a silent unit for one occasion (e.g. 24 hours before the reply
    deadline, or the host's reminder of one day): unique per receipt and occasion, so that two
    beat processes or a double click send it exactly once."""

    receipt = models.ForeignKey(
        NoticeReceipt,
        on_delete=models.CASCADE,
        related_name="reminders",
        verbose_name=_("通知回执"),
    )
    occasion = models.CharField(_("提醒时机"), max_length=40)
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("提醒人"),
    )

    class Meta:
        verbose_name = _("催报提醒")
        verbose_name_plural = _("催报提醒")
        ordering = ["receipt", "created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["receipt", "occasion"], name="notice_reminder_once_per_occasion"
            )
        ]

    def __str__(self):
        return f"{self.receipt} · {self.occasion}"


class Reconciliation(BaseModel):
    """The host's reconciliation (核对) of a program with a nomination notice: who was named by
    their unit against who attended. The list itself is computed (enrollment.selectors.
    reconciliation); what is stored is a decision per person and whether the host closed it."""

    class Status(models.TextChoices):
        OPEN = "open", _("核对中")
        CLOSED = "closed", _("已完成核对")

    program = models.OneToOneField(
        Program,
        on_delete=models.CASCADE,
        related_name="reconciliation",
        verbose_name=_("培训项目"),
    )
    status = models.CharField(_("状态"), max_length=8, choices=Status.choices, default=Status.OPEN)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("核对人"),
    )
    closed_at = models.DateTimeField(_("完成核对时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("调训核对")
        verbose_name_plural = _("调训核对")

    def __str__(self):
        return f"{self.program} · {self.get_status_display()}"


class ReconciliationDecision(BaseModel):
    """The host's decision on one person of the reconciliation list."""

    class Kind(models.TextChoices):
        NAMED_ABSENT = "named_absent", _("名单内未到")
        UNNAMED_PRESENT = "unnamed_present", _("到课未列名单")

    class Decision(models.TextChoices):
        LEAVE = "leave", _("请假")
        ABSENT = "absent", _("缺勤")
        SUBSTITUTED = "substituted", _("替换")
        CREDITED = "credited", _("认定学时")
        WITHHELD = "withheld", _("不予认定学时")

    reconciliation = models.ForeignKey(
        Reconciliation,
        on_delete=models.CASCADE,
        related_name="decisions",
        verbose_name=_("调训核对"),
    )
    enrollment = models.ForeignKey(
        Enrollment,
        on_delete=models.CASCADE,
        related_name="reconciliation_decisions",
        verbose_name=_("学员名册"),
    )
    kind = models.CharField(_("情形"), max_length=16, choices=Kind.choices)
    decision = models.CharField(_("处理"), max_length=12, choices=Decision.choices)
    note = models.CharField(_("说明"), max_length=300, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("处理人"),
    )

    class Meta:
        verbose_name = _("核对处理")
        verbose_name_plural = _("核对处理")
        ordering = ["reconciliation", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["reconciliation", "enrollment"], name="reconciliation_decision_unique"
            ),
            models.CheckConstraint(
                condition=(
                    models.Q(kind="named_absent", decision__in=["leave", "absent", "substituted"])
                    | models.Q(kind="unnamed_present", decision__in=["credited", "withheld"])
                ),
                name="reconciliation_decision_fits_kind",
            ),
        ]

    def __str__(self):
        return f"{self.enrollment} · {self.get_decision_display()}"


class SubstitutionRequest(BaseModel):
    """A unit liaison's request, after the reply deadline, to replace a named cadre (替换) by
    another of the unit: the host approves (the substitution is then made) or refuses with a
    reason. Before the deadline a liaison substitutes freely within the quota."""

    class Status(models.TextChoices):
        PENDING = "pending", _("待审批")
        APPROVED = "approved", _("已批准")
        REFUSED = "refused", _("未批准")

    enrollment = models.ForeignKey(
        Enrollment,
        on_delete=models.CASCADE,
        related_name="substitution_requests",
        verbose_name=_("被替换人员"),
    )
    new_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("替换人员"),
    )
    reason = models.TextField(_("替换原因"), max_length=1000)
    status = models.CharField(
        _("状态"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("申请人"),
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("审批人"),
    )
    decided_at = models.DateTimeField(_("审批时间"), null=True, blank=True)
    decision_note = models.TextField(_("审批意见"), blank=True, max_length=1000)
    # The substitute's roster row once approved.
    substitute = models.ForeignKey(
        Enrollment,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("替换后名册"),
    )

    class Meta:
        verbose_name = _("替换申请")
        verbose_name_plural = _("替换申请")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["enrollment"],
                condition=models.Q(status="pending"),
                name="substitution_one_pending",
            )
        ]

    def __str__(self):
        return f"{self.enrollment} → {self.new_user} · {self.get_status_display()}"
