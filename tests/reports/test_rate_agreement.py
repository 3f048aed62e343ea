"""A trainee's attendance rate (出勤率) is one figure wherever it is shown or acted on: the
trainee's own attendance page, the class manager's program page, the attendance warning, the
summary table (and its XLSX), the trainee record, the statistics rollups and the reports'
low-attendance reminder. Each gets there its own way (ORM aggregates, Python over records, raw
SQL), so this property test holds them all to one rule, written out here from scratch:

- sessions of the program that are not cancelled; a session is due once it has ended, or once
  it has started when the trainee has a record for it (nobody drops while check-in is open);
- attended: present, late, left early, both, or checked in awaiting check-out; on leave only
  when the program counts leave as attended; a due session without a record is not attended;
- rate = attended / due, as a percentage rounded half up to a tenth (none when nothing is due);
- a trainee is warned when the rate is below the program's warning line and two sessions are
  due at least.
"""

import datetime as dt
import io
from decimal import ROUND_HALF_UP, Decimal

import pytest
from django.db import transaction
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook

from attendance import selectors as attendance_selectors
from attendance.models import AttendanceStatus, AttendanceWarning
from attendance.services import rate_warnings_check
from evaluation.selectors import completion_assess
from programs.models import Program, Session
from reports import rendering
from reports import selectors as report_selectors
from reports.models import AttendanceRollup
from reports.reminders import low_attendance_reminders
from reports.services import rollup_rebuild_all
from tests.factories import (
    AttendanceRecordFactory,
    EnrollmentFactory,
    OrgUnitFactory,
    ProgramFactory,
    SessionFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

IN_ROOM = {"present", "late", "left_early", "late_left_early", "pending"}
SESSION = st.fixed_dictionaries(
    {
        "when": st.sampled_from(["ended", "running", "future"]),
        "cancelled": st.booleans(),
        "mine": st.sampled_from([None, *AttendanceStatus.values]),
        "other": st.sampled_from([None, *AttendanceStatus.values]),
    }
)
PROGRAM = st.fixed_dictionaries(
    {
        "leave_counts": st.booleans(),
        "line": st.sampled_from([50, 67, 75, 80, 100]),
        "sessions": st.lists(SESSION, min_size=0, max_size=6),
    }
)


def expected(spec, who: str):
    """(attended, due, rate, warned) by the rule in the docstring."""
    attended = due = 0
    for s in spec["sessions"]:
        status = s[who]
        if s["cancelled"] or s["when"] == "future":
            continue
        if s["when"] == "running" and status is None:
            continue
        due += 1
        if status in IN_ROOM or (status == "on_leave" and spec["leave_counts"]):
            attended += 1
    if not due:
        return attended, due, None, False
    rate = (Decimal(attended) * 100 / due).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
    return attended, due, float(rate), due >= 2 and rate < spec["line"]


def session_times(when, n, now):
    if when == "ended":
        start = now - dt.timedelta(days=10 - n, hours=4)
    elif when == "running":
        start = now - dt.timedelta(hours=1, minutes=n)
    else:
        start = now + dt.timedelta(days=n + 1)
    return start, start + dt.timedelta(hours=3)


def build(programs, now):
    trainee = UserFactory(unit=OrgUnitFactory(name="青湖区甲镇"))
    other = UserFactory(unit=OrgUnitFactory(name="青湖区乙镇"))
    built = []
    for spec in programs:
        program = ProgramFactory(
            status=Program.Status.RUNNING,
            leave_counts_as_attended=spec["leave_counts"],
            attendance_warning_rate=spec["line"],
            start_date=timezone.localdate(now) - dt.timedelta(days=12),
            end_date=timezone.localdate(now) + dt.timedelta(days=12),
        )
        EnrollmentFactory(program=program, user=trainee, unit=trainee.unit)
        EnrollmentFactory(program=program, user=other, unit=other.unit)
        for n, s in enumerate(spec["sessions"]):
            start, end = session_times(s["when"], n, now)
            session = SessionFactory(
                program=program,
                start=start,
                end=end,
                status=Session.Status.CANCELLED if s["cancelled"] else Session.Status.SCHEDULED,
            )
            for user, status in ((trainee, s["mine"]), (other, s["other"])):
                if status:
                    AttendanceRecordFactory(session=session, user=user, status=status)
        built.append(program)
    return trainee, other, built


def rollup_rate(program, user):
    row = AttendanceRollup.objects.get(program=program, unit=user.unit)
    return row.attended, row.expected, report_selectors.rate(row.attended, row.expected)


def xlsx_rate(program, name):
    book = load_workbook(io.BytesIO(rendering.summary_xlsx(program=program)), read_only=True)
    rows = list(book["考勤汇总"].iter_rows(values_only=True))
    header = next(i for i, r in enumerate(rows) if "出勤率(%)" in r)  # title lines above it
    column = rows[header].index("出勤率(%)")
    return next(r[column] for r in rows[header + 1 :] if r[2] == name)


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(programs=st.lists(PROGRAM, min_size=1, max_size=2))
def test_every_place_shows_the_same_attendance_rate(programs, client):
    with transaction.atomic():
        now = timezone.now()
        trainee, other, built = build(programs, now)
        rollup_rebuild_all(now=now)
        reminded = {  # the trainees' reminders, not the managers' digest
            r.occasion: set(r.user_ids)
            for r in low_attendance_reminders(now)
            if r.occasion.count(":") == 1
        }
        own = {
            r["program"].pk: r
            for r in attendance_selectors.my_rates(user=trainee, programs=built, now=now)
        }
        for spec, program in zip(programs, built, strict=True):
            mine = expected(spec, "mine")
            theirs = expected(spec, "other")
            attended, due, rate, warned = mine

            # the trainee's own page
            assert (own[program.pk]["tally"].attended, own[program.pk]["tally"].expected) == (
                attended,
                due,
            )
            assert own[program.pk]["rate"] == rate
            # the class manager's program page, and its overall rate
            rows, overall = attendance_selectors.program_rates(program=program, now=now)
            row = next(r for r in rows if r.user_id == trainee.pk)
            assert (row.attended, row.expected, row.rate) == (attended, due, rate)
            both = report_selectors.rate(mine[0] + theirs[0], mine[1] + theirs[1])
            assert overall == both
            # the summary table, its first page and its XLSX
            sessions = report_selectors.program_sessions(program=program)
            groups = report_selectors.summary_rows(program=program, sessions=sessions, now=now)
            summary = next(r for g in groups for r in g["rows"] if r["user_id"] == trainee.pk)
            assert (summary["attended"], summary["expected"], summary["rate"]) == (
                attended,
                due,
                rate,
            )
            overview = report_selectors.summary_overview(
                program=program, sessions=sessions, now=now
            )
            assert overview["rate"] == both
            assert xlsx_rate(program, trainee.full_name) == rate
            # the statistics rollups (one trainee per unit and program)
            assert rollup_rate(program, trainee) == (attended, due, rate)
            assert rollup_rate(program, other) == (theirs[0], theirs[1], theirs[2])
            # warnings: the attendance warning and the reports reminder agree with the page
            reminded_here = reminded.get(f"program:{program.pk}", set())
            assert (trainee.pk in reminded_here) == warned
            assert (other.pk in reminded_here) == theirs[3]
            rate_warnings_check(program=program, user_ids=[trainee.pk, other.pk], now=now)
            warning = AttendanceWarning.objects.filter(program=program, user=trainee).first()
            assert (warning is not None) == warned
            if warning:
                assert float(warning.rate) == rate
            assert row.below == (rate is not None and rate < spec["line"])
            # completion (结业) judges the same rate
            assessed = next(
                r for r in completion_assess(program=program, until=now) if r.user == trainee
            )
            assert assessed.sessions_total == due
            if rate is not None:
                assert float(assessed.rate) == rate

        # what the trainee sees on the page itself
        client.force_login(trainee)
        page = client.get("/attendance/").content.decode()
        for spec in programs:
            rate = expected(spec, "mine")[2]
            if rate is not None:
                assert f"{rate}%" in page
        transaction.set_rollback(True)
