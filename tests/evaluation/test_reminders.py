import datetime as dt

import pytest
from django.utils import timezone

from core.models import Notification
from evaluation.models import EvaluationReceipt, Reflection
from reports import services as report_services
from reports.reminders import due_reminders
from tests.evaluation.factories import attend, make_assignment, make_reflection
from tests.factories import EnrollmentFactory, UserFactory

pytestmark = pytest.mark.django_db


def tick(now):
    return report_services.reminders_send(reminders=due_reminders(now))


def test_reflection_deadline_reminds_only_those_without_a_submission_once(world):
    now = timezone.now()
    writer = UserFactory(full_name="已交学员")
    EnrollmentFactory(program=world.program, user=writer)
    drafter = UserFactory(full_name="草稿学员")
    EnrollmentFactory(program=world.program, user=drafter)
    assignment = make_assignment(world.program, deadline=now + dt.timedelta(hours=5))
    make_reflection(assignment, writer)
    make_reflection(assignment, drafter, status=Reflection.Status.DRAFT)
    tick(now)
    tick(now + dt.timedelta(minutes=5))  # the next beat tick sends nothing new
    reminded = set(
        Notification.objects.filter(kind="reminder.reflection_deadline").values_list(
            "user__full_name", flat=True
        )
    )
    assert reminded == {world.trainee.full_name, "草稿学员"}
    assert Notification.objects.filter(kind="reminder.reflection_deadline").count() == 2


def test_no_deadline_reminder_a_day_and_more_ahead(world):
    now = timezone.now()
    make_assignment(world.program, deadline=now + dt.timedelta(hours=30))
    tick(now)
    assert not Notification.objects.filter(kind="reminder.reflection_deadline").exists()


def test_pending_evaluation_reminds_attendees_who_have_not_answered_once(world):
    session = world.session
    now = session.end + dt.timedelta(hours=1)
    answered = UserFactory(full_name="已评学员")
    EnrollmentFactory(program=world.program, user=answered)
    absent = UserFactory(full_name="缺席学员")
    EnrollmentFactory(program=world.program, user=absent)
    attend(session, world.trainee)
    attend(session, answered)
    EvaluationReceipt.objects.create(session=session, user=answered, answered_on=now.date())
    tick(now)
    tick(now + dt.timedelta(minutes=5))
    notes = Notification.objects.filter(kind="reminder.evaluation_pending")
    assert [n.user_id for n in notes] == [world.trainee.pk]
    assert str(session.pk) in notes[0].url


def test_reminders_are_stored_for_the_readers_language(world):
    now = timezone.now()
    make_assignment(world.program, title="学习体会", deadline=now + dt.timedelta(hours=5))
    tick(now)
    note = Notification.objects.get(user=world.trainee, kind="reminder.reflection_deadline")
    assert note.title_msgid == "学习心得“%(title)s”将于 %(due)s 截止"
    assert note.params["title"] == "学习体会" and note.params["program"] == world.program.title
