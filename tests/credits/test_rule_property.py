"""The training record's hours against an independent statement of the policy, through the
database: Lectern sessions under each program's credit policy (withdrawn and withheld
enrolments and cancelled sessions earning nothing), approved external records (some spanning the
new year), summed unrounded and shown to 0.1, half up. The record (credits.rules), evaluation's
per-session figures and the compliance rollup must all say the same."""

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

import pytest
from django.db import transaction
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from credits.models import CreditYearRollup
from credits.rules import progress_for
from credits.services import rollup_refresh
from enrollment.models import Enrollment
from evaluation.models import CreditPolicy
from evaluation.selectors import credit_record
from programs.models import Session
from tests.credits.factories import entry_for
from tests.factories import (
    AttendanceRecordFactory,
    EnrollmentFactory,
    ProgramFactory,
    SessionFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

# The statement, written from the policy text, not from the code.
PRESENT_PERCENT = 100
DEFAULTS = {"late": 50, "left_early": 50, "late_left_early": 0, "on_leave": 0}
STATUSES = ["present", "late", "left_early", "late_left_early", "on_leave", "absent"]

PERCENT = st.integers(0, 20).map(lambda n: n * 5)
POLICY = st.none() | st.fixed_dictionaries(
    dict.fromkeys(("late", "left_early", "late_left_early", "on_leave"), PERCENT)
)
SESSION = st.fixed_dictionaries(
    {
        "hours": st.integers(1, 16).map(lambda n: Fraction(n, 2)),
        "status": st.sampled_from([None, *STATUSES]),
        "cancelled": st.booleans(),
        "new_year": st.booleans(),  # 00:30 on 1 January (local) rather than 23:00 on 31 December
    }
)
PROGRAM = st.fixed_dictionaries(
    {
        "policy": POLICY,
        "enrolment": st.sampled_from(["enrolled", "withdrawn", "withheld"]),
        "sessions": st.lists(SESSION, min_size=1, max_size=4),
    }
)
ENTRY = st.fixed_dictionaries(
    {
        "hours": st.integers(1, 400).map(lambda n: Fraction(n, 10)),
        "days_before": st.integers(0, 3),  # starts this many days before 1 January
        "days_after": st.integers(
            0, 3
        ),  # ends this many days after 31 December (0: in the old year)
    }
)


def shown(x: Fraction) -> Decimal:
    return Decimal(x.numerator) / Decimal(x.denominator) if x else Decimal(0)


def tenth(x: Fraction) -> Decimal:
    return shown(x).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def statement(programs, entries, old: int):
    """{year: hours} for the old year and the new one."""
    years = {old: Fraction(0), old + 1: Fraction(0)}
    for p in programs:
        if p["enrolment"] != "enrolled":
            continue
        percents = {"present": PRESENT_PERCENT, **DEFAULTS, **(p["policy"] or {})}
        for s in p["sessions"]:
            if s["cancelled"] or s["status"] is None:
                continue
            year = old + 1 if s["new_year"] else old
            years[year] += s["hours"] * percents.get(s["status"], 0) / 100
    for e in entries:
        before = e["days_before"] + 1  # days in the old year (31 December and those before)
        after = e["days_after"]
        total = before + after
        years[old] += e["hours"] * before / total
        years[old + 1] += e["hours"] * after / total
    return {y: tenth(h) for y, h in years.items()}


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(programs=st.lists(PROGRAM, min_size=1, max_size=3), entries=st.lists(ENTRY, max_size=3))
def test_the_record_agrees_with_the_policy_statement(programs, entries):
    with transaction.atomic():
        old = timezone.localdate().year - 1
        cadre = UserFactory(rank="section")
        tz = timezone.get_current_timezone()
        for i, spec in enumerate(programs):
            program = ProgramFactory()
            EnrollmentFactory(
                program=program,
                user=cadre,
                status=Enrollment.Status.WITHDRAWN
                if spec["enrolment"] == "withdrawn"
                else Enrollment.Status.ENROLLED,
                credit_withheld=spec["enrolment"] == "withheld",
            )
            if spec["policy"]:
                p = spec["policy"]
                CreditPolicy.objects.create(
                    program=program,
                    late_percent=p["late"],
                    left_early_percent=p["left_early"],
                    late_left_early_percent=p["late_left_early"],
                    leave_percent=p["on_leave"],
                )
            for j, s in enumerate(spec["sessions"]):
                start = (
                    dt.datetime(old + 1, 1, 1, 0, 30, tzinfo=tz)
                    if s["new_year"]
                    else dt.datetime(old, 12, 31, 23, 0, tzinfo=tz)
                ) + dt.timedelta(seconds=60 * (i * 10 + j))
                session = SessionFactory(
                    program=program,
                    start=start,
                    end=start + dt.timedelta(minutes=20),
                    credit_hours=shown(s["hours"]),
                    status=Session.Status.CANCELLED if s["cancelled"] else Session.Status.SCHEDULED,
                )
                if s["status"]:
                    AttendanceRecordFactory(session=session, user=cadre, status=s["status"])
        for k, e in enumerate(entries):
            entry_for(
                cadre,
                title=f"外部培训{k}",
                start_date=dt.date(old, 12, 31) - dt.timedelta(days=e["days_before"]),
                end_date=dt.date(old + 1, 1, e["days_after"])
                if e["days_after"]
                else dt.date(old, 12, 31),
                hours=shown(e["hours"]),
            )
        want = statement(programs, entries, old)
        rollup_refresh(user_ids=[cadre.pk])
        for year in (old, old + 1):
            assert progress_for(cadre, year=year).year_total == want[year]
            assert CreditYearRollup.objects.get(user=cadre, year=year).year_total == want[year]
        lectern = statement(programs, [], old)
        for year in (old, old + 1):
            assert credit_record(user=cadre, year=year)[1] == lectern[year]
        transaction.set_rollback(True)
