from django.apps import apps
from django.conf import settings
from django.contrib import admin


def test_every_lectern_model_is_in_the_django_admin():
    """…except what is hidden from it on purpose (earlier password hashes)."""
    from core.admin_base import HIDDEN

    assert {m._meta.label for m in HIDDEN} == {"accounts.PasswordHistory"}
    missing = [
        m._meta.label
        for m in apps.get_models()
        if m._meta.app_label in settings.LECTERN_APPS
        and m not in admin.site._registry
        and m not in HIDDEN
    ]
    assert not missing, f"register these in their app's admin.py: {missing}"


def _lectern_models():
    from core.admin_base import HIDDEN

    return [
        m
        for m in apps.get_models()
        if m._meta.app_label in settings.LECTERN_APPS and m not in HIDDEN
    ]


def test_every_admin_changelist_opens_for_a_superuser(db, client):
    from django.urls import reverse

    from tests.factories import UserFactory

    root = UserFactory(is_superuser=True, is_staff=True)
    client.force_login(root)
    failures = []
    for model in _lectern_models():
        url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
        response = client.get(url)
        if response.status_code != 200:
            failures.append(f"{model._meta.label}: {response.status_code}")
    assert not failures, failures
