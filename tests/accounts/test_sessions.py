"""Session limits (issue 17 item 4): idle and absolute limits by role class, logout and the
password change end sessions on the server, one session per administrator, "我的登录会话"."""

import time

import pytest
from django.contrib.sessions.models import Session
from django.test import Client
from django.urls import reverse

from accounts import sessions
from accounts.models import Role, UserSession
from core.models import AuditLog
from tests.factories import TEST_PASSWORD, OrgUnitFactory, RoleGrantFactory, UserFactory

pytestmark = pytest.mark.django_db


def login(client, user, ua="phone"):
    response = client.post(
        reverse("login"),
        {"username": user.username, "password": TEST_PASSWORD},
        HTTP_USER_AGENT=ua,
        REMOTE_ADDR="10.1.2.3",
    )
    assert response.status_code == 302
    return client


def age(client, **shift):
    """Move the session's stamps back in time by `shift` seconds."""
    s = client.session
    for key, seconds in shift.items():
        s[{"started": sessions.STARTED, "last": sessions.LAST}[key]] -= seconds
    s.save()


@pytest.fixture
def admin():
    user = UserFactory(username="s_admin")
    RoleGrantFactory(user=user, role=Role.ADMIN, unit=OrgUnitFactory())
    return user


def test_staff_session_ends_after_30_idle_minutes(client, settings):
    unit = OrgUnitFactory()
    organizer = UserFactory(username="s_org")
    RoleGrantFactory(user=organizer, role=Role.ORGANIZER, unit=unit)
    login(client, organizer)
    assert client.session[sessions.IDLE] == settings.LECTERN_SESSION_IDLE_MINUTES * 60 == 1800
    age(client, last=29 * 60)
    assert client.get(reverse("home")).status_code == 200
    age(client, last=31 * 60)
    response = client.get(reverse("home"))
    assert response.status_code == 302 and reverse("login") in response["Location"]
    assert AuditLog.objects.filter(action="session.timeout.idle").exists()
    assert client.get(reverse("home")).status_code == 302  # really signed out


def test_admin_session_ends_after_15_idle_minutes(client, admin):
    login(client, admin)
    assert client.session[sessions.IDLE] == 15 * 60
    age(client, last=16 * 60)
    assert client.get(reverse("home")).status_code == 302


def test_trainee_phone_session_stays_for_days_but_not_forever(client):
    trainee = UserFactory(username="s_trainee")
    login(client, trainee)
    age(client, started=3 * 24 * 3600, last=3 * 24 * 3600)
    assert client.get(reverse("home")).status_code == 200
    age(client, started=5 * 24 * 3600)
    assert client.get(reverse("home")).status_code == 302  # absolute limit: 7 days


def test_absolute_lifetime_for_staff(client, admin):
    login(client, admin)
    age(client, started=13 * 3600)
    response = client.get(reverse("home"))
    assert response.status_code == 302
    assert AuditLog.objects.filter(action="session.timeout.absolute").exists()


def test_activity_keeps_the_session_alive(client, admin):
    login(client, admin)
    for _ in range(3):
        age(client, last=10 * 60)
        assert client.get(reverse("home")).status_code == 200
    assert time.time() - client.session[sessions.LAST] < 60


def test_logout_ends_the_session_on_the_server(client):
    user = UserFactory(username="s_out")
    login(client, user)
    key = client.session.session_key
    assert Session.objects.filter(session_key=key).exists()
    client.post(reverse("logout"))
    assert not Session.objects.filter(session_key=key).exists()
    assert not UserSession.objects.filter(session_key=key).exists()
    assert AuditLog.objects.filter(action="logout", target_id=str(user.pk)).exists()


def test_a_new_admin_login_ends_the_old_session(admin):
    first = login(Client(), admin, ua="desk")
    second = login(Client(), admin, ua="laptop")
    assert first.get(reverse("home")).status_code == 302
    assert second.get(reverse("home")).status_code == 200
    assert list(UserSession.objects.filter(user=admin).values_list("user_agent", flat=True)) == [
        "laptop"
    ]
    assert AuditLog.objects.filter(action="session.replaced", target_id=str(admin.pk)).exists()


def test_other_people_keep_several_sessions():
    user = UserFactory(username="s_two")
    phone = login(Client(), user, ua="phone")
    desk = login(Client(), user, ua="desk")
    assert phone.get(reverse("home")).status_code == 200
    assert desk.get(reverse("home")).status_code == 200


def test_my_sessions_page_lists_and_ends_my_own_sessions():
    user = UserFactory(username="s_mine")
    phone = login(Client(), user, ua="Phone Safari")
    desk = login(Client(), user, ua="Desk Firefox")
    page = desk.get(reverse("accounts:sessions"))
    text = page.content.decode()
    assert "Phone Safari" in text and "Desk Firefox" in text and "10.1.2.3" in text
    phone_row = UserSession.objects.get(user=user, user_agent="Phone Safari")
    assert desk.post(reverse("accounts:session_end", args=[phone_row.pk])).status_code == 302
    assert phone.get(reverse("home")).status_code == 302
    assert desk.get(reverse("home")).status_code == 200
    assert AuditLog.objects.filter(action="session.ended_by_user").exists()


def test_nobody_ends_someone_elses_session():
    owner = UserFactory(username="s_owner")
    login(Client(), owner)
    intruder = login(Client(), UserFactory(username="s_intruder"))
    row = UserSession.objects.get(user=owner)
    assert intruder.post(reverse("accounts:session_end", args=[row.pk])).status_code == 404
    assert UserSession.objects.filter(pk=row.pk).exists()


def test_profile_states_the_session_policy(client):
    login(client, UserFactory(username="s_prof"))
    text = client.get(reverse("accounts:profile")).content.decode()
    assert reverse("accounts:sessions") in text
    assert "7 天" in text


def test_my_sessions_page_costs_the_same_queries_for_1_and_6_sessions():
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def cost(n):
        user = UserFactory(username=f"s_count{n}")
        clients = [login(Client(), user, ua=f"device {i}") for i in range(n)]
        clients[-1].get(reverse("accounts:sessions"))  # settle first-request writes
        with CaptureQueriesContext(connection) as ctx:
            page = clients[-1].get(reverse("accounts:sessions"))
        assert page.status_code == 200
        assert page.content.decode().count("device ") == n
        return len(ctx.captured_queries)

    assert cost(1) == cost(6)
