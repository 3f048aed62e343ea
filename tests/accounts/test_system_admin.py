"""The system administrator's pages (三员分立, issue 17 item 5): accounts, units, the settings in
force (read-only) and backups, every change audited; the system administrator reads no audit log
and grants no roles; nobody else opens these pages; the demo's business admin is no superuser."""

import json
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import OrgUnit, Role, User, UserSession
from core.models import AuditLog
from tests.factories import RoleGrantFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def sysadmin(world):
    user = UserFactory(username="w_sys", full_name="系统管理员甲")
    RoleGrantFactory(user=user, role=Role.SYSTEM_ADMIN, unit=world.province)
    return user


@pytest.fixture
def secadmin(world):
    user = UserFactory(username="w_sec", full_name="安全管理员甲")
    RoleGrantFactory(user=user, role=Role.SECURITY_ADMIN, unit=world.province)
    return user


PAGES = ["sysadmin_users", "sysadmin_user_new", "sysadmin_units", "sysadmin_backups"]


def test_only_the_system_administrator_opens_the_pages(world, sysadmin, secadmin, client_for):
    mine = client_for(sysadmin)
    for name in [*PAGES, "sysadmin_settings"]:
        assert mine.get(reverse(f"accounts:{name}")).status_code == 200, name
    for other in (world.admin, secadmin, world.organizer):
        client = client_for(other)
        for name in PAGES:
            assert client.get(reverse(f"accounts:{name}")).status_code == 403, (other, name)
    # the security administrator reads the policy too; the business admin does not
    assert client_for(secadmin).get(reverse("accounts:sysadmin_settings")).status_code == 200
    assert client_for(world.admin).get(reverse("accounts:sysadmin_settings")).status_code == 403
    # no audit log and no role grants for the system administrator
    assert mine.get(reverse("audit_log")).status_code == 403
    assert mine.get(reverse("accounts:security_roles")).status_code == 403
    menu = mine.get(reverse("home")).content.decode()
    assert reverse("accounts:sysadmin_users") in menu and reverse("audit_log") not in menu


def test_create_search_and_deactivate_accounts_audited(world, sysadmin, client_for):
    client = client_for(sysadmin)
    weak = client.post(
        reverse("accounts:sysadmin_user_new"),
        {"username": "zhao", "full_name": "赵新", "unit": world.city_a.code, "password": "abc"},
    )
    assert weak.status_code == 200 and not User.objects.filter(username="zhao").exists()
    response = client.post(
        reverse("accounts:sysadmin_user_new"),
        {
            "username": "zhao",
            "full_name": "赵新",
            "unit": world.city_a.code,
            "password": "Lectern-2026x",
        },
    )
    assert response.status_code == 302
    user = User.objects.get(username="zhao")
    assert user.must_change_password and user.unit == world.city_a
    assert not user.role_grants.exists()  # roles are the security administrator's
    assert AuditLog.objects.get(action="user.create", target_id=str(user.pk)).actor == sysadmin
    assert "赵新" in client.get(reverse("accounts:sysadmin_users") + "?q=zhao").content.decode()
    dup = client.post(
        reverse("accounts:sysadmin_user_new"),
        {
            "username": "zhao",
            "full_name": "x",
            "unit": world.city_a.code,
            "password": "Lectern-2026x",
        },
    )
    assert "已被使用" in dup.content.decode()

    # deactivating ends every session of the account at once
    victim = client_for(world.trainee)
    assert victim.get(reverse("home")).status_code == 200
    assert UserSession.objects.filter(user=world.trainee).exists()
    client.post(reverse("accounts:sysadmin_user_active", args=[world.trainee.pk]), {"active": "0"})
    world.trainee.refresh_from_db()
    assert not world.trainee.is_active
    assert victim.get(reverse("home")).status_code == 302  # signed out
    assert AuditLog.objects.filter(action="user.deactivate", target_id=str(world.trainee.pk))
    client.post(reverse("accounts:sysadmin_user_active", args=[world.trainee.pk]), {"active": "1"})
    world.trainee.refresh_from_db()
    assert world.trainee.is_active
    # nobody deactivates their own account
    client.post(reverse("accounts:sysadmin_user_active", args=[sysadmin.pk]), {"active": "0"})
    sysadmin.refresh_from_db()
    assert sysadmin.is_active


def test_the_unit_tree_is_edited_level_by_level_audited(world, sysadmin, client_for):
    client = client_for(sysadmin)
    page = client.get(reverse("accounts:sysadmin_units") + f"?parent={world.city_a.pk}")
    assert world.county_a.name in page.content.decode()
    client.post(
        reverse("accounts:sysadmin_unit_new"),
        {"parent": world.city_a.pk, "name": "新区", "code": "NEW-1", "kind": "county"},
    )
    unit = OrgUnit.objects.get(code="NEW-1")
    assert unit.parent == world.city_a and unit.path.startswith(world.city_a.path)
    client.post(
        reverse("accounts:sysadmin_unit_edit", args=[unit.pk]),
        {"name": "新区(改)", "code": "NEW-1", "kind": "county"},
    )
    unit.refresh_from_db()
    assert unit.name == "新区(改)"
    assert AuditLog.objects.filter(action="orgunit.create", target_id=str(unit.pk)).exists()
    edit = AuditLog.objects.get(action="orgunit.update", target_id=str(unit.pk))
    assert edit.before["name"] == "新区" and edit.after["name"] == "新区(改)"
    # a code already used is refused with a message, nothing written
    client.post(
        reverse("accounts:sysadmin_unit_new"),
        {"parent": world.city_a.pk, "name": "重复", "code": "NEW-1", "kind": "county"},
    )
    assert not OrgUnit.objects.filter(name="重复").exists()


def test_settings_are_shown_read_only_and_backups_with_their_last_run(
    sysadmin, client_for, settings, tmp_path
):
    client = client_for(sysadmin)
    html = client.get(reverse("accounts:sysadmin_settings")).content.decode()
    assert "leave_attachments" in html and "<form" not in html.split("<main", 1)[-1]
    settings.LECTERN_BACKUP_STATUS_FILE = ""
    assert (
        "LECTERN_BACKUP_STATUS_FILE"
        in client.get(reverse("accounts:sysadmin_backups")).content.decode()
    )
    status = tmp_path / "backup.json"
    settings.LECTERN_BACKUP_STATUS_FILE = str(status)
    assert "没有找到备份记录" in client.get(reverse("accounts:sysadmin_backups")).content.decode()
    old = timezone.now() - timedelta(hours=30)
    status.write_text(json.dumps({"finished_at": old.isoformat(), "ok": True, "what": "pg_dump"}))
    html = client.get(reverse("accounts:sysadmin_backups")).content.decode()
    assert "pg_dump" in html and "26" in html


def test_the_demos_business_admin_is_no_superuser(demo_seeded):
    from accounts.scoping import roles_of

    admin = User.objects.get(username="admin")
    assert not admin.is_superuser and admin.is_staff and roles_of(admin).is_admin
    assert admin.has_perm("programs.change_program")
    assert not admin.has_perm("accounts.change_rolegrant")
    assert not admin.has_perm("core.view_auditlog")
    assert not User.objects.filter(is_superuser=True).exists()
