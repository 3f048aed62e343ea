"""The audit administrator's page (issue 17 item 7): only that role, search, pages, export."""

import pytest
from django.urls import reverse

from core import audit
from core.models import AuditLog
from core.services import audit_log
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def auditor(monkeypatch):
    """The audit administrator (accounts' role lands separately; core asks a hook)."""
    user = UserFactory(username="w_audit", full_name="审计员甲")
    monkeypatch.setattr(
        audit.registry,
        "app_hooks",
        lambda module, name: (
            [lambda u: u.username == "w_audit"] if name == "user_is_audit_admin" else []
        ),
    )
    return user


def test_only_the_audit_administrator_opens_the_page(world, client, auditor):
    for user in (world.admin, world.organizer, world.trainee):
        client.force_login(user)
        assert client.get(reverse("audit_log")).status_code == 403
        assert client.get(reverse("audit_log_export")).status_code == 403
    client.force_login(auditor)
    assert client.get(reverse("audit_log")).status_code == 200


def test_search_by_actor_action_object_and_date(world, client, auditor):
    audit_log(actor=world.organizer, action="program.edit", target=world.program, reason="改名")
    audit_log(actor=world.admin, action="role.grant", target=world.trainee)
    client.force_login(auditor)
    url = reverse("audit_log")

    page = client.get(url, {"actor": "w_org"}).content.decode()
    assert "program.edit" in page and "role.grant" not in page
    page = client.get(url, {"action": "role."}).content.decode()
    assert "role.grant" in page and "program.edit" not in page
    page = client.get(url, {"target": "programs.program"}).content.decode()
    assert "program.edit" in page and "role.grant" not in page
    page = client.get(url, {"date_from": "2000-01-01", "date_to": "2000-01-02"}).content.decode()
    assert "没有符合条件的记录" in page
    partial = client.get(url, {"action": "role."}, headers={"HX-Request": "true"}).content.decode()
    assert "role.grant" in partial and "<html" not in partial


def test_pages_of_fifty(world, client, auditor):
    for i in range(60):
        audit_log(actor=None, action=f"bulk.{i:02d}", target=world.program)
    client.force_login(auditor)
    first = client.get(reverse("audit_log")).content.decode()
    second = client.get(reverse("audit_log"), {"page": 2}).content.decode()
    assert "bulk.59" in first and "bulk.00" not in first
    assert "bulk.00" in second and "第 2 / 2 页" in second


def test_export_is_formula_safe_and_itself_audited(world, client, auditor):
    audit_log(actor=world.organizer, action="program.edit", target=world.program, reason="=1+1")
    client.force_login(auditor)
    response = client.get(reverse("audit_log_export"), {"action": "program."})
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    assert "program.edit" in body and "'=1+1" in body
    entry = AuditLog.objects.get(action="audit.export")
    assert entry.actor_id == auditor.pk
    assert entry.after == {"filters": {"action": "program."}, "rows": 1}


def test_the_django_admin_shows_the_audit_log_to_the_superuser_only(world, client):
    from django.contrib import admin
    from django.test import RequestFactory

    model_admin = admin.site._registry[AuditLog]
    request = RequestFactory().get("/")
    request.user = world.admin
    world.admin.is_staff = True
    assert not model_admin.has_view_permission(request)
    assert not model_admin.has_module_permission(request)
    request.user = UserFactory(is_superuser=True, is_staff=True)
    assert model_admin.has_view_permission(request)
    assert not model_admin.has_change_permission(request)
    assert not model_admin.has_delete_permission(request)
    assert not model_admin.has_add_permission(request)
