"""三员分立 (issue 17 item 5), lockout (item 2) and identity audit events (item 6)."""

import pytest
from django.db import IntegrityError, transaction
from django.test import Client
from django.urls import reverse

from accounts.models import Role, RoleGrant
from accounts.scoping import roles_of
from accounts.services import role_grant, role_revoke
from core.errors import DomainError
from core.models import AuditLog
from tests.factories import TEST_PASSWORD, OrgUnitFactory, RoleGrantFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def root():
    return OrgUnitFactory(name="云江省")


@pytest.fixture
def secadmin(root):
    user = UserFactory(username="sec")
    RoleGrantFactory(user=user, role=Role.SECURITY_ADMIN, unit=root)
    return user


@pytest.mark.parametrize(
    ("first", "second"),
    [
        (Role.SYSTEM_ADMIN, Role.SECURITY_ADMIN),
        (Role.SECURITY_ADMIN, Role.AUDIT_ADMIN),
        (Role.AUDIT_ADMIN, Role.SYSTEM_ADMIN),
        (Role.ADMIN, Role.AUDIT_ADMIN),
        (Role.ORGANIZER, Role.SYSTEM_ADMIN),
        (Role.SECURITY_ADMIN, Role.ADMIN),
        (Role.AUDIT_ADMIN, Role.LIAISON),
    ],
)
def test_conflicting_roles_are_refused(root, first, second):
    user = UserFactory()
    role_grant(user=user, role=first, unit=root)
    with pytest.raises(DomainError):
        role_grant(user=user, role=second, unit=root)
    assert list(RoleGrant.objects.filter(user=user).values_list("role", flat=True)) == [first]


def test_the_database_refuses_two_administrator_roles_on_one_account(root):
    user = UserFactory()
    RoleGrant.objects.create(user=user, role=Role.SYSTEM_ADMIN, unit=root)
    with pytest.raises(IntegrityError), transaction.atomic():
        RoleGrant.objects.create(user=user, role=Role.AUDIT_ADMIN, unit=root)


def test_business_roles_still_combine(root):
    user = UserFactory()
    role_grant(user=user, role=Role.ORGANIZER, unit=root)
    role_grant(user=user, role=Role.LIAISON, unit=root)
    assert RoleGrant.objects.filter(user=user).count() == 2


def test_roles_of_exposes_the_three(root):
    audit = UserFactory()
    role_grant(user=audit, role=Role.AUDIT_ADMIN, unit=root)
    roles = roles_of(audit)
    assert roles.is_audit_admin and not roles.is_security_admin and not roles.is_system_admin
    assert not roles.is_admin and roles.is_officer and roles.is_any_admin


def test_security_admin_grants_and_revokes_through_the_page_audited(root, secadmin):
    target = UserFactory(username="future_auditor")
    client = Client()
    client.force_login(secadmin)
    page = client.get(reverse("accounts:security_roles"))
    assert page.status_code == 200
    assert "<option" not in page.content.decode().split('name="unit"')[1][:200]  # no select
    response = client.post(
        reverse("accounts:security_roles"),
        {"username": "future_auditor", "role": Role.AUDIT_ADMIN, "unit": root.code},
    )
    assert response.status_code == 302
    grant = RoleGrant.objects.get(user=target)
    entry = AuditLog.objects.get(action="role.grant", target_id=str(target.pk))
    assert entry.actor == secadmin
    assert entry.before == {"grants": []}
    assert entry.after["grants"] == [{"role": "auditadmin", "unit": root.pk}]
    # a conflicting grant is refused with a message, nothing written
    refused = client.post(
        reverse("accounts:security_roles"),
        {"username": "future_auditor", "role": Role.ADMIN, "unit": root.code},
    )
    assert refused.status_code == 200
    assert "不能再授予业务角色" in refused.content.decode()
    assert RoleGrant.objects.filter(user=target).count() == 1
    client.post(reverse("accounts:security_role_revoke", args=[grant.pk]))
    assert not RoleGrant.objects.filter(user=target).exists()
    revoke = AuditLog.objects.get(action="role.revoke", target_id=str(target.pk))
    assert revoke.before["grants"] and revoke.after == {"grants": []}


def test_business_admin_cannot_reach_the_grant_page(root):
    admin = UserFactory()
    role_grant(user=admin, role=Role.ADMIN, unit=root)
    client = Client()
    client.force_login(admin)
    assert client.get(reverse("accounts:security_roles")).status_code == 403
    assert client.get(reverse("accounts:security_lockouts")).status_code == 403


def test_role_revoke_service_logs_before_and_after(root):
    user = UserFactory()
    grant = role_grant(user=user, role=Role.ORGANIZER, unit=root)
    role_revoke(grant=grant, by=None)
    assert AuditLog.objects.filter(action="role.revoke").count() == 1


# --- lockout ---------------------------------------------------------------------------------


@pytest.fixture
def axes_on(settings):
    settings.AXES_ENABLED = True
    from axes.models import AccessAttempt

    AccessAttempt.objects.all().delete()


def attempt(client, username, password, ip="10.9.8.7"):
    return client.post(
        reverse("login"),
        {"username": username, "password": password},
        REMOTE_ADDR=ip,
        HTTP_USER_AGENT="guess-bot",
    )


def test_policy_settings_lock_after_at_most_5_for_at_least_15_minutes(settings):
    assert settings.AXES_FAILURE_LIMIT <= 5
    assert settings.AXES_COOLOFF_TIME * 60 >= 15
    assert settings.AXES_RESET_ON_SUCCESS  # consecutive failures


def test_five_failures_lock_audited_listed_and_released(axes_on, secadmin, settings):
    victim = UserFactory(username="victim")
    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        attempt(client, "victim", "wrong")
    assert attempt(client, "victim", TEST_PASSWORD).status_code == 429
    failures = AuditLog.objects.filter(action="login.failure", target_id=str(victim.pk))
    assert failures.count() >= settings.AXES_FAILURE_LIMIT
    assert failures.first().after["ip"] == "10.9.8.7"
    assert failures.first().after["user_agent"] == "guess-bot"
    lockout = AuditLog.objects.filter(action="login.lockout", target_id=str(victim.pk)).first()
    assert lockout is not None and lockout.after["ip"] == "10.9.8.7"
    # the security administrator sees it and may release it early
    sec = Client()
    sec.force_login(secadmin)
    page = sec.get(reverse("accounts:security_lockouts"))
    assert "victim" in page.content.decode()
    from axes.models import AccessAttempt

    pk = AccessAttempt.objects.get(username="victim").pk
    assert sec.post(reverse("accounts:security_lockout_release", args=[pk])).status_code == 302
    assert AuditLog.objects.filter(action="login.unlock", actor=secadmin).exists()
    assert attempt(client, "victim", TEST_PASSWORD).status_code == 302


def test_unknown_usernames_are_audited_too(axes_on):
    attempt(Client(), "nobody-here", "x")
    entry = AuditLog.objects.get(action="login.failure")
    assert entry.after["username"] == "nobody-here"


# --- audit of sign-in ---------------------------------------------------------------------------


def test_login_success_is_audited_with_address_and_agent(axes_on):
    user = UserFactory(username="okuser")
    assert attempt(Client(), "okuser", TEST_PASSWORD).status_code == 302
    entry = AuditLog.objects.get(action="login.success", target_id=str(user.pk))
    assert entry.after == {"ip": "10.9.8.7", "user_agent": "guess-bot"}
    assert not AuditLog.objects.filter(action="login.superuser").exists()


def test_superuser_login_is_break_glass_and_audited(axes_on):
    root_user = UserFactory(username="root", is_superuser=True, is_staff=True)
    attempt(Client(), "root", TEST_PASSWORD)
    entry = AuditLog.objects.get(action="login.superuser")
    assert entry.actor == root_user and entry.after["ip"] == "10.9.8.7"


def test_the_audit_administrator_reaches_the_audit_log_from_the_menu(world, client_for):
    from django.urls import reverse

    from accounts.models import Role
    from tests.factories import RoleGrantFactory, UserFactory

    auditor = UserFactory(username="w_auditor", full_name="审计员甲", unit=world.province)
    RoleGrantFactory(user=auditor, role=Role.AUDIT_ADMIN, unit=world.province)
    home = client_for(auditor).get(reverse("home")).content.decode()
    assert reverse("audit_log") in home
    assert client_for(auditor).get(reverse("audit_log")).status_code == 200
    assert reverse("audit_log") not in client_for(world.admin).get(reverse("home")).content.decode()
