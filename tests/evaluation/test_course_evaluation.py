import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied
from django.db import models

from attendance.models import AttendanceStatus
from core.errors import DomainError
from core.models import Notification
from evaluation import selectors, services
from evaluation.models import EvaluationAnswer, EvaluationReceipt
from tests.evaluation.factories import attend, attendees

pytestmark = pytest.mark.django_db

GOOD = {"content": 4, "delivery": 4, "relevance": 3, "overall": 4}


def _started(world):
    world.session.start -= dt.timedelta(days=1)
    world.session.end -= dt.timedelta(days=1)
    world.session.save()


def test_answer_model_has_no_link_to_a_person_and_no_timestamp():
    fields = {f.name: f for f in EvaluationAnswer._meta.get_fields()}
    assert set(fields) == {
        "id",
        "session",
        "content",
        "delivery",
        "relevance",
        "overall",
        "comment",
    }
    for f in fields.values():
        assert not isinstance(f, models.DateField | models.DateTimeField)
        if f.is_relation:
            assert f.related_model._meta.label == "programs.Session"
    assert isinstance(fields["id"], models.UUIDField)  # no insertion order to match receipts by


def test_receipt_has_no_link_to_the_answer_and_keeps_only_the_day():
    fields = {f.name: f for f in EvaluationReceipt._meta.get_fields()}
    assert set(fields) == {"id", "session", "user", "answered_on"}
    assert type(fields["answered_on"]) is models.DateField
    assert not any(
        f.is_relation and f.related_model is EvaluationAnswer
        for f in EvaluationReceipt._meta.get_fields()
    )


def test_no_relation_path_leads_from_an_answer_to_a_user_except_through_its_session():
    """The only way out of an answer is its session (shared by every attendee)."""
    outgoing = [f for f in EvaluationAnswer._meta.get_fields() if f.is_relation]
    assert [f.name for f in outgoing] == ["session"]


def test_only_trainees_who_attended_may_evaluate(world):
    _started(world)
    with pytest.raises(DomainError, match="没有参加"):
        services.evaluation_submit(session=world.session, user=world.trainee, ratings=GOOD)
    attend(world.session, world.trainee, status=AttendanceStatus.ABSENT, checkin=False)
    with pytest.raises(DomainError, match="没有参加"):
        services.evaluation_submit(session=world.session, user=world.trainee, ratings=GOOD)
    assert EvaluationAnswer.objects.count() == 0 and EvaluationReceipt.objects.count() == 0


def test_a_session_not_ended_cannot_be_evaluated(world):
    world.session.start += dt.timedelta(days=3)
    world.session.end += dt.timedelta(days=3)
    world.session.save()
    attend(world.session, world.trainee)
    with pytest.raises(DomainError, match="课程结束后才能评价"):
        services.evaluation_submit(session=world.session, user=world.trainee, ratings=GOOD)


def test_each_attendee_answers_once_and_a_receipt_is_kept(world):
    _started(world)
    attend(world.session, world.trainee)
    services.evaluation_submit(
        session=world.session, user=world.trainee, ratings=GOOD, comment="很解渴"
    )
    with pytest.raises(DomainError, match="已评价过"):
        services.evaluation_submit(session=world.session, user=world.trainee, ratings=GOOD)
    assert EvaluationAnswer.objects.count() == 1
    assert EvaluationReceipt.objects.filter(user=world.trainee, session=world.session).count() == 1


def test_an_incomplete_answer_writes_nothing(world):
    _started(world)
    attend(world.session, world.trainee)
    with pytest.raises(DomainError, match="总体评价"):
        services.evaluation_submit(
            session=world.session, user=world.trainee, ratings={**GOOD, "overall": 9}
        )
    assert EvaluationAnswer.objects.count() == 0 and EvaluationReceipt.objects.count() == 0


def test_nobody_sees_results_until_five_answers_managers_included(world):
    _started(world)
    users = attendees(world.session, 5)
    for u in users[:4]:
        services.evaluation_submit(session=world.session, user=u, ratings=GOOD)
    for who in (world.lecturer_user, world.manager, world.admin):
        _s, visible = selectors.session_results_get(user=who, pk=world.session.pk)
        assert not visible
    services.evaluation_submit(session=world.session, user=users[4], ratings=GOOD)
    for who in (world.lecturer_user, world.manager, world.admin):
        _s, visible = selectors.session_results_get(user=who, pk=world.session.pk)
        assert visible
    with pytest.raises(PermissionDenied):
        selectors.session_results_get(user=world.trainee, pk=world.session.pk)


def test_aggregates_count_each_rating(world):
    _started(world)
    users = attendees(world.session, 5)
    for u, overall in zip(users, [4, 4, 3, 1, 2], strict=True):
        services.evaluation_submit(
            session=world.session, user=u, ratings={**GOOD, "overall": overall}
        )
    summary = selectors.session_evaluation_summary(session=world.session)
    overall = next(i for i in summary["indicators"] if i.key == "overall")
    assert summary["n"] == 5
    assert [c for _l, c, _p in overall.counts] == [2, 1, 1, 1]
    assert str(overall.satisfaction) == "60.0"
    assert str(overall.average) == "2.80"


def test_lecturer_page_hides_sessions_below_the_minimum(world):
    _started(world)
    for u in attendees(world.session, 2):
        services.evaluation_submit(session=world.session, user=u, ratings=GOOD)
    lecturer, rows = selectors.lecturer_evaluation_rows(user=world.lecturer_user)
    assert lecturer == world.lecturer and len(rows) == 1 and not rows[0].visible
    with pytest.raises(PermissionDenied):
        selectors.lecturer_evaluation_rows(user=world.trainee)


def test_reminders_reach_only_attendees_without_a_receipt(world):
    _started(world)
    done, pending = attendees(world.session, 2)
    services.evaluation_submit(session=world.session, user=done, ratings=GOOD)
    assert services.evaluation_remind(session=world.session, by=world.manager) == 1
    assert Notification.objects.filter(kind="evaluation_reminder", user=pending).exists()
    assert not Notification.objects.filter(kind="evaluation_reminder", user=done).exists()
