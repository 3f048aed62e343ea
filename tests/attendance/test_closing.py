"""The scheduled job: absent once check-in closed, missed check-outs once check-out closed."""

import datetime as dt

import pytest
from django.utils import timezone

from attendance import services
from attendance.models import AttendanceRecord, AttendanceStatus, AttendanceWarning, SessionClosure
from attendance.tasks import attendance_close_windows
from core.models import Notification
from tests.attendance.conftest import retime
from tests.factories import (
    AttendanceRecordFactory,
    EnrollmentFactory,
    SessionFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


def test_nobody_is_marked_absent_while_checkin_is_open(world):
    retime(world.session, start_offset_min=-59)
    assert services.sessions_close_due()["absent"] == 0
    assert not AttendanceRecord.objects.exists()


def test_absent_marked_once_after_checkin_closes(world):
    present = UserFactory()
    EnrollmentFactory(program=world.program, user=present)
    withdrawn = EnrollmentFactory(program=world.program, status="withdrawn").user
    retime(world.session, start_offset_min=-61)
    AttendanceRecord.objects.create(
        session=world.session,
        user=present,
        source="qr",
        status="present",
        checkin_at=world.session.start,
    )
    assert attendance_close_windows.delay().get()["absent"] == 1
    absent = AttendanceRecord.objects.get(user=world.trainee)
    assert absent.status == AttendanceStatus.ABSENT and absent.source == "auto"
    assert not AttendanceRecord.objects.filter(user=withdrawn).exists()
    # Again, and again after someone deletes the absent row: the marker says it is done.
    assert services.sessions_close_due()["absent"] == 0
    absent.delete()
    assert services.sessions_close_due()["absent"] == 0
    assert SessionClosure.objects.get(session=world.session).absent_count == 1


def test_missed_checkout_becomes_left_early_when_checkout_closes(world):
    retime(world.session, start_offset_min=-240, length_min=180)  # ended an hour ago
    on_time = AttendanceRecord.objects.create(
        session=world.session,
        user=world.trainee,
        source="qr",
        status="present",
        checkin_at=world.session.start,
    )
    late_user = UserFactory()
    EnrollmentFactory(program=world.program, user=late_user)
    late = AttendanceRecord.objects.create(
        session=world.session,
        user=late_user,
        source="qr",
        status="late",
        checkin_at=world.session.start + dt.timedelta(minutes=20),
    )
    assert services.sessions_close_due()["left_early"] == 2
    on_time.refresh_from_db()
    late.refresh_from_db()
    assert on_time.status == AttendanceStatus.LEFT_EARLY
    assert late.status == AttendanceStatus.LATE_LEFT_EARLY
    assert services.sessions_close_due()["left_early"] == 0


def test_manual_marks_survive_the_checkout_closing(world):
    retime(world.session, start_offset_min=-240, length_min=180)
    manual = AttendanceRecord.objects.create(
        session=world.session,
        user=world.trainee,
        source="manual",
        status="present",
        checkin_at=world.session.start,
    )
    services.sessions_close_due()
    manual.refresh_from_db()
    assert manual.status == AttendanceStatus.PRESENT


def test_cancelled_sessions_are_left_alone(world):
    retime(world.session, start_offset_min=-120)
    world.session.status = "cancelled"
    world.session.save(update_fields=["status"])
    services.sessions_close_due()
    assert not AttendanceRecord.objects.exists()


def attended_earlier(world):
    """A session the day before, which the trainee attended: one missed session of two is 50%."""
    earlier = SessionFactory(
        program=world.program,
        start=world.session.start - dt.timedelta(days=1),
        end=world.session.end - dt.timedelta(days=1),
    )
    AttendanceRecordFactory(session=earlier, user=world.trainee)
    SessionClosure.objects.create(
        session=earlier, absent_marked_at=timezone.now(), checkout_closed_at=timezone.now()
    )
    return earlier


def test_one_missed_session_alone_warns_nobody(world):
    """0 of 1 is below any line, but nobody is warned before two sessions are due."""
    retime(world.session, start_offset_min=-200)
    services.sessions_close_due()
    assert AttendanceRecord.objects.get(user=world.trainee).status == AttendanceStatus.ABSENT
    assert not AttendanceWarning.objects.exists()
    assert not Notification.objects.filter(kind="attendance.warning").exists()


def test_falling_below_threshold_warns_trainee_and_manager_once(world):
    retime(world.session, start_offset_min=-61)
    attended_earlier(world)
    services.sessions_close_due()
    assert AttendanceWarning.objects.filter(user=world.trainee).count() == 1
    assert Notification.objects.filter(user=world.trainee, kind="attendance.warning").count() == 1
    assert Notification.objects.filter(user=world.manager, kind="attendance.warning").count() == 1
    # Checking again does not warn twice.
    services.rate_warnings_check(program=world.program, user_ids=[world.trainee.pk])
    assert Notification.objects.filter(kind="attendance.warning").count() == 2


def test_recovering_clears_the_warning(world):
    retime(world.session, start_offset_min=-61)
    attended_earlier(world)
    services.sessions_close_due()
    assert AttendanceWarning.objects.filter(user=world.trainee).exists()
    services.records_mark(
        session=world.session,
        user_ids=[world.trainee.pk],
        status="present",
        reason="手机没电,班主任核实到课",
        by=world.manager,
    )
    assert not AttendanceWarning.objects.exists()


def test_job_looks_back_only_a_week(world):
    world.session.start = timezone.now() - dt.timedelta(days=8)
    world.session.end = world.session.start + dt.timedelta(hours=3)
    world.session.save()
    services.sessions_close_due()
    assert not AttendanceRecord.objects.exists()
