"""The Django admin's user form never holds a full ID or phone number (issue 17 item 8)."""

import pytest
from django.urls import reverse

from accounts.models import User
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

PHONE, ID = "13812345678", "42010619900101123X"


def test_the_user_change_form_shows_masked_values_and_keeps_them_when_left_empty(client):
    root = UserFactory(username="root", is_superuser=True, is_staff=True)
    person = UserFactory(phone=PHONE, id_number=ID, full_name="王五")
    client.force_login(root)
    url = reverse("admin:accounts_user_change", args=[person.pk])
    page = client.get(url)
    body = page.content.decode()
    assert page.status_code == 200
    assert PHONE not in body and ID not in body
    assert "138****5678" in body and "4201**********123X" in body

    form = page.context["adminform"].form
    data = {
        "username": person.username,
        "full_name": "王五",
        "phone": "",
        "id_number": "",
        "password": person.password,
        "is_active": "on",
        "date_joined_0": "2026-01-01",
        "date_joined_1": "08:00:00",
        "role_grants-TOTAL_FORMS": "0",
        "role_grants-INITIAL_FORMS": "0",
    }
    data = {k: v for k, v in data.items() if k in form.fields or "-" in k or k.startswith("date")}
    r = client.post(url, data)
    assert r.status_code == 302, r.content.decode()[:2000]
    person = User.objects.get(pk=person.pk)
    assert (person.phone, person.id_number) == (PHONE, ID)  # empty keeps

    r = client.post(url, {**data, "phone": "13900001111"})
    assert r.status_code == 302
    assert User.objects.get(phone="13900001111").id_number == ID  # a new number replaces
