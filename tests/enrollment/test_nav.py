"""The 报名管理 menu entry appears for exactly the roles the page lets in."""

import pytest
from django.test import RequestFactory
from django.urls import reverse

from enrollment import nav

pytestmark = pytest.mark.django_db

# Expected menu keys of the enrollment app for every role of the `world` fixture.
EXPECTED = {
    "admin": {"open", "mine", "reviews"},
    "organizer": {"open", "mine", "reviews"},
    "outsider": {"open", "mine", "reviews"},
    "manager": {"open", "mine", "reviews"},  # 班主任
    "assistant": {"open", "mine", "reviews"},  # 跟班管理员
    "liaison": {"open", "mine", "liaison"},
    "venue_manager": {"open", "mine"},
    "lecturer": {"open", "mine"},
    "trainee": {"open", "mine"},
    "other_trainee": {"open", "mine"},
}


def _keys(user):
    request = RequestFactory().get("/")
    request.user = user
    return {item.key for item in nav.nav_items(request)}


@pytest.mark.parametrize("role", sorted(EXPECTED))
def test_menu_for_each_role(world, role):
    assert _keys(world.by_role()[role]) == EXPECTED[role]


@pytest.mark.parametrize("role", sorted(EXPECTED))
def test_the_menu_entry_is_shown_exactly_when_the_page_opens(world, client_for, role):
    user = world.by_role()[role]
    status = client_for(user).get(reverse("enrollment:reviews")).status_code
    assert status in (200, 403)
    assert ("reviews" in _keys(user)) == (status == 200)


def test_class_manager_sees_the_menu_entry_and_the_pending_panel(world, client_for):
    from enrollment import services
    from tests.enrollment.factories import PolicyFactory
    from tests.factories import UserFactory

    PolicyFactory(program=world.program, applications_open=True)
    services.application_create(program=world.program, user=UserFactory(unit=world.county_a))
    home = client_for(world.manager).get(reverse("home")).content.decode()
    assert f'href="{reverse("enrollment:reviews")}"' in home
    assert reverse("enrollment:review", args=[world.program.pk]) in home  # the 待审核 panel


def test_anonymous_gets_no_menu(world):
    from django.contrib.auth.models import AnonymousUser

    assert _keys(AnonymousUser()) == set()
