"""The 1/7 leave rule: a trainee whose approved leave exceeds 1/7 of the class's hours is flagged
to the class managers (nearing at 80 % of the limit, then past it), and the manager's decision
(withdraw through enrollment's withdrawal, or keep with a reason) is recorded and audited."""

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse

from attendance import selectors, services
from attendance.models import AttendanceStatus, LeaveLimitFlag, LeaveRequest
from attendance.rules import LeaveLimit, leave_limit_hours, leave_limit_state
from core.errors import DomainError
from core.models import AuditLog, Notification
from enrollment.models import Enrollment, WithdrawalRequest
from programs.models import Session
from tests.attendance.conftest import retime
from tests.factories import SessionFactory

D = Decimal


# --- The rule, at its boundaries ----------------------------------------------------------
@pytest.mark.parametrize(
    ("leave", "total", "state"),
    [
        (D("3.0"), D("21.0"), LeaveLimit.NEAR),  # exactly 1/7: within the limit
        (D("3.1"), D("21.0"), LeaveLimit.OVER),  # just above
        (D("2.9"), D("21.0"), LeaveLimit.NEAR),  # just below
        (D("2.4"), D("21.0"), LeaveLimit.NEAR),  # exactly 80 % of the limit
        (D("2.3"), D("21.0"), LeaveLimit.OK),  # just below 80 %
        # a class of 20 h: the limit 2.857… h is not a tenth; decided exactly, not rounded
        (D("2.9"), D("20.0"), LeaveLimit.OVER),
        (D("2.8"), D("20.0"), LeaveLimit.NEAR),
        (D("2.2"), D("20.0"), LeaveLimit.OK),  # 80 % is 2.2857… h
        # leave over sessions of partial hours (1.5 h + 1.5 h of 21 h = exactly 3 h)
        (D("1.5") + D("1.5"), D("21.0"), LeaveLimit.NEAR),
        (D("1.5") + D("1.5") + D("0.5"), D("21.0"), LeaveLimit.OVER),
        (D("0"), D("21.0"), LeaveLimit.OK),
        (D("1.0"), D("0"), LeaveLimit.OK),  # a class with no hours yet
        (D("1.0"), D("1.0"), LeaveLimit.OVER),
    ],
)
def test_the_rule_at_its_boundaries(leave, total, state):
    assert leave_limit_state(leave_hours=leave, class_hours=total) == state


def test_the_limit_shown_is_rounded_to_a_tenth():
    assert leave_limit_hours(D("21.0")) == D("3.0")
    assert leave_limit_hours(D("20.0")) == D("2.9")
    assert leave_limit_hours(D("0")) == D("0.0")


# --- The rule applied ---------------------------------------------------------------------


@pytest.fixture
def week(world):
    """The world's class as seven sessions of 3 h (21 h: the limit is 3 h), all upcoming."""
    retime(world.session, start_offset_min=24 * 60)
    sessions = [world.session]
    for day in range(1, 7):
        sessions.append(
            SessionFactory(
                program=world.program,
                venue=world.venue,
                start=world.session.start + dt.timedelta(days=day),
                end=world.session.end + dt.timedelta(days=day),
            )
        )
    return sessions


def _approved_leave(world, sessions):
    leave = services.leave_request_create(
        user=world.trainee,
        program=world.program,
        session_ids=[s.pk for s in sessions],
        reason="病假",
    )
    return services.leave_request_decide(leave=leave, approve=True, note="", by=world.manager)


def _limit_notices(world):
    return Notification.objects.filter(user=world.manager, kind="attendance.leave_limit")


@pytest.mark.django_db
def test_approval_nearing_then_passing_the_limit_flags_and_tells_the_managers(world, week):
    first = _approved_leave(world, week[:1])  # 3 h of 21 h: exactly the limit
    assert first.limit_state == LeaveLimit.NEAR
    flag = LeaveLimitFlag.objects.get(program=world.program, user=world.trainee)
    assert (flag.level, flag.leave_hours, flag.class_hours) == ("near", D("3.0"), D("21.0"))
    assert _limit_notices(world).count() == 1
    assert _limit_notices(world).filter(params__name=world.trainee.full_name).exists()

    second = _approved_leave(world, week[1:2])  # 6 h: past it
    assert second.limit_state == LeaveLimit.OVER
    flag.refresh_from_db()
    assert (flag.level, flag.leave_hours, flag.decision) == ("over", D("6.0"), "")
    assert _limit_notices(world).count() == 2
    assert selectors.leave_limit_summary(program=world.program) == {"to_decide": 1, "near": 0}

    _approved_leave(world, week[2:3])  # further leave: no second "over" notice
    assert _limit_notices(world).count() == 2


@pytest.mark.django_db
def test_a_cancelled_session_counts_in_neither_the_class_nor_the_leave(world, week):
    Session.objects.filter(pk=week[6].pk).update(status=Session.Status.CANCELLED)
    # six sessions left, one of 2.5 h: 17.5 h, the limit exactly 2.5 h: near, not over
    Session.objects.filter(pk=week[0].pk).update(credit_hours=D("2.5"))
    assert _approved_leave(world, week[:1]).limit_state == LeaveLimit.NEAR
    assert selectors.class_hours(program_id=world.program.pk) == D("17.5")


@pytest.mark.django_db
def test_the_approver_is_warned_on_the_spot_and_before(world, week, client_for):
    _approved_leave(world, week[:1])
    leave = services.leave_request_create(
        user=world.trainee, program=world.program, session_ids=[week[1].pk], reason="事假"
    )
    client = client_for(world.manager)
    page = client.get(reverse("attendance:leave_detail", args=[leave.pk])).content.decode()
    assert 'id="leave-limit-projection"' in page and "6.0" in page
    response = client.post(
        reverse("attendance:leave_decide", args=[leave.pk]), {"decision": "approve"}, follow=True
    )
    text = response.content.decode()
    assert "msg-warning" in text and world.trainee.full_name in text
    assert "1/7" in text


@pytest.mark.django_db
def test_withdrawal_decision_withdraws_through_enrollment_and_is_audited(world, week, client_for):
    _approved_leave(world, week[:2])
    flag = LeaveLimitFlag.objects.get()
    response = client_for(world.manager).post(
        reverse("attendance:leave_limit_decide", args=[flag.pk]),
        {"decision": "withdraw", "reason": "请假 6 学时,超过 1/7"},
    )
    assert response.status_code == 302
    flag.refresh_from_db()
    assert flag.decision == LeaveLimitFlag.Decision.WITHDRAWN and flag.decided_by == world.manager
    enrollment = Enrollment.objects.get(program=world.program, user=world.trainee)
    assert enrollment.status == Enrollment.Status.WITHDRAWN
    assert WithdrawalRequest.objects.get(enrollment=enrollment).status == "approved"
    assert AuditLog.objects.filter(action="attendance.leave_limit_decide").exists()
    assert AuditLog.objects.filter(action="enrollment.withdrawal_approve").exists()
    with pytest.raises(DomainError):  # once
        services.leave_limit_decide(flag=flag, withdraw=False, reason="再议", by=world.manager)


@pytest.mark.django_db
def test_keeping_needs_a_reason_and_leaves_the_enrollment(world, week):
    _approved_leave(world, week[:2])
    flag = LeaveLimitFlag.objects.get()
    with pytest.raises(DomainError):
        services.leave_limit_decide(flag=flag, withdraw=False, reason=" ", by=world.manager)
    flag.refresh_from_db()
    assert flag.decision == ""
    services.leave_limit_decide(
        flag=flag, withdraw=False, reason="因公出差,经组织部同意保留", by=world.manager
    )
    flag.refresh_from_db()
    assert flag.decision == LeaveLimitFlag.Decision.KEPT
    assert Enrollment.objects.get(user=world.trainee, program=world.program).status == "enrolled"


@pytest.mark.django_db
def test_nothing_to_decide_before_the_limit_is_passed_nor_about_oneself(world, week):
    _approved_leave(world, week[:1])
    flag = LeaveLimitFlag.objects.get()
    with pytest.raises(DomainError):
        services.leave_limit_decide(flag=flag, withdraw=True, reason="超限", by=world.manager)
    _approved_leave(world, week[1:2])
    with pytest.raises(DomainError):
        services.leave_limit_decide(flag=flag, withdraw=True, reason="超限", by=world.trainee)
    assert Enrollment.objects.get(user=world.trainee, program=world.program).status == "enrolled"


@pytest.mark.django_db
def test_leave_undone_by_a_mark_removes_an_undecided_flag(world, week):
    _approved_leave(world, week[:1])
    assert LeaveLimitFlag.objects.exists()
    services.records_mark(
        session=week[0],
        user_ids=[world.trainee.pk],
        status=AttendanceStatus.PRESENT,
        reason="实际到课",
        by=world.manager,
    )
    assert not LeaveLimitFlag.objects.exists()


@pytest.mark.django_db
def test_the_pages_show_the_flag(world, week, client_for):
    _approved_leave(world, week[:2])
    client = client_for(world.manager)
    for name in ("attendance:program", "attendance:leave_list"):
        page = client.get(reverse(name, args=[world.program.pk])).content.decode()
        assert 'id="leave-limit-banner"' in page, name
    page = client.get(reverse("attendance:leave_limit", args=[world.program.pk])).content.decode()
    assert world.trainee.full_name in page and "6.0" in page and 'value="withdraw"' in page
    assert LeaveRequest.objects.filter(status="approved").count() == 1
