"""The attendance rules as pure functions of times and policy: no database, no clock.

Every boundary is inclusive on the trainee's side: checking in exactly at the end of the grace
period is on time, exactly when the window opens or closes is inside it.
"""

from dataclasses import dataclass, field, fields
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

from attendance.models import AttendanceStatus

ATTENDED = (
    AttendanceStatus.PRESENT,
    AttendanceStatus.LATE,
    AttendanceStatus.LEFT_EARLY,
    AttendanceStatus.LATE_LEFT_EARLY,
)
TENTH = Decimal("0.1")
# Was in the room, including a check-in still waiting for its check-out (who may evaluate a
# session, who is reminded to).
IN_ROOM = (*ATTENDED, AttendanceStatus.PENDING)


@dataclass(frozen=True)
class Policy:
    """A program's attendance policy, in minutes relative to a session's start and end."""

    checkin_opens_before: int = 30
    late_grace_minutes: int = 5
    checkin_closes_after: int = 60
    checkout_opens_before: int = 15
    checkout_closes_after: int = 30
    require_checkout: bool = True

    @classmethod
    def of(cls, program) -> "Policy":
        return cls(**{f: getattr(program, f) for f in POLICY_FIELDS})

    def checkin_window(self, start: datetime) -> tuple[datetime, datetime]:
        return (
            start - timedelta(minutes=self.checkin_opens_before),
            start + timedelta(minutes=self.checkin_closes_after),
        )

    def late_after(self, start: datetime) -> datetime:
        return start + timedelta(minutes=self.late_grace_minutes)

    def checkout_window(self, end: datetime) -> tuple[datetime, datetime]:
        return (
            end - timedelta(minutes=self.checkout_opens_before),
            end + timedelta(minutes=self.checkout_closes_after),
        )


# The program fields the policy is read from, written once (the scan's SQL, the closing job's
# .only() and Policy.of all take them from here).
POLICY_FIELDS = tuple(f.name for f in fields(Policy))


def minutes_late(*, start: datetime, checkin_at: datetime) -> int:
    """Whole minutes after the start; any lateness at all is at least one minute."""
    seconds = (checkin_at - start).total_seconds()
    if seconds <= 0:
        return 0
    return max(1, int(seconds // 60))


def compute_status(
    *,
    start: datetime,
    end: datetime,
    policy: Policy,
    checkin_at: datetime | None,
    checkout_at: datetime | None,
    now: datetime,
    on_leave: bool = False,
) -> AttendanceStatus:
    """The status of one trainee at one session.

    - no check-in: on leave if leave was approved, otherwise absent;
    - late when the check-in is after start + grace;
    - left early when the check-out is before the check-out window opens, or, when the program
      requires a check-out, when there is none and the check-out window has closed (`now`).
    """
    if checkin_at is None:
        return AttendanceStatus.ON_LEAVE if on_leave else AttendanceStatus.ABSENT
    late = checkin_at > policy.late_after(start)
    opens, closes = policy.checkout_window(end)
    if checkout_at is not None:
        left_early = checkout_at < opens
    else:
        left_early = policy.require_checkout and now > closes
    if late and left_early:
        return AttendanceStatus.LATE_LEFT_EARLY
    if late:
        return AttendanceStatus.LATE
    if left_early:
        return AttendanceStatus.LEFT_EARLY
    return AttendanceStatus.PRESENT


# --- The attendance rate (出勤率) ------------------------------------------------------------
# One definition, used by every page, export, reminder, warning and rollup:
#
#   rate = sessions attended / sessions due, as a percentage rounded half up to a tenth.
#
# - only sessions of the program that are not cancelled count;
# - a session is due for a trainee once it has started if they have a record for it (checked in,
#   marked, on leave), and once it has ended if they have none: a held session without a
#   record is a missed one, but nobody's rate drops while check-in is still open;
# - attended means in the room (IN_ROOM: a check-in waiting for its check-out counts), and on
#   leave when, and only when, the program says leave counts as attended;
# - the warning line is judged on the rate as shown (79.96 shows as 80.0 and is not below 80),
#   and nobody is warned before two sessions are due.
# The ORM queries (attendance.selectors.rate_tallies) and the rollups' SQL are built from the
# status sets and fragments below; tests/reports/test_rate_agreement.py holds them all to this.

WARNING_MIN_SESSIONS = 2


def credited_statuses(*, leave_counts_as_attended: bool) -> tuple:
    """The statuses that count as attended under a program's leave policy."""
    if leave_counts_as_attended:
        return (*IN_ROOM, AttendanceStatus.ON_LEAVE)
    return IN_ROOM


def session_due(*, start: datetime, end: datetime, recorded: bool, now: datetime) -> bool:
    """Whether a (not cancelled) session counts in a trainee's rate yet."""
    return start <= now and (recorded or end <= now)


def rate_percent(attended: int, expected: int) -> float | None:
    """attended / expected as a percentage, rounded half up to a tenth (None when nothing is
    due). Computed from the integers, so every place that has the same two counts shows the
    same figure."""
    if not expected:
        return None
    value = (Decimal(attended) * 100 / Decimal(expected)).quantize(TENTH, rounding=ROUND_HALF_UP)
    return float(value)


def below_line(attended: int, expected: int, line) -> bool:
    """rate_percent(attended, expected) < line, in integers (for SQL and Python alike):
    round_half_up(1000a/e) < 10L  <=>  1000a/e + 1/2 < 10L  <=>  2000a < (20L - 1)e."""
    return bool(expected) and 2000 * attended < (20 * int(line) - 1) * expected


@dataclass(frozen=True)
class Tally:
    """One trainee's standing in one program: sessions attended of sessions due, and the
    number of due sessions per status (a due session without a record is in none)."""

    attended: int = 0
    expected: int = 0
    counts: dict = field(default_factory=dict, compare=False, hash=False)

    @property
    def rate(self) -> float | None:
        return rate_percent(self.attended, self.expected)

    @property
    def missing(self) -> int:
        """Due sessions with no record at all (held without the trainee, never marked)."""
        return self.expected - sum(self.counts.values())

    @property
    def unexcused(self) -> int:
        """Marked absent, plus due sessions with no record at all."""
        return self.counts.get(AttendanceStatus.ABSENT, 0) + self.missing

    def below(self, line) -> bool:
        return below_line(self.attended, self.expected, line)

    def warn(self, line) -> bool:
        """Whether the trainee is to be warned about their rate."""
        return self.expected >= WARNING_MIN_SESSIONS and self.below(line)

    def n(self, status) -> int:
        return self.counts.get(status, 0)


def tally(sessions, *, leave_counts_as_attended: bool, now: datetime) -> Tally:
    """The rate rule over one trainee's sessions of one program, given as (start, end,
    cancelled, status or None) tuples. The reference the queries are tested against."""
    credited = credited_statuses(leave_counts_as_attended=leave_counts_as_attended)
    attended = expected = 0
    counts: dict = {}
    for start, end, cancelled, status in sessions:
        if cancelled or not session_due(start=start, end=end, recorded=bool(status), now=now):
            continue
        expected += 1
        if status:
            counts[status] = counts.get(status, 0) + 1
            attended += status in credited
    return Tally(attended=attended, expected=expected, counts=counts)


# SQL for the same rule, for the rollups' raw queries. Status values are our own constants,
# never user input. `now` is the name of a query parameter ("%(now)s").
def sql_values(statuses) -> str:
    return "(" + ", ".join(f"'{AttendanceStatus(s).value}'" for s in statuses) + ")"


def sql_attended(*, status: str, leave_counts: str) -> str:
    """1 when a record's status counts as attended under the program's leave flag, else 0."""
    return (
        f"CASE WHEN {status} IN {sql_values(IN_ROOM)} THEN 1"
        f" WHEN {status} = '{AttendanceStatus.ON_LEAVE.value}' AND {leave_counts} THEN 1"
        " ELSE 0 END"
    )


def sql_below_line(*, attended: str, expected: str, line: str) -> str:
    """below_line in SQL (integers only, so PostgreSQL and SQLite agree with Python)."""
    return f"(2000 * {attended} < (20 * {line} - 1) * {expected})"


def sql_session_ended(*, start: str, end: str, now: str) -> str:
    """A session due for everyone enrolled, recorded or not (cancelled ones excluded apart)."""
    return f"({start} <= {now} AND {end} <= {now})"


def sql_session_started(*, start: str, now: str) -> str:
    """A session due for a trainee who has a record for it."""
    return f"({start} <= {now})"


# --- The 1/7 leave rule (请假超过课程学时七分之一的,予以退学) ----------------------------------
# A trainee whose approved leave in one class exceeds 1/7 of the class's hours is withdrawn
# (干部教育培训工作条例). Hours are the sessions' credit hours (学时): the class's are those of its
# sessions that are not cancelled, the trainee's leave those of such sessions they are on leave
# from (whole sessions: a leave request names sessions). Exactly 1/7 is within the limit; the
# class managers are told when leave reaches LEAVE_NEAR_SHARE of the limit, and again once it is
# passed, when they decide: withdraw, or keep the trainee with a recorded reason.
LEAVE_LIMIT_SHARE = Fraction(1, 7)
LEAVE_NEAR_SHARE = Fraction(4, 5)  # "nearing": 80 % of the limit


class LeaveLimit:
    OK = "ok"
    NEAR = "near"
    OVER = "over"


def leave_limit_hours(class_hours) -> Decimal:
    """The most leave a trainee may take in a class of `class_hours`, to a tenth (for display;
    leave_limit_state decides in exact fractions)."""
    limit = Fraction(Decimal(str(class_hours))) * LEAVE_LIMIT_SHARE
    return (Decimal(limit.numerator) / Decimal(limit.denominator)).quantize(
        TENTH, rounding=ROUND_HALF_UP
    )


def leave_limit_state(*, leave_hours, class_hours) -> str:
    """LeaveLimit.OVER when leave exceeds 1/7 of the class's hours, NEAR from 80 % of that limit
    (any leave at all), else OK. Exact: 3 h of 21 h is exactly the limit, so NEAR, not OVER."""
    leave = Fraction(Decimal(str(leave_hours or 0)))
    total = Fraction(Decimal(str(class_hours or 0)))
    if leave <= 0 or total <= 0:
        return LeaveLimit.OK
    limit = total * LEAVE_LIMIT_SHARE
    if leave > limit:
        return LeaveLimit.OVER
    if leave >= limit * LEAVE_NEAR_SHARE:
        return LeaveLimit.NEAR
    return LeaveLimit.OK
