"""Attendance warnings: judged by attendance.rules, announced once, in a fixed number of queries
whatever the number of trainees."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from attendance import services
from attendance.models import AttendanceStatus, AttendanceWarning
from core.models import Notification
from programs.models import ProgramStaff
from tests.factories import (
    AttendanceRecordFactory,
    EnrollmentFactory,
    ProgramFactory,
    SessionFactory,
    UserFactory,
)


def class_with(n, *, leave_counts=False):
    """n trainees, each present once and on leave once over two ended sessions."""
    program = ProgramFactory(attendance_warning_rate=80, leave_counts_as_attended=leave_counts)
    manager = UserFactory()
    ProgramStaff.objects.create(program=program, user=manager, role=ProgramStaff.Role.CLASS_MANAGER)
    now = timezone.now()
    sessions = [
        SessionFactory(
            program=program,
            start=now - dt.timedelta(days=d, hours=4),
            end=now - dt.timedelta(days=d, hours=1),
        )
        for d in (2, 1)
    ]
    users = []
    for _ in range(n):
        user = UserFactory()
        EnrollmentFactory(program=program, user=user)
        AttendanceRecordFactory(session=sessions[0], user=user)
        AttendanceRecordFactory(session=sessions[1], user=user, status=AttendanceStatus.ON_LEAVE)
        users.append(user)
    return program, manager, users


def test_warnings_take_the_same_queries_for_any_class_size(db):
    counts = []
    for n in (3, 14):
        program, manager, users = class_with(n)
        with CaptureQueriesContext(connection) as ctx:
            warned = services.rate_warnings_check(program=program, user_ids=[u.pk for u in users])
        counts.append(len(ctx.captured_queries))
        assert warned == n
        assert AttendanceWarning.objects.filter(program=program).count() == n
        for user in users:
            assert Notification.objects.filter(user=user, kind="attendance.warning").count() == 1
        digest = Notification.objects.get(user=manager, kind="attendance.warning")
        assert f"{n} 名学员" in digest.title and users[0].full_name in digest.body
    assert counts[0] == counts[1]


def test_a_second_check_warns_nobody_again(db):
    program, manager, users = class_with(4)
    ids = [u.pk for u in users]
    assert services.rate_warnings_check(program=program, user_ids=ids) == 4
    assert services.rate_warnings_check(program=program, user_ids=ids) == 0
    assert Notification.objects.filter(kind="attendance.warning").count() == 4 + 1


def test_leave_counted_as_attended_warns_nobody(db):
    program, manager, users = class_with(3, leave_counts=True)
    assert services.rate_warnings_check(program=program, user_ids=[u.pk for u in users]) == 0
    assert not Notification.objects.exists()


def test_warning_rate_is_the_rate_shown(db):
    program, manager, users = class_with(1)
    services.rate_warnings_check(program=program, user_ids=[users[0].pk])
    assert AttendanceWarning.objects.get().rate == 50


@pytest.mark.parametrize("rate", ["-0.1", "100.1", "NaN", "Infinity"])
def test_the_database_refuses_a_warning_rate_outside_a_percentage(world, rate):
    """Issue 12 item 12: every attendance number has bounds the database enforces."""
    from decimal import Decimal, InvalidOperation

    from django.core.exceptions import ValidationError
    from django.db import DataError, IntegrityError, transaction

    refused = (IntegrityError, DataError, InvalidOperation, ValueError, ValidationError)
    with pytest.raises(refused), transaction.atomic():
        AttendanceWarning.objects.create(
            program=world.program, user=world.trainee, rate=Decimal(rate)
        )
    assert not AttendanceWarning.objects.exists()
