import pytest
from django.apps import apps
from django.conf import settings
from django.core.management import call_command
from django.urls import reverse

from core.demo_context import DEMO_PASSWORD

pytestmark = pytest.mark.django_db


def _counts():
    return {
        m._meta.label: m.objects.count()
        for m in apps.get_models()
        if m._meta.app_label in settings.LECTERN_APPS and m._meta.label != "core.AuditLog"
    }


@pytest.fixture
def seeded(demo_seeded):
    """The demo, seeded once for this module (tests.conftest.demo_seeded)."""


def test_seed_demo_twice_gives_the_same_counts(seeded):
    first = _counts()
    call_command("seed_demo", verbosity=0)
    assert _counts() == first
    assert first["accounts.User"] >= 300
    assert first["accounts.OrgUnit"] >= 50


DEMO_LOGINS = [
    "admin",
    "organizer",
    "organizer2",
    "manager",
    "assistant",
    "venue",
    "lecturer",
    "liaison",
    "trainee",
    "sysadmin",
    "secadmin",
    "auditor",
]


@pytest.mark.parametrize("username", DEMO_LOGINS)
def test_every_demo_login_logs_in_and_sees_its_home_page(seeded, client, username):
    response = client.post(reverse("login"), {"username": username, "password": DEMO_PASSWORD})
    assert response.status_code == 302, response.content[:500]
    home = client.get(reverse("home"))
    assert home.status_code == 200
    assert home.context["user"].username == username
