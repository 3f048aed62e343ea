"""Issue 13: admins and organizers find a named trainee with a search box and open their
个人培训档案 (the credits app's record, which checks the scope)."""

import pytest
from django.urls import reverse

from tests.permissions import ROLES

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("role", [r for r in ROLES if r != "anonymous"])
def test_the_record_opens_in_the_credits_app_which_checks_the_scope(world, client_for, role):
    """The old address redirects everyone; the credits record decides who may see it."""
    user = world.by_role()[role]
    response = client_for(user).get(reverse("reports:trainee_record", args=[world.trainee.pk]))
    assert response.status_code == 302
    assert response["Location"] == reverse("credits:record", args=[world.trainee.pk])


def test_search_finds_people_within_the_organizers_units_only(world, client_for):
    url = reverse("reports:trainee_search")
    page = client_for(world.organizer).get(url, {"q": "学员"}).content.decode()
    assert world.trainee.full_name in page
    assert reverse("credits:record", args=[world.trainee.pk]) in page
    assert world.other_trainee.full_name not in page  # 临川市: not theirs
    outsider = client_for(world.outsider).get(url, {"q": "学员"}).content.decode()
    assert world.other_trainee.full_name in outsider and world.trainee.full_name not in outsider
    admin = client_for(world.admin).get(url, {"q": "学员"}).content.decode()
    assert world.trainee.full_name in admin and world.other_trainee.full_name in admin


def test_search_by_phone_and_the_htmx_partial(world, client_for):
    type(world.trainee).objects.filter(pk=world.trainee.pk).update(phone="13900001111")
    response = client_for(world.organizer).get(
        reverse("reports:trainee_search"), {"q": "13900001111"}, HTTP_HX_REQUEST="true"
    )
    body = response.content.decode()
    assert response.status_code == 200 and world.trainee.full_name in body
    assert "<html" not in body and 'id="trainee-results"' in body


@pytest.mark.parametrize("role", ["trainee", "manager", "liaison", "lecturer", "venue_manager"])
def test_search_is_for_admins_and_organizers(world, client_for, role):
    user = world.by_role()[role]
    response = client_for(user).get(reverse("reports:trainee_search"), {"q": "学员"})
    assert response.status_code == 403


def test_the_exports_page_links_the_search_for_organizers(world, client_for):
    page = client_for(world.organizer).get(reverse("reports:index")).content.decode()
    link = f'href="{reverse("reports:trainee_search")}"'
    assert link in page
    page = client_for(world.trainee).get(reverse("reports:index")).content.decode()
    assert link not in page
