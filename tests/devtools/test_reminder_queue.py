"""The bulk reminder path the reminders benchmark measures: many small reminders in one run get
their inbox rows (one INSERT over an array of ids on PostgreSQL) and their e-mails (queued after
commit a chunk at a time), each exactly once, also when the run is repeated."""

import pytest
from django.core import mail

from core import services
from core.models import Notification
from core.reminders import Reminder, reminders_send
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db(transaction=True)


def _people(n, **extra):
    return [
        UserFactory(email=f"r{i}@example.cn", email_notifications=True, **extra) for i in range(n)
    ]


def _reminders(people, groups):
    size = len(people) // groups
    return [
        Reminder(
            kind="session_hour_before",
            occasion=f"test:session:{g}",
            user_ids=[u.pk for u in people[g * size : (g + 1) * size]],
            title=f"一小时后开课 {g}",
        )
        for g in range(groups)
    ]


def _check_once(people, reminders, monkeypatch):
    monkeypatch.setattr(services, "EMAIL_CHUNK", 7)  # several chunks
    assert reminders_send(reminders=reminders) == len(people)
    assert reminders_send(reminders=reminders) == 0
    notes = Notification.objects.filter(user__in=people)
    assert notes.count() == len(people)
    assert sorted(notes.values_list("user_id", flat=True)) == sorted(u.pk for u in people)
    assert sorted(m.to[0] for m in mail.outbox) == sorted(u.email for u in people)
    assert notes.filter(emailed_at__isnull=True).count() == 0
    titles = {n.user_id: n.title for n in notes}
    for r in reminders:
        assert {titles[pk] for pk in r.user_ids} == {r.title}


def test_many_small_reminders_notify_and_email_each_person_once(monkeypatch):
    people = _people(40)
    _check_once(people, _reminders(people, 4), monkeypatch)


@pytest.mark.postgres
def test_the_array_insert_path_notifies_each_person_once(monkeypatch):
    people = _people(2 * services.NOTIFY_UNNEST_FROM)
    _check_once(people, _reminders(people, 2), monkeypatch)


def test_people_without_email_get_the_notice_only(monkeypatch):
    people = _people(10) + [UserFactory(email="", email_notifications=True) for _ in range(5)]
    monkeypatch.setattr(services, "EMAIL_CHUNK", 4)
    assert reminders_send(reminders=_reminders(people, 1)) == 15
    assert len(mail.outbox) == 10
