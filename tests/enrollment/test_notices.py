"""Enrollment notices are stored as message ids with parameters, rendered in each reader's
language at read time (contract 5)."""

import pytest
from django.utils import translation

from core.models import Notification
from enrollment import services
from enrollment.models import Enrollment
from tests.enrollment.factories import PolicyFactory
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_an_approval_notice_keeps_its_msgid_and_params(world):
    PolicyFactory(program=world.program, applications_open=True)
    person = UserFactory(unit=world.county_a)
    e = services.application_create(program=world.program, user=person)
    services.application_approve(enrollment=e, by=world.organizer)
    note = Notification.objects.get(user=person)
    assert note.title_msgid == "报名已通过:%(program)s"
    assert note.params["program"] == world.program.title
    assert world.program.title in note.title  # rendered in the default language, too
    with translation.override("en"):
        assert world.program.title in note.display_title
        assert "报名已通过" not in note.display_title


def test_reviewers_are_told_of_a_withdrawal_request_with_the_reason_as_a_parameter(world):
    e = Enrollment.objects.get(program=world.program, user=world.trainee)
    services.withdrawal_request(enrollment=e, by=world.trainee, reason="100% 工作冲突")
    note = Notification.objects.filter(user=world.organizer).latest("id")
    assert note.body_msgid == "%(name)s:%(reason)s"
    assert note.params["reason"] == "100% 工作冲突" and "100% 工作冲突" in note.body
