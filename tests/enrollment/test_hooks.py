"""enrollment.hooks.attended_user_ids: attendance's answer (credited records, cancelled sessions
left out, leave counted only when the program says so)."""

from attendance.models import AttendanceStatus
from enrollment import hooks
from programs.models import Session
from tests.factories import AttendanceRecordFactory, SessionFactory, UserFactory


def test_attended_user_ids_follows_the_credited_rule(world):
    program, session = world.program, world.session
    late = UserFactory()
    absent = UserFactory()
    on_leave = UserFactory()
    cancelled_only = UserFactory()
    AttendanceRecordFactory(session=session, user=world.trainee)
    AttendanceRecordFactory(session=session, user=late, status=AttendanceStatus.LATE)
    AttendanceRecordFactory(
        session=session, user=absent, status=AttendanceStatus.ABSENT, checkin_at=None
    )
    AttendanceRecordFactory(
        session=session, user=on_leave, status=AttendanceStatus.ON_LEAVE, checkin_at=None
    )
    cancelled = SessionFactory(program=program, status=Session.Status.CANCELLED)
    AttendanceRecordFactory(session=cancelled, user=cancelled_only)
    AttendanceRecordFactory(user=world.other_trainee)  # another program

    assert hooks.attended_user_ids(program) == {world.trainee.pk, late.pk}
    program.leave_counts_as_attended = True
    assert hooks.attended_user_ids(program) == {world.trainee.pk, late.pk, on_leave.pk}


def test_unknown_hook_is_refused():
    import pytest

    with pytest.raises(ValueError):
        hooks.register(nobody_asked=lambda program: set())
