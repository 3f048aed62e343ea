"""Attendance rates by attendance.rules (the one rate rule), for many trainees and programs in a
fixed number of queries."""

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Count, Q
from django.utils import timezone

from attendance.models import AttendanceRecord, AttendanceStatus
from attendance.rules import ATTENDED, Tally, credited_statuses, rate_percent
from attendance.selectors.boards import LATE_STATUSES
from enrollment.models import Enrollment
from programs.models import Program, Session


@dataclass
class RateTallies:
    """Tallies of many trainees in many programs (attendance.rules: the one rate rule)."""

    ended: dict  # {program_id: sessions ended, not cancelled}: due for everyone
    tallies: dict  # {(program_id, user_id): Tally} of trainees with a due record

    def get(self, program_id, user_id) -> Tally:
        found = self.tallies.get((program_id, user_id))
        return found if found is not None else Tally(expected=self.ended.get(program_id, 0))


def rate_tallies(*, programs, user_ids=None, now: datetime | None = None) -> RateTallies:
    """Every trainee's rate in these programs by attendance.rules, in 2 queries whatever the
    number of programs and trainees. `programs` are Program rows (their leave policy is read)."""
    now = now or timezone.now()
    leave_counts = {p.pk: p.leave_counts_as_attended for p in programs}
    ended = dict(
        Session.objects.filter(program_id__in=list(leave_counts), start__lte=now, end__lte=now)
        .exclude(status=Session.Status.CANCELLED)
        .values_list("program_id")
        .annotate(n=Count("id"))
        .values_list("program_id", "n")
        .order_by()
    )
    records = AttendanceRecord.objects.filter(
        session__program_id__in=list(leave_counts), session__start__lte=now
    ).exclude(session__status=Session.Status.CANCELLED)
    if user_ids is not None:
        records = records.filter(user_id__in=list(user_ids))
    parts: dict = {}
    for program_id, user_id, status, n, running in (
        records.values_list("session__program_id", "user_id", "status")
        .annotate(n=Count("id"), running=Count("id", filter=Q(session__end__gt=now)))
        .order_by()
    ):
        part = parts.setdefault((program_id, user_id), [0, 0, {}])
        credited = credited_statuses(leave_counts_as_attended=leave_counts[program_id])
        part[0] += n if status in credited else 0
        part[1] += running
        part[2][status] = n
    tallies = {
        key: Tally(attended=attended, expected=ended.get(key[0], 0) + running, counts=counts)
        for key, (attended, running, counts) in parts.items()
    }
    return RateTallies(ended=ended, tallies=tallies)


def rates_for(*, program: Program, user_ids, now=None) -> dict:
    """{user_id: Tally} of these trainees in one program (2 queries)."""
    found = rate_tallies(programs=[program], user_ids=user_ids, now=now)
    return {uid: found.get(program.pk, uid) for uid in user_ids}


@dataclass
class RateRow:
    user_id: int
    name: str
    unit: str
    tally: Tally
    below: bool

    @property
    def rate(self) -> float | None:
        return self.tally.rate

    @property
    def counts(self) -> dict:
        return self.tally.counts

    @property
    def attended(self) -> int:
        return self.tally.attended

    @property
    def expected(self) -> int:
        return self.tally.expected

    @property
    def unexcused(self) -> int:
        return self.tally.unexcused


def program_rates(*, program: Program, now=None) -> tuple[list[RateRow], float | None]:
    """Per-trainee rates and the program's overall rate, over enrolled trainees (3 queries)."""
    found = rate_tallies(programs=[program], now=now)
    rows = []
    attended = expected = 0
    line = program.attendance_warning_rate
    # plain values, not model instances: a class of 2,000 builds 2,000 rows (issue 18)
    for user_id, name, unit in (
        Enrollment.objects.filter(program=program, status=Enrollment.Status.ENROLLED)
        .order_by("user__full_name", "user_id")
        .values_list("user_id", "user__full_name", "unit__name")
    ):
        tally = found.get(program.pk, user_id)
        attended += tally.attended
        expected += tally.expected
        rows.append(
            RateRow(
                user_id=user_id,
                name=name,
                unit=unit or "",
                tally=tally,
                below=tally.below(line),
            )
        )
    return rows, rate_percent(attended, expected)


def my_rates(*, user, programs, now=None) -> list[dict]:
    """The trainee's own rate in each of these programs (2 queries)."""
    found = rate_tallies(programs=programs, user_ids=[user.pk], now=now)
    rows = []
    for program in programs:
        tally = found.get(program.pk, user.pk)
        rows.append(
            {
                "program": program,
                "tally": tally,
                "rate": tally.rate,
                "below": tally.below(program.attendance_warning_rate),
            }
        )
    return rows


def program_sessions_with_counts(*, program: Program):
    """The program's sessions with counts of records by kind (1 query)."""
    present = Q(attendance__status__in=ATTENDED)
    return (
        Session.objects.filter(program=program)
        .select_related("venue")
        .annotate(
            n_in=Count("attendance", filter=present),
            n_late=Count("attendance", filter=Q(attendance__status__in=LATE_STATUSES)),
            n_absent=Count("attendance", filter=Q(attendance__status=AttendanceStatus.ABSENT)),
            n_leave=Count("attendance", filter=Q(attendance__status=AttendanceStatus.ON_LEAVE)),
            n_flagged=Count("attendance", filter=Q(attendance__flagged=True)),
        )
        .order_by("start")
    )
