"""Reminders (催报) to units that have not replied: 48 and 24 hours before the deadline by beat,
or by the host's button once a day; exactly once per unit and occasion, also under two beat
processes at the same moment."""

import datetime as dt

import pytest
from django.urls import reverse

from core.errors import DomainError
from core.models import Notification
from enrollment import services
from enrollment.models import NoticeReceipt, NoticeReminder
from enrollment.services import notices as svc
from tests.enrollment.test_concurrency import _in_threads
from tests.enrollment.test_notices_flow import prepare, sent
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

TITLE = "催报:%(title)s"


def reminders(user):
    return Notification.objects.filter(user=user, title_msgid=TITLE).count()


def test_beat_reminds_silent_units_once_per_occasion(world):
    w = prepare(world)
    notice = sent(w)  # deadline in five days
    deadline = notice.reply_deadline
    assert svc.notice_reminders_due(now=deadline - dt.timedelta(hours=72)) == 0
    at_47 = deadline - dt.timedelta(hours=47)
    assert svc.notice_reminders_due(now=at_47) == 2
    assert svc.notice_reminders_due(now=at_47 + dt.timedelta(minutes=15)) == 0  # the next beat
    assert reminders(w.liaison) == 1 and reminders(w.dept_liaison) == 1

    # 青湖区 fills its quota; the 组织部 stays silent
    for _ in range(3):
        services.nomination_create(
            quota=w.q_county, user=UserFactory(unit=w.county_a), by=w.liaison
        )
    assert svc.notice_reminders_due(now=deadline - dt.timedelta(hours=23)) == 1
    assert reminders(w.liaison) == 1 and reminders(w.dept_liaison) == 2
    note = Notification.objects.filter(user=w.dept_liaison, title_msgid=TITLE).last()
    receipt = NoticeReceipt.objects.get(notice=notice, unit=w.dept_a)
    assert note.url == reverse("enrollment:notice_receipt", args=[receipt.pk])
    # after the deadline nobody is chased any more
    assert svc.notice_reminders_due(now=deadline + dt.timedelta(minutes=1)) == 0
    assert set(NoticeReminder.objects.values_list("occasion", flat=True)) == {
        "before-48h",
        "before-24h",
    }


def test_a_declined_unit_is_not_reminded(world):
    w = prepare(world)
    notice = sent(w)
    dept = NoticeReceipt.objects.get(notice=notice, unit=w.dept_a)
    svc.receipt_decline(receipt=dept, by=w.dept_liaison, reason="任务重")
    assert svc.notice_remind_manual(notice=notice, by=w.organizer) == 1
    assert reminders(w.dept_liaison) == 0 and reminders(w.liaison) == 1


def test_an_occasion_before_the_notice_was_sent_is_skipped(world):
    w = prepare(world)
    notice = sent(w)
    # sent 30 hours before its deadline: no 48-hour reminder, the 24-hour one later
    notice.sent_at = notice.reply_deadline - dt.timedelta(hours=30)
    notice.save()
    assert svc.notice_reminders_due(now=notice.sent_at + dt.timedelta(minutes=15)) == 0
    assert svc.notice_reminders_due(now=notice.reply_deadline - dt.timedelta(hours=20)) == 2


def test_the_host_button_reminds_once_a_day(world, client_for):
    w = prepare(world)
    sent(w)
    c = client_for(w.organizer)
    url = reverse("enrollment:notice_remind", args=[w.program.pk])
    r = c.post(url, follow=True)
    assert "已向 2 个未回复单位发出催报" in r.content.decode()
    r = c.post(url, follow=True)
    assert "今天已催报过" in r.content.decode()
    assert reminders(w.liaison) == 1


def test_a_draft_is_not_reminded(world):
    w = prepare(world)
    from tests.enrollment.test_notices_flow import fields

    notice = svc.notice_save(program=w.program, by=w.organizer, **fields(w))
    with pytest.raises(DomainError, match="尚未发送"):
        svc.notice_remind_manual(notice=notice, by=w.organizer)
    assert not NoticeReminder.objects.exists()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_beat_processes_remind_exactly_once(world):
    w = prepare(world)
    notice = sent(w)
    at = notice.reply_deadline - dt.timedelta(hours=23)
    errors = _in_threads([lambda: svc.notice_reminders_due(now=at)] * 2)
    assert not errors
    assert NoticeReminder.objects.count() == 2
    assert reminders(w.liaison) == 1 and reminders(w.dept_liaison) == 1


def test_the_reminders_run_from_beat_every_quarter_hour():
    import enrollment.tasks  # noqa: F401 - registers the task
    from config.celery import _collect_beat_schedule, app

    entry = _collect_beat_schedule()["enrollment-notice-reminders"]
    assert entry["task"] == "enrollment.tasks.notice_reminders_due"
    assert entry["schedule"] == 15 * 60
    assert entry["task"] in app.tasks
