"""Issue 13 for attendance: leave names its sessions and marks those that cannot be asked for;
the check-out screen before it opens; closed programs; cancelled sessions."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from attendance import selectors, services
from attendance.models import AttendanceRecord, AttendanceStatus, LeaveRequest
from core.errors import DomainError
from core.models import Notification
from programs.models import Program, Session
from tests.attendance.conftest import retime, scan_outcome, scan_url
from tests.factories import SessionFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def week(world):
    """Yesterday's session (ended), one the trainee checked in to, and two to come."""
    retime(world.session, start_offset_min=-24 * 60)
    world.session.topic = "昨天的课"
    world.session.save(update_fields=["topic"])
    attended = SessionFactory(program=world.program, venue=world.venue, topic="已到的课")
    retime(attended, start_offset_min=-10)
    AttendanceRecord.objects.create(
        session=attended,
        user=world.trainee,
        status="present",
        source="qr",
        checkin_at=timezone.now(),
    )
    world.attended = attended
    world.tomorrow = retime(
        SessionFactory(program=world.program, venue=world.venue, topic="明天上午的课"),
        start_offset_min=24 * 60,
    )
    world.later = retime(
        SessionFactory(program=world.program, venue=world.venue, topic="后天的课"),
        start_offset_min=48 * 60,
    )
    return world


def test_leave_form_marks_the_sessions_that_cannot_be_asked_for(week, client_for):
    services.leave_request_create(
        user=week.trainee, program=week.program, session_ids=[week.later.pk], reason="事假"
    )
    html = client_for(week.trainee).get(reverse("attendance:leave_new", args=[week.program.pk]))
    html = html.content.decode()
    rows = {
        s.topic: s.blocked for s in selectors.leave_choices(program=week.program, user=week.trainee)
    }
    assert rows == {
        "昨天的课": "past",
        "已到的课": "attended",
        "明天上午的课": "",
        "后天的课": "requested",
    }
    assert html.count(" disabled") == 3
    for label in ("已结束", "已签到", "已申请"):
        assert '<span class="chip' in html and label in html


@pytest.mark.parametrize(
    ("which", "message"),
    [("session", "已结束的课程不能请假:"), ("attended", "已签到的课程不能请假:")],
)
def test_leave_errors_name_the_sessions(week, which, message):
    session = getattr(week, which)
    with pytest.raises(DomainError) as caught:
        services.leave_request_create(
            user=week.trainee, program=week.program, session_ids=[session.pk], reason="事假"
        )
    assert message in caught.value.message and session.topic in caught.value.message


def test_a_second_request_for_the_same_session_names_it(week):
    services.leave_request_create(
        user=week.trainee, program=week.program, session_ids=[week.tomorrow.pk], reason="事假"
    )
    with pytest.raises(DomainError, match="已有待审批或已批准请假的课程:.*明天上午的课"):
        services.leave_request_create(
            user=week.trainee, program=week.program, session_ids=[week.tomorrow.pk], reason="再请"
        )


def test_notices_lists_and_queue_name_the_sessions(week, client_for):
    leave = services.leave_request_create(
        user=week.trainee,
        program=week.program,
        session_ids=[week.tomorrow.pk, week.later.pk],
        reason="参加县防汛值班",
    )
    notice = Notification.objects.get(user=week.manager, kind="attendance.leave")
    assert "明天上午的课" in notice.title and "后天的课" in notice.title
    mine = client_for(week.trainee).get(reverse("attendance:index")).content.decode()
    assert "明天上午的课" in mine and "后天的课" in mine
    home = client_for(week.manager).get(reverse("home")).content.decode()
    assert "明天上午的课" in home  # the manager's pending queue on the home panel
    queue = client_for(week.manager).get(reverse("attendance:leave_list", args=[week.program.pk]))
    assert "后天的课" in queue.content.decode()
    services.leave_request_decide(leave=leave, approve=True, note="", by=week.manager)
    verdict = Notification.objects.get(user=week.trainee, kind="attendance.leave")
    assert "已批准" in verdict.title and "明天上午的课" in verdict.title


# --- the check-out screen shows when it opens, not a code -----------------------------------
def test_checkout_screen_shows_the_opening_time_instead_of_a_code(world, client_for):
    retime(world.session, start_offset_min=-10, length_min=180)  # check-out opens at end - 15
    url = reverse("attendance:screen", args=[world.session.pk, world.venue.pk])
    html = client_for(world.manager).get(url + "?purpose=out").content.decode()
    opens = timezone.localtime(world.session.end - dt.timedelta(minutes=15))
    assert f"签退将于 {opens:%H:%M} 开放" in html
    assert "data-scan-url" not in html and "<svg" not in html
    checkin = client_for(world.manager).get(url).content.decode()
    assert "data-scan-url" in checkin  # check-in is open: its code is shown


# --- closed programs are read-only -------------------------------------------------------------
@pytest.mark.parametrize("status", [Program.Status.COMPLETED, Program.Status.ARCHIVED])
def test_closed_program_refuses_marks_and_leave(world, status):
    retime(world.session, start_offset_min=24 * 60)
    leave = LeaveRequest.objects.create(program=world.program, user=world.trainee, reason="事假")
    leave.sessions.add(world.session)
    Program.objects.filter(pk=world.program.pk).update(status=status)
    world.session.refresh_from_db()
    world.program.refresh_from_db()
    with pytest.raises(DomainError, match="只能查看,不能修改"):
        services.records_mark(
            session=world.session,
            user_ids=[world.trainee.pk],
            status="present",
            reason="补记",
            by=world.manager,
        )
    with pytest.raises(DomainError, match="只能查看,不能修改"):
        services.leave_request_create(
            user=world.trainee, program=world.program, session_ids=[world.session.pk], reason="x"
        )
    with pytest.raises(DomainError, match="只能查看,不能修改"):
        services.leave_request_decide(leave=leave, approve=True, note="", by=world.manager)
    assert not AttendanceRecord.objects.exists()


# --- a cancelled session is ignored by attendance and rates ----------------------------------
def test_a_cancelled_session_is_ignored_by_scans_marks_closing_and_rates(world, client_for):
    held = retime(world.session, start_offset_min=-300, length_min=120)
    AttendanceRecord.objects.create(
        session=held, user=world.trainee, status="present", source="qr", checkin_at=held.start
    )
    cancelled = SessionFactory(program=world.program, venue=world.venue, topic="停课的课")
    retime(cancelled, start_offset_min=-2)
    Session.objects.filter(pk=cancelled.pk).update(status=Session.Status.CANCELLED)
    cancelled.refresh_from_db()
    response = client_for(world.trainee).post(scan_url(cancelled, world.venue))
    assert scan_outcome(response) == services.Outcome.CANCELLED
    with pytest.raises(DomainError, match="已取消"):
        services.records_mark(
            session=cancelled,
            user_ids=[world.trainee.pk],
            status="absent",
            reason="x",
            by=world.manager,
        )
    later = timezone.now() + dt.timedelta(hours=5)
    services.sessions_close_due(now=later)
    assert not AttendanceRecord.objects.filter(session=cancelled).exists()
    tally = selectors.rates_for(program=world.program, user_ids=[world.trainee.pk], now=later)
    assert (tally[world.trainee.pk].attended, tally[world.trainee.pk].expected) == (1, 1)
    assert tally[world.trainee.pk].rate == 100.0
    choices = selectors.leave_choices(program=world.program, user=world.trainee)
    assert cancelled not in choices
    assert AttendanceStatus.ABSENT not in {r.status for r in AttendanceRecord.objects.all()}
