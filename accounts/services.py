from django.conf import settings
from django.contrib.auth import password_validation
from django.contrib.sessions.backends.base import SessionBase
from django.db import transaction
from django.db.models import F, Value
from django.db.models.functions import Concat, Substr
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import (
    BUSINESS_ROLES,
    OFFICER_ROLES,
    OrgUnit,
    Role,
    RoleGrant,
    User,
    UserSession,
)
from core.errors import DomainError
from core.services import audit_log


@transaction.atomic
def orgunit_move(*, unit: OrgUnit, new_parent: OrgUnit | None, by: User | None = None) -> None:
    """Move a unit (and its whole subtree) under a new parent, keeping every path consistent."""
    if new_parent is not None and new_parent.path.startswith(unit.path):
        raise ValueError("A unit cannot move into its own subtree.")
    old_path, old_depth = unit.path, unit.depth
    unit.parent = new_parent
    unit.save()
    unit.refresh_from_db()
    # the whole subtree in one UPDATE: new prefix + the rest of each path, depths shifted
    OrgUnit.objects.filter(path__startswith=old_path).exclude(pk=unit.pk).update(
        path=Concat(Value(unit.path), Substr("path", len(old_path) + 1)),
        depth=F("depth") + (unit.depth - old_depth),
    )
    audit_log(
        actor=by,
        action="orgunit.move",
        target=unit,
        before={"path": old_path},
        after={"path": unit.path},
    )


def _grants_of(user: User) -> list[dict]:
    return [
        {"role": r, "unit": u}
        for r, u in RoleGrant.objects.filter(user=user)
        .order_by("role", "unit_id")
        .values_list("role", "unit_id")
    ]


def role_conflict(*, user: User, role: str) -> str:
    """Why `role` may not be added to the roles `user` holds (三员分立), or ""."""
    held = set(RoleGrant.objects.filter(user=user).values_list("role", flat=True))
    if role in OFFICER_ROLES:
        others = held & set(OFFICER_ROLES) - {role}
        if others:
            return _("系统管理员、安全管理员、安全审计员三种角色不能由同一账号兼任。")
        if held & set(BUSINESS_ROLES):
            return _("系统管理员、安全管理员、安全审计员不能兼任业务角色(管理员、组织者、联络员)。")
    elif role in BUSINESS_ROLES and held & set(OFFICER_ROLES):
        return _("该账号担任系统管理员、安全管理员或安全审计员,不能再授予业务角色。")
    return ""


@transaction.atomic
def role_grant(*, user: User, role: Role, unit: OrgUnit, by: User | None = None) -> RoleGrant:
    """Grant a role on a unit subtree; refuses combinations that 三员分立 forbids (the database
    refuses two administrator roles on one account as well)."""
    User.objects.select_for_update().filter(pk=user.pk).first()  # one grant at a time per user
    conflict = role_conflict(user=user, role=role)
    if conflict:
        raise DomainError(conflict)
    before = _grants_of(user)
    grant, created = RoleGrant.objects.get_or_create(user=user, role=role, unit=unit)
    if created:
        audit_log(
            actor=by,
            action="role.grant",
            target=user,
            before={"grants": before},
            after={"role": str(role), "unit": unit.pk, "grants": _grants_of(user)},
        )
    return grant


@transaction.atomic
def role_revoke(*, grant: RoleGrant, by: User | None = None) -> None:
    user = grant.user
    before = _grants_of(user)
    role, unit_id = grant.role, grant.unit_id
    grant.delete()
    audit_log(
        actor=by,
        action="role.revoke",
        target=user,
        before={"role": role, "unit": unit_id, "grants": before},
        after={"grants": _grants_of(user)},
    )


# --- Passwords ---------------------------------------------------------------------------------


@transaction.atomic
def user_issue_password(*, user: User, password: str, by: User | None = None) -> None:
    """An administrator (or an import) sets a person's password: it must meet the policy, and
    the person must change it at their first sign-in."""
    password_validation.validate_password(password, user)
    user.set_password(password)
    user.must_change_password = True
    user.save()
    audit_log(actor=by, action="password.issue", target=user, after={"must_change": True})


def password_expired(user: User) -> bool:
    """Administrator-role passwords expire after LECTERN_ADMIN_PASSWORD_MAX_AGE_DAYS."""
    from accounts.scoping import roles_of

    days = int(getattr(settings, "LECTERN_ADMIN_PASSWORD_MAX_AGE_DAYS", 90))
    if not days or not roles_of(user).is_any_admin:
        return False
    return user.password_changed_at < timezone.now() - timezone.timedelta(days=days)


def password_changed_by_user(*, user: User, request=None, how: str = "change") -> None:
    """After a person set their own password (change or reset): the issued-password flag is
    cleared and the change is audited. Other sessions end through Django's session hash."""
    if user.must_change_password:
        user.must_change_password = False
        user.save(update_fields=["must_change_password"])
    if request is not None:
        request.session.pop("_lectern_pw_expired", None)
    audit_log(
        actor=user,
        action=f"password.{how}",
        target=user,
        after=client_facts(request) if request is not None else None,
    )


# --- Sessions ----------------------------------------------------------------------------------


def client_facts(request) -> dict:
    """Client address and user agent of a request, for audit entries."""
    from core.clientip import client_ip

    meta = getattr(request, "META", {}) or {}
    try:
        ip = client_ip(request)
    except Exception:  # a bare request without META (tests, signals from scripts)
        ip = meta.get("REMOTE_ADDR", "")
    return {"ip": ip or "", "user_agent": meta.get("HTTP_USER_AGENT", "")[:300]}


def _store(session_key: str) -> SessionBase:
    from importlib import import_module

    return import_module(settings.SESSION_ENGINE).SessionStore(session_key=session_key)


def session_end(*, session: UserSession, by: User | None = None, why: str = "ended") -> None:
    """End a signed-in session on the server (its device is signed out at its next request)."""
    _store(session.session_key).delete()
    audit_log(
        actor=by,
        action=f"session.{why}",
        target=session.user,
        before={"session": session.pk, "ip": session.ip, "user_agent": session.user_agent},
    )
    session.delete()


def sessions_live(user: User):
    """The person's sessions that still exist in the session store (rows of ended ones are
    dropped on the way); one query for the database session store, whatever the count."""
    rows = list(UserSession.objects.filter(user=user))
    if settings.SESSION_ENGINE == "django.contrib.sessions.backends.db":
        from django.contrib.sessions.models import Session

        alive = set(
            Session.objects.filter(
                session_key__in=[r.session_key for r in rows], expire_date__gt=timezone.now()
            ).values_list("session_key", flat=True)
        )
    else:
        alive = {r.session_key for r in rows if _store(r.session_key).exists(r.session_key)}
    dead = [r.pk for r in rows if r.session_key not in alive]
    if dead:
        UserSession.objects.filter(pk__in=dead).delete()
    return [r for r in rows if r.session_key in alive]


def user_update_preferences(
    *, user: User, email: str, email_notifications: bool, language: str | None = None
) -> None:
    user.email = email
    user.email_notifications = email_notifications
    fields = ["email", "email_notifications"]
    if language is not None:
        user.language = language
        fields.append("language")
    user.save(update_fields=fields)


def user_set_language(*, user: User, language: str) -> bool:
    """Remember the language a person chose (the switch, the profile). False if unknown."""
    from django.conf import settings

    if language not in {code for code, _ in settings.LANGUAGES}:
        return False
    if user.language != language:
        user.language = language
        user.save(update_fields=["language"])
    return True


def lockout_release(*, attempt, by: User) -> None:
    """The security administrator lifts a lockout (an axes AccessAttempt) before it cools off."""
    user = User.objects.filter(username=attempt.username).first()
    audit_log(
        actor=by,
        action="login.unlock",
        target=user or User(),
        before={
            "username": attempt.username,
            "ip": attempt.ip_address,
            "failures": attempt.failures_since_start,
        },
    )
    attempt.delete()


# --- The system administrator's pages (三员分立: users and units, no roles) --------------------


@transaction.atomic
def user_create(
    *, username: str, full_name: str, unit: OrgUnit, password: str, email: str = "", by: User
) -> User:
    """A new account with an issued password (changed at first sign-in) and no role: roles are
    the security administrator's to grant. Audited `user.create`."""
    username = username.strip()
    if User.objects.filter(username=username).exists():
        raise DomainError(_("用户名 %(u)s 已被使用。") % {"u": username}, field="username")
    user = User(username=username, full_name=full_name.strip(), unit=unit, email=email.strip())
    try:
        password_validation.validate_password(password, user)
    except Exception as exc:  # ValidationError: its messages go to the password field
        raise DomainError(" ".join(getattr(exc, "messages", [str(exc)])), field="password") from exc
    user.set_password(password)
    user.must_change_password = True
    user.save()
    audit_log(
        actor=by,
        action="user.create",
        target=user,
        after={"username": user.username, "unit": unit.pk, "must_change": True},
    )
    return user


@transaction.atomic
def user_set_active(*, user: User, active: bool, by: User) -> None:
    """Deactivate (every session of the account ends at once) or reactivate an account.
    Nobody deactivates their own account. Audited `user.deactivate` / `user.activate`."""
    if user.pk == by.pk and not active:
        raise DomainError(_("不能停用自己的账号。"))
    if user.is_active == active:
        return
    user.is_active = active
    user.save(update_fields=["is_active"])
    if not active:
        for session in UserSession.objects.filter(user=user):
            session_end(session=session, by=by, why="deactivated")
    audit_log(
        actor=by,
        action="user.activate" if active else "user.deactivate",
        target=user,
        before={"is_active": not active},
        after={"is_active": active},
    )


@transaction.atomic
def orgunit_create(*, name: str, code: str, kind: str, parent: OrgUnit | None, by: User) -> OrgUnit:
    code = code.strip()
    if OrgUnit.objects.filter(code=code).exists():
        raise DomainError(_("单位编码 %(c)s 已被使用。") % {"c": code}, field="code")
    if kind not in OrgUnit.Kind.values:
        raise DomainError(_("请选择单位类型。"), field="kind")
    unit = OrgUnit.objects.create(name=name.strip(), code=code, kind=kind, parent=parent)
    audit_log(
        actor=by,
        action="orgunit.create",
        target=unit,
        after={"name": unit.name, "code": code, "kind": kind, "parent": parent and parent.pk},
    )
    return unit


@transaction.atomic
def orgunit_update(*, unit: OrgUnit, name: str, code: str, kind: str, by: User) -> OrgUnit:
    code = code.strip()
    if OrgUnit.objects.filter(code=code).exclude(pk=unit.pk).exists():
        raise DomainError(_("单位编码 %(c)s 已被使用。") % {"c": code}, field="code")
    if kind not in OrgUnit.Kind.values:
        raise DomainError(_("请选择单位类型。"), field="kind")
    before = {"name": unit.name, "code": unit.code, "kind": unit.kind}
    unit.name, unit.code, unit.kind = name.strip(), code, kind
    unit.save(update_fields=["name", "code", "kind", "updated_at"])
    audit_log(
        actor=by,
        action="orgunit.update",
        target=unit,
        before=before,
        after={"name": unit.name, "code": unit.code, "kind": unit.kind},
    )
    return unit
