from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, PermissionsMixin, UserManager
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.crypto import BlindIndexField, EncryptedField, PersonalDataModel, PersonalDataQuerySet
from core.models import BaseModel


class OrgUnit(BaseModel):
    """A unit in the organisation tree (province → city → county → township, departments below).

    `path` is a materialised path of zero-padded ids ("000001.000004.000017."), so a subtree is
    one indexed prefix match: `OrgUnit.objects.filter(path__startswith=unit.path)`.
    """

    class Kind(models.TextChoices):
        PROVINCE = "province", _("省")
        CITY = "city", _("市")
        COUNTY = "county", _("县(市、区)")
        TOWNSHIP = "township", _("乡镇(街道)")
        DEPARTMENT = "department", _("部门")
        SCHOOL = "school", _("党校")

    name = models.CharField(_("名称"), max_length=120)
    code = models.CharField(_("编码"), max_length=40, unique=True)
    kind = models.CharField(_("类型"), max_length=12, choices=Kind.choices)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("上级单位"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    path = models.CharField(max_length=255, db_index=True, editable=False, default="")
    depth = models.PositiveSmallIntegerField(default=0, editable=False)

    class Meta:
        verbose_name = _("组织单位")
        verbose_name_plural = _("组织单位")
        ordering = ["path"]

    def __str__(self):
        return self.name

    def save(self, *args, **kwargs):
        # The path needs the primary key, so a new row is saved twice; a moved unit's subtree is
        # re-pathed by accounts.services.orgunit_move, not here.
        super().save(*args, **kwargs)
        new_path = (self.parent.path if self.parent_id else "") + f"{self.pk:06d}."
        new_depth = self.parent.depth + 1 if self.parent_id else 0
        if new_path != self.path or new_depth != self.depth:
            self.path, self.depth = new_path, new_depth
            OrgUnit.objects.filter(pk=self.pk).update(path=new_path, depth=new_depth)

    def subtree(self):
        return OrgUnit.objects.filter(path__startswith=self.path)

    def ancestors(self):
        ids = [int(p) for p in self.path.split(".") if p]
        return OrgUnit.objects.filter(pk__in=ids).order_by("depth")

    def is_within(self, other: "OrgUnit") -> bool:
        return self.path.startswith(other.path)


class Rank(models.TextChoices):
    PROVINCIAL = "provincial", _("省部级")
    BUREAU = "bureau", _("厅局级")
    COUNTY = "county", _("县处级")
    SECTION = "section", _("乡科级")
    STAFF = "staff", _("一般干部")


class Gender(models.TextChoices):
    MALE = "M", _("男")
    FEMALE = "F", _("女")


class LecternUserManager(UserManager.from_queryset(PersonalDataQuerySet)):
    def create_user(self, username, email=None, password=None, **extra_fields):
        extra_fields.setdefault("full_name", username)
        return super().create_user(username, email, password, **extra_fields)


class User(PersonalDataModel, AbstractBaseUser, PermissionsMixin):
    """A person: cadre, staff or lecturer. Roles come from RoleGrant and from program staffing."""

    username = models.CharField(_("用户名"), max_length=150, unique=True)
    full_name = models.CharField(_("姓名"), max_length=60)
    email = models.EmailField(_("电子邮箱"), blank=True)
    # Personal data encrypted at rest (core.crypto): the columns hold Fernet tokens; lookups
    # (phone=, phone__in=, id_number=…) and duplicate checks go through the keyed blind index
    # beside each, which save(), bulk_create(), update() and bulk_update() keep in step.
    phone = EncryptedField(
        _("手机号码"), max_length=20, blank=True, index_field="phone_bidx", kind="phone"
    )
    phone_bidx = BlindIndexField(source="phone", kind="phone")
    staff_number = models.CharField(_("工号"), max_length=40, blank=True, db_index=True)
    id_number = EncryptedField(
        _("身份证号"), max_length=18, blank=True, index_field="id_number_bidx", kind="id_number"
    )
    id_number_bidx = BlindIndexField(source="id_number", kind="id_number")
    gender = models.CharField(_("性别"), max_length=1, choices=Gender.choices, blank=True)
    unit = models.ForeignKey(
        OrgUnit,
        verbose_name=_("单位"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="members",
    )
    rank = models.CharField(_("职级"), max_length=12, choices=Rank.choices, blank=True)
    position = models.CharField(_("职务"), max_length=80, blank=True)
    is_active = models.BooleanField(_("启用"), default=True)
    is_staff = models.BooleanField(_("可登录后台"), default=False)
    date_joined = models.DateTimeField(_("注册时间"), default=timezone.now)
    email_notifications = models.BooleanField(_("接收邮件通知"), default=True)
    # The language notices, e-mails and pages are shown in (empty: the system default, Chinese).
    # The language switch stores it for a signed-in user.
    language = models.CharField(
        _("界面语言"), max_length=10, choices=settings.LANGUAGES, blank=True, default=""
    )
    # Set when an administrator or an import issues a password (accounts.services
    # .user_issue_password): every page leads to the password change until the person sets
    # their own (accounts.middleware). Demo accounts never carry it.
    must_change_password = models.BooleanField(_("须修改密码"), default=False)
    # When the password was last set: administrator-role passwords expire after
    # LECTERN_ADMIN_PASSWORD_MAX_AGE_DAYS.
    password_changed_at = models.DateTimeField(_("密码修改时间"), default=timezone.now)

    objects = LecternUserManager()

    USERNAME_FIELD = "username"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = ["full_name"]

    class Meta:
        verbose_name = _("用户")
        verbose_name_plural = _("用户")
        ordering = ["full_name", "id"]

    def __str__(self):
        return self.full_name or self.username

    def get_full_name(self):
        return self.full_name

    def get_short_name(self):
        return self.full_name

    @property
    def preferred_language(self) -> str:
        """The language to write to this person in (their choice, else the system default)."""
        return self.language or settings.LANGUAGE_CODE


class Role(models.TextChoices):
    """Roles granted on a unit subtree. Program-scoped roles (class manager, venue manager,
    lecturer) are attached to programs, venues and lecturers in the programs app."""

    ADMIN = "admin", _("管理员(组织部)")
    ORGANIZER = "organizer", _("培训组织者")
    LIAISON = "liaison", _("单位联络员")
    # 三员分立: the three administrators of the system itself. No account holds two of them,
    # nor one of them together with a business role (accounts.services.role_grant; the database
    # refuses two of them on one account: constraint rolegrant_one_officer_role).
    SYSTEM_ADMIN = "sysadmin", _("系统管理员")
    SECURITY_ADMIN = "secadmin", _("安全管理员")
    AUDIT_ADMIN = "auditadmin", _("安全审计员")


OFFICER_ROLES = (Role.SYSTEM_ADMIN, Role.SECURITY_ADMIN, Role.AUDIT_ADMIN)
BUSINESS_ROLES = (Role.ADMIN, Role.ORGANIZER, Role.LIAISON)


class RoleGrant(BaseModel):
    user = models.ForeignKey(
        User, verbose_name=_("用户"), on_delete=models.CASCADE, related_name="role_grants"
    )
    role = models.CharField(_("角色"), max_length=12, choices=Role.choices)
    unit = models.ForeignKey(
        OrgUnit, verbose_name=_("范围单位"), on_delete=models.CASCADE, related_name="role_grants"
    )

    class Meta:
        verbose_name = _("角色授权")
        verbose_name_plural = _("角色授权")
        constraints = [
            models.UniqueConstraint(fields=["user", "role", "unit"], name="rolegrant_unique"),
            # at most one of the three administrator roles per account (三员分立)
            models.UniqueConstraint(
                fields=["user"],
                condition=Q(role__in=["sysadmin", "secadmin", "auditadmin"]),
                name="rolegrant_one_officer_role",
            ),
        ]

    def __str__(self):
        return f"{self.user} · {self.get_role_display()} · {self.unit}"


def subtree_q(paths: list[str], field: str) -> Q:
    """A Q matching rows whose `field` (an OrgUnit FK) lies in any of the given subtrees."""
    q = Q(pk__in=[])
    for path in paths:
        q |= Q(**{f"{field}__path__startswith": path})
    return q


class PasswordHistory(models.Model):
    """The hashes of a person's earlier passwords: a new password may not be one of the last
    LECTERN_PASSWORD_HISTORY (accounts.passwords.PasswordHistoryValidator)."""

    user = models.ForeignKey(
        User, verbose_name=_("用户"), on_delete=models.CASCADE, related_name="password_history"
    )
    password = models.CharField(_("密码摘要"), max_length=128)
    created_at = models.DateTimeField(_("时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("历史密码")
        verbose_name_plural = _("历史密码")
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return f"{self.user_id} · {self.created_at:%Y-%m-%d}"


class UserSession(models.Model):
    """One signed-in session of a person (the "我的登录会话" page); the session itself lives in
    Django's session store under `session_key`."""

    user = models.ForeignKey(
        User, verbose_name=_("用户"), on_delete=models.CASCADE, related_name="login_sessions"
    )
    session_key = models.CharField(_("会话标识"), max_length=64, unique=True)
    ip = models.CharField(_("网络地址"), max_length=45, blank=True)
    user_agent = models.CharField(_("浏览器"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("登录时间"), auto_now_add=True)
    last_seen = models.DateTimeField(_("最近活动"), default=timezone.now)

    class Meta:
        verbose_name = _("登录会话")
        verbose_name_plural = _("登录会话")
        ordering = ["-last_seen", "-id"]

    def __str__(self):
        return f"{self.user_id} · {self.ip} · {self.created_at:%Y-%m-%d %H:%M}"
