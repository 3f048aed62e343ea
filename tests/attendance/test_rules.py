"""Every status rule at its boundaries (pure: no database)."""

from datetime import UTC, datetime, timedelta

import pytest

from attendance.models import AttendanceStatus as S
from attendance.rules import Policy, compute_status, minutes_late, tally

START = datetime(2026, 3, 5, 14, 30, tzinfo=UTC)
END = START + timedelta(hours=3)
POLICY = Policy(
    checkin_opens_before=30,
    late_grace_minutes=5,
    checkin_closes_after=60,
    checkout_opens_before=15,
    checkout_closes_after=30,
    require_checkout=True,
)
MIN = timedelta(minutes=1)
SEC = timedelta(seconds=1)
AFTER_CHECKOUT_CLOSED = END + 31 * MIN
DURING = START + 60 * MIN


def status(checkin, checkout=None, *, now=DURING, policy=POLICY, on_leave=False):
    return compute_status(
        start=START,
        end=END,
        policy=policy,
        checkin_at=checkin,
        checkout_at=checkout,
        now=now,
        on_leave=on_leave,
    )


def test_checkin_exactly_at_end_of_grace_is_present():
    assert status(START + 5 * MIN) == S.PRESENT


def test_checkin_one_second_after_grace_is_late():
    assert status(START + 5 * MIN + SEC) == S.LATE


def test_checkin_before_start_is_present():
    assert status(START - 30 * MIN) == S.PRESENT


def test_no_checkin_is_absent_and_on_leave_when_excused():
    assert status(None) == S.ABSENT
    assert status(None, on_leave=True) == S.ON_LEAVE


def test_leave_does_not_hide_an_actual_checkin():
    assert status(START, on_leave=True) == S.PRESENT


def test_checkout_exactly_when_window_opens_is_not_early():
    assert status(START, END - 15 * MIN, now=AFTER_CHECKOUT_CLOSED) == S.PRESENT


def test_checkout_one_second_before_window_is_left_early():
    assert status(START, END - 15 * MIN - SEC, now=AFTER_CHECKOUT_CLOSED) == S.LEFT_EARLY


def test_late_and_left_early():
    assert status(START + 6 * MIN, END - 16 * MIN) == S.LATE_LEFT_EARLY


def test_missing_checkout_is_pending_until_window_closes_then_left_early():
    closes = END + 30 * MIN
    assert status(START, None, now=closes) == S.PRESENT  # exactly at close: still allowed
    assert status(START, None, now=closes + SEC) == S.LEFT_EARLY
    assert status(START + 10 * MIN, None, now=closes + SEC) == S.LATE_LEFT_EARLY


def test_missing_checkout_is_fine_when_program_does_not_require_it():
    relaxed = Policy(require_checkout=False)
    assert status(START, None, now=AFTER_CHECKOUT_CLOSED, policy=relaxed) == S.PRESENT


def test_windows_are_inclusive():
    opens, closes = POLICY.checkin_window(START)
    assert (opens, closes) == (START - 30 * MIN, START + 60 * MIN)
    assert POLICY.checkout_window(END) == (END - 15 * MIN, END + 30 * MIN)


@pytest.mark.parametrize(
    ("offset", "expected"), [(0, 0), (1, 1), (60, 1), (119, 1), (120, 2), (-300, 0)]
)
def test_minutes_late_counts_whole_minutes_and_at_least_one(offset, expected):
    assert minutes_late(start=START, checkin_at=START + timedelta(seconds=offset)) == expected


def test_rate_counts_leave_by_policy():
    statuses = [S.PRESENT] * 6 + [S.LATE, S.ON_LEAVE, S.ON_LEAVE, S.ABSENT]
    sessions = [(START, END, False, s) for s in statuses]
    now = END + MIN
    assert tally(sessions, leave_counts_as_attended=False, now=now).rate == 70.0
    assert tally(sessions, leave_counts_as_attended=True, now=now).rate == 90.0
    assert tally([], leave_counts_as_attended=False, now=now).rate is None
