"""Cases where the reports once computed a different attendance rate from the attendance app
(each fails against the old per-path rules), and the reminder's query count at two sizes."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from attendance.models import AttendanceStatus
from core.models import Notification
from programs.models import Program
from reports import selectors
from reports.reminders import low_attendance_reminders
from reports.services import reminders_send
from tests.factories import (
    AttendanceRecordFactory,
    EnrollmentFactory,
    ProgramFactory,
    ProgramStaffFactory,
    SessionFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


def running_program(**kwargs):
    return ProgramFactory(
        status=Program.Status.RUNNING,
        start_date=timezone.localdate() - dt.timedelta(days=5),
        end_date=timezone.localdate() + dt.timedelta(days=5),
        **kwargs,
    )


def session_at(program, *, hours_ago: float, length: float = 3):
    start = timezone.now() - dt.timedelta(hours=hours_ago)
    return SessionFactory(program=program, start=start, end=start + dt.timedelta(hours=length))


def trainee_in(program):
    user = UserFactory()
    EnrollmentFactory(program=program, user=user)
    return user


def low_for(program, now=None) -> set:
    return {
        uid
        for r in low_attendance_reminders(now or timezone.now())
        if r.occasion == f"program:{program.pk}"
        for uid in r.user_ids
    }


def test_reminder_counts_leave_as_attended_when_the_program_does():
    program = running_program(leave_counts_as_attended=True, attendance_warning_rate=80)
    user = trainee_in(program)
    for days, status in ((3, AttendanceStatus.PRESENT), (2, AttendanceStatus.ON_LEAVE)):
        AttendanceRecordFactory(
            session=session_at(program, hours_ago=24 * days), user=user, status=status
        )
    assert low_for(program) == set()
    program.leave_counts_as_attended = False
    program.save(update_fields=["leave_counts_as_attended"])
    assert low_for(program) == {user.pk}


def test_nobody_is_reminded_while_check_in_is_still_open():
    """Two sessions attended, a third started five minutes ago: no record yet is no miss yet."""
    program = running_program(attendance_warning_rate=80)
    user = trainee_in(program)
    for days in (3, 2):
        AttendanceRecordFactory(session=session_at(program, hours_ago=24 * days), user=user)
    session_at(program, hours_ago=0.1)
    assert low_for(program) == set()
    groups = selectors.summary_rows(
        program=program, sessions=selectors.program_sessions(program=program)
    )
    row = groups[0]["rows"][0]
    assert (row["attended"], row["expected"], row["rate"]) == (2, 2, 100.0)


def test_held_session_without_a_record_is_missed_on_the_trainees_page_too(client):
    """The trainee's own page once counted only records: 1 of 1 = 100% while the summary said
    1 of 2. Both now say 50%."""
    program = running_program(attendance_warning_rate=80)
    user = trainee_in(program)
    AttendanceRecordFactory(session=session_at(program, hours_ago=48), user=user)
    session_at(program, hours_ago=24)  # held, never marked
    client.force_login(user)
    page = client.get(reverse("attendance:index")).content.decode()
    assert "50.0%" in page and "100.0%" not in page
    row = selectors.summary_rows(
        program=program, sessions=selectors.program_sessions(program=program)
    )[0]["rows"][0]
    assert row["rate"] == 50.0 and row["absent"] == 1


def test_rates_are_rounded_half_up_to_a_tenth():
    """1 of 16 sessions is 6.25%: 6.3 as everywhere (Python's round() made it 6.2)."""
    assert selectors.rate(1, 16) == 6.3
    assert selectors.rate(0, 0) is None


def low_attendance_program(n):
    program = running_program(attendance_warning_rate=80)
    sessions = [session_at(program, hours_ago=24 * d) for d in (3, 2)]
    ProgramStaffFactory(program=program)
    users = [trainee_in(program) for _ in range(n)]
    for user in users:
        AttendanceRecordFactory(session=sessions[0], user=user, status=AttendanceStatus.ABSENT)
    return program, users


def test_low_attendance_reminders_take_the_same_queries_for_any_class_size():
    counts = []
    for n in (3, 15):
        program, users = low_attendance_program(n)
        now = timezone.now()
        with CaptureQueriesContext(connection) as ctx:
            sent = reminders_send(reminders=low_attendance_reminders(now))
        counts.append(len(ctx.captured_queries))
        assert sent == n + 1  # the trainees, and the manager's digest
        assert low_for(program, now) == {u.pk for u in users}
        Program.objects.filter(pk=program.pk).update(status=Program.Status.COMPLETED)
    assert Notification.objects.filter(kind="reminder.low_attendance").count() == 3 + 15 + 2
    assert counts[0] == counts[1]
