"""The attendance rules as pure functions of times and policy: no database, no clock.

Every boundary is inclusive on the trainee's side: checking in exactly at the end of the grace
period is on time, exactly when the window opens or closes is inside it.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from attendance.models import AttendanceStatus

ATTENDED = (
    AttendanceStatus.PRESENT,
    AttendanceStatus.LATE,
    AttendanceStatus.LEFT_EARLY,
    AttendanceStatus.LATE_LEFT_EARLY,
)
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
        return cls(
            checkin_opens_before=program.checkin_opens_before,
            late_grace_minutes=program.late_grace_minutes,
            checkin_closes_after=program.checkin_closes_after,
            checkout_opens_before=program.checkout_opens_before,
            checkout_closes_after=program.checkout_closes_after,
            require_checkout=program.require_checkout,
        )

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


def attendance_rate(counts: dict[str, int], *, leave_counts_as_attended: bool) -> float | None:
    """Attended sessions / sessions with a record, as a percentage (None when nothing is due).

    On leave counts as attended only when the program's policy says so; otherwise it counts
    against the rate like any other missed session.
    """
    total = sum(counts.values())
    if not total:
        return None
    attended = sum(counts.get(s, 0) for s in ATTENDED)
    if leave_counts_as_attended:
        attended += counts.get(AttendanceStatus.ON_LEAVE, 0)
    return round(100.0 * attended / total, 1)
