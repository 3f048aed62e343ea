"""Reminders are sent once per person and occasion: two beat ticks, retries, two processes."""

import datetime as dt
import threading

import pytest
from django.db import connection, transaction
from django.utils import timezone

from core import reminders as core_reminders
from core.models import Notification
from reports.models import ReminderKind, ReminderPreference, ReminderSent
from reports.services import Reminder, reminder_send_once, reminders_send
from reports.tasks import reminders_dispatch
from tests.factories import EnrollmentFactory, ProgramStaffFactory, SessionFactory, UserFactory
from tests.reports.factories import build_program

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def no_year_end_season(monkeypatch):
    """These tests count the session reminders a beat tick sends. In November and December the
    training record's year-end reminders (tests/credits) would join them, so the count would
    depend on the month the suite runs in: their season is moved out of the year here."""
    from credits import reminders as credit_reminders

    monkeypatch.setattr(credit_reminders, "FIRST_MONTH", 13)


@pytest.fixture(autouse=True)
def world_session_out_of_reach(request):
    """The world's own session starts at 09:00 on the program's first day (today): between
    midnight and 08:00 it is within a day and would be reminded too. The counts below are of the
    sessions each test makes, so the world's session is moved three days ahead."""
    if "world" not in request.fixturenames:
        return
    session = request.getfixturevalue("world").session
    shift = dt.timedelta(days=3)
    type(session).objects.filter(pk=session.pk).update(
        start=session.start + shift, end=session.end + shift
    )


def session_in(program, hours, topic="明日专题"):
    start = timezone.now() + dt.timedelta(hours=hours)
    return SessionFactory(
        program=program, start=start, end=start + dt.timedelta(hours=3), topic=topic
    )


def test_two_beat_ticks_send_each_session_reminder_once(world):
    session_in(world.program, 20)
    session_in(world.program, 0.5, topic="马上开课")
    other = UserFactory()
    EnrollmentFactory(program=world.program, user=other)

    first = reminders_dispatch.apply().get()
    second = reminders_dispatch.apply().get()

    assert first == 4 and second == 0  # two trainees × (day before + hour before)
    titles = sorted(Notification.objects.filter(user=world.trainee).values_list("title", flat=True))
    assert len(titles) == 2
    assert any("明天" in t and "明日专题" in t for t in titles)
    assert any("一小时后" in t and "马上开课" in t for t in titles)
    assert ReminderSent.objects.count() == 4


def test_a_run_that_crashes_before_commit_sends_nothing_and_the_retry_sends_once(world):
    session_in(world.program, 20)
    with pytest.raises(RuntimeError), transaction.atomic():
        reminders_dispatch.apply().get()
        raise RuntimeError("worker killed")
    assert Notification.objects.count() == 0 and ReminderSent.objects.count() == 0
    assert reminders_dispatch.apply().get() == 1
    assert reminders_dispatch.apply().get() == 0  # the redelivered message
    assert Notification.objects.filter(user=world.trainee).count() == 1


def test_switched_off_kind_is_not_sent(world):
    ReminderPreference.objects.create(
        user=world.trainee, kind=ReminderKind.SESSION_DAY_BEFORE, enabled=False
    )
    session_in(world.program, 20)
    assert reminders_dispatch.apply().get() == 0
    assert not Notification.objects.exists()


def test_trainee_on_leave_gets_no_session_reminder(world):
    from attendance.models import AttendanceRecord, AttendanceStatus

    s = session_in(world.program, 20)
    AttendanceRecord.objects.create(
        session=s,
        user=world.trainee,
        status=AttendanceStatus.ON_LEAVE,
        source=AttendanceRecord.Source.LEAVE,
    )
    assert reminders_dispatch.apply().get() == 0


def test_low_attendance_warns_trainee_once_and_managers_daily(world):
    from attendance.models import AttendanceRecord, AttendanceStatus
    from programs.models import Program

    program, sessions, users, _units = build_program(
        trainees=3, sessions=3, units=1, status=Program.Status.RUNNING
    )
    AttendanceRecord.objects.filter(user=users[0]).update(status=AttendanceStatus.ABSENT)
    AttendanceRecord.objects.filter(user__in=users[1:]).update(status=AttendanceStatus.PRESENT)
    manager = ProgramStaffFactory(program=program).user
    reminders_dispatch.apply().get()  # may also send other kinds (e.g. pending evaluations)
    assert reminders_dispatch.apply().get() == 0
    low = Notification.objects.filter(kind="reminder.low_attendance")
    assert sorted(low.values_list("user_id", flat=True)) == sorted([users[0].pk, manager.pk])
    assert Notification.objects.filter(user=users[0], kind="reminder.low_attendance").count() == 1
    assert "1 名学员" in low.get(user=manager).title


def test_app_hook_reminders_are_sent_once(world, monkeypatch):
    def evaluation_due(now):
        return [
            Reminder(
                kind=ReminderKind.REFLECTION_DEADLINE,
                occasion="assignment:7",
                user_ids=[world.trainee.pk],
                title="学习心得明天截止",
            )
        ]

    monkeypatch.setattr(core_reminders, "sources", lambda: [evaluation_due])
    assert reminders_dispatch.apply().get() == 1
    assert reminders_dispatch.apply().get() == 0
    assert Notification.objects.get(user=world.trainee).title == "学习心得明天截止"


def test_send_once_api_for_other_apps(world):
    args = {
        "kind": ReminderKind.LEAVE_DECISION,
        "occasion": "leave:12:approved",
        "users": [world.trainee],
        "title": "请假已批准",
    }
    assert reminder_send_once(**args) == 1
    assert reminder_send_once(**args) == 0


def test_many_reminders_in_one_run_are_grouped_by_occasion(world):
    users = [UserFactory() for _ in range(5)]
    items = [
        Reminder(
            kind=ReminderKind.SESSION_HOUR_BEFORE,
            occasion=f"session:{i}",
            user_ids=[u.pk for u in users],
            title=f"第{i}讲",
        )
        for i in range(3)
    ]
    assert reminders_send(reminders=items) == 15
    assert reminders_send(reminders=items) == 0


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_beat_processes_at_once_never_send_twice():
    """Two concurrent runs (separate connections) over the same due reminders."""
    users = [UserFactory() for _ in range(40)]
    items = [
        Reminder(
            kind=ReminderKind.SESSION_HOUR_BEFORE,
            occasion="session:1",
            user_ids=[u.pk for u in users],
            title="一小时后开课",
        )
    ]
    barrier = threading.Barrier(2)
    results = []

    def run():
        barrier.wait()
        try:
            results.append(reminders_send(reminders=items))
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results)[1] + sorted(results)[0] == 40
    assert Notification.objects.count() == 40
    assert Notification.objects.values("user").distinct().count() == 40


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_bulk_path_sends_once_and_emails_after_commit(monkeypatch):
    """The PostgreSQL array path used for large runs keeps the same guarantees."""
    from django.core import mail

    monkeypatch.setattr(core_reminders, "BULK_THRESHOLD", 1)
    monkeypatch.setattr(core_reminders, "CHUNK", 7)
    users = [UserFactory(email=f"u{i}@example.cn" if i % 2 else "") for i in range(20)]
    items = [
        Reminder(
            kind=ReminderKind.SESSION_DAY_BEFORE,
            occasion=f"session:{n}",
            user_ids=[u.pk for u in users],
            title=f"第{n}讲明天开课",
        )
        for n in (1, 2)
    ]
    assert reminders_send(reminders=items) == 40
    assert reminders_send(reminders=items) == 0
    assert Notification.objects.count() == 40
    assert len(mail.outbox) == 20  # ten with an address × two occasions


def test_a_reminder_is_read_in_the_readers_language(world):
    """Contract 5: reminders are stored as msgid + params and rendered per reader."""
    from django.utils import translation

    session_in(world.program, 20, topic="乡村振兴专题")
    reminders_dispatch.apply().get()
    note = Notification.objects.get(user=world.trainee)
    assert note.title_msgid == "明天 %(time)s:%(topic)s"
    assert note.params["topic"] == "乡村振兴专题" and note.params["program"]
    with translation.override("en"):
        assert note.display_title.startswith("Tomorrow ") and "乡村振兴专题" in note.display_title
        assert "。" not in note.display_body
    with translation.override("zh-hans"):
        assert note.display_title.startswith("明天 ")
