"""An account made or re-passworded in the Django admin carries an issued password (forced
change); role grants are not made in the admin by anyone but the break-glass superuser."""

import pytest
from django.contrib.admin.sites import site
from django.test import RequestFactory
from django.urls import reverse

from accounts.models import RoleGrant, User
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_an_account_added_in_the_admin_must_change_its_password(client):
    root = UserFactory(username="root", is_superuser=True, is_staff=True)
    client.force_login(root)
    response = client.post(
        reverse("admin:accounts_user_add"),
        {
            "username": "newcomer",
            "full_name": "新学员",
            "password1": "Chushi-2026!",
            "password2": "Chushi-2026!",
            "usable_password": "true",
            "role_grants-TOTAL_FORMS": "0",
            "role_grants-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert User.objects.get(username="newcomer").must_change_password


def test_an_admin_password_reset_must_be_changed(client):
    root = UserFactory(username="root", is_superuser=True, is_staff=True)
    person = UserFactory(username="person")
    client.force_login(root)
    url = reverse("admin:auth_user_password_change", args=[person.pk])
    response = client.post(url, {"password1": "Chushi-2026!", "password2": "Chushi-2026!"})
    assert response.status_code == 302
    person.refresh_from_db()
    assert person.must_change_password


def test_only_the_superuser_may_edit_grants_in_the_admin():
    staff = UserFactory(is_staff=True)
    root = UserFactory(is_superuser=True, is_staff=True)
    model_admin = site._registry[RoleGrant]
    for user, allowed in ((staff, False), (root, True)):
        request = RequestFactory().get("/")
        request.user = user
        assert model_admin.has_add_permission(request) is allowed
        assert model_admin.has_change_permission(request) is allowed
        assert model_admin.has_delete_permission(request) is allowed
