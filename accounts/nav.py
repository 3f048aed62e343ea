"""accounts' part of the shell (core.registry hooks): the admin entry, roles on every page, and
the language a signed-in user chose."""

from django.urls import reverse
from django.utils.functional import SimpleLazyObject
from django.utils.translation import gettext as _

from accounts.scoping import roles_of
from core.registry import NavItem


def nav_items(request):
    roles = roles_of(request.user)
    items = []
    if roles.is_admin:
        items.append(NavItem(_("系统后台"), reverse("admin:index"), "admin", order=900))
    if roles.is_security_admin:
        items.append(
            NavItem(_("角色授权"), reverse("accounts:security_roles"), "security_roles", order=910)
        )
        items.append(
            NavItem(
                _("登录锁定"), reverse("accounts:security_lockouts"), "security_lockouts", order=911
            )
        )
    if roles.is_system_admin:
        for order, (label, name) in enumerate(
            (
                (_("用户管理"), "sysadmin_users"),
                (_("单位管理"), "sysadmin_units"),
                (_("系统设置"), "sysadmin_settings"),
                (_("数据备份"), "sysadmin_backups"),
            )
        ):
            items.append(NavItem(label, reverse(f"accounts:{name}"), name, order=930 + order))
    elif roles.is_security_admin:
        items.append(
            NavItem(
                _("系统设置"), reverse("accounts:sysadmin_settings"), "sysadmin_settings", order=912
            )
        )
    if roles.is_audit_admin:
        items.append(NavItem(_("审计日志"), reverse("audit_log"), "audit_log", order=920))
    return items


def shell_context(request):
    return {"roles": SimpleLazyObject(lambda: roles_of(request.user))}


def language_chosen(request, language):
    """The language switch also stores the choice on the user: notices, e-mails and their other
    devices follow it."""
    from accounts.services import user_set_language

    if request.user.is_authenticated:
        user_set_language(user=request.user, language=language)


def user_is_admin(user):
    return roles_of(user).is_admin


def user_is_audit_admin(user):
    """三员分立: the audit administrator reads the audit log (core asks through this hook)."""
    return roles_of(user).is_audit_admin


def export_approvers():
    """The organization department's administrators approve large personal-data exports when
    LECTERN_EXPORT_SECOND_APPROVER is on (core.registry.export_approvers)."""
    from accounts.models import Role, User

    return User.objects.filter(is_active=True, role_grants__role=Role.ADMIN).distinct()[:50]
