import pytest
from django.utils import translation

from core.errors import DomainError, self_decision_guard
from tests.factories import EnrollmentFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_deciding_ones_own_case_is_refused_with_a_message():
    me = UserFactory()
    with pytest.raises(DomainError) as caught:
        self_decision_guard(subject=me, by=me)
    assert "不能处理与本人有关的事项" in str(caught.value)
    assert caught.value.code == "self_decision"


def test_a_record_naming_the_decider_by_user_id_is_refused_too():
    enrolment = EnrollmentFactory()
    with pytest.raises(DomainError):
        self_decision_guard(subject=enrolment, by=enrolment.user)


def test_someone_elses_case_passes():
    self_decision_guard(subject=UserFactory(), by=UserFactory())
    self_decision_guard(subject=EnrollmentFactory(), by=UserFactory())


def test_the_refusal_is_translated():
    me = UserFactory()
    with translation.override("en"), pytest.raises(DomainError) as caught:
        self_decision_guard(subject=me, by=me)
    assert "不能" not in str(caught.value)
