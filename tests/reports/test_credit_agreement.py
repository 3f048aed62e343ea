"""A trainee's credit hours for a year are one figure wherever they are shown: the trainee's own
credit page and the organizer's overview (evaluation, ORM), the trainee record (reports,
Python) and the statistics rollups (reports, SQL). Each computes it its own way for speed, so
this property test holds all four to one rule, written out here from scratch:

- a record earns the session's hours × the percentage of its status (the program's credit
  policy, or the defaults);
- cancelled sessions earn nothing, nor do programs the trainee has withdrawn from;
- the year's hours are summed unrounded and rounded once, half up, to a tenth.
"""

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal

import pytest
from django.db import transaction
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from attendance.models import AttendanceStatus
from enrollment.models import Enrollment
from evaluation.models import DEFAULT_CREDIT_PERCENT, CreditPolicy
from evaluation.selectors import credit_overview, credit_record
from programs.models import Session
from reports.models import TraineeYearRollup
from reports.services import rollup_rebuild_all
from tests.factories import (
    AttendanceRecordFactory,
    EnrollmentFactory,
    ProgramFactory,
    SessionFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

PERCENT = st.integers(0, 20).map(lambda n: n * 5)
POLICY = st.none() | st.fixed_dictionaries(
    {"late": PERCENT, "left_early": PERCENT, "late_left_early": PERCENT, "on_leave": PERCENT}
)
SESSION = st.fixed_dictionaries(
    {
        "hours": st.integers(1, 8).map(lambda n: Decimal(n) / 2),
        "status": st.sampled_from([None, *AttendanceStatus.values]),
        "cancelled": st.booleans(),
    }
)
PROGRAM = st.fixed_dictionaries(
    {
        "policy": POLICY,
        "withdrawn": st.booleans(),
        "sessions": st.lists(SESSION, min_size=1, max_size=5),
    }
)


def expected_hours(programs) -> Decimal:
    total = Decimal(0)
    for program in programs:
        if program["withdrawn"]:
            continue
        percents = {"present": 100, **DEFAULT_CREDIT_PERCENT, **(program["policy"] or {})}
        for s in program["sessions"]:
            if s["cancelled"] or s["status"] is None:
                continue
            total += s["hours"] * percents.get(s["status"], 0) / 100
    return total.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(programs=st.lists(PROGRAM, min_size=1, max_size=3))
def test_every_page_shows_the_same_credit_hours(programs):
    with transaction.atomic():
        year = timezone.localdate().year
        trainee = UserFactory()
        admin = UserFactory(is_superuser=True)
        day = 0
        for spec in programs:
            program = ProgramFactory(start_date=dt.date(year, 1, 5), end_date=dt.date(year, 3, 1))
            EnrollmentFactory(
                program=program,
                user=trainee,
                status=Enrollment.Status.WITHDRAWN
                if spec["withdrawn"]
                else Enrollment.Status.ENROLLED,
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
            for s in spec["sessions"]:
                day += 1
                start = timezone.make_aware(dt.datetime(year, 1, 5, 9) + dt.timedelta(days=day))
                session = SessionFactory(
                    program=program,
                    start=start,
                    credit_hours=s["hours"],
                    status=Session.Status.CANCELLED if s["cancelled"] else Session.Status.SCHEDULED,
                )
                if s["status"]:
                    AttendanceRecordFactory(session=session, user=trainee, status=s["status"])
        want = expected_hours(programs)

        assert credit_record(user=trainee, year=year)[1] == want
        row = credit_overview(user=admin, year=year).get(pk=trainee.pk)
        assert Decimal(row.earned).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP) == want
        rollup_rebuild_all()
        rolled = TraineeYearRollup.objects.filter(user=trainee, year=year, level="").first()
        assert (rolled.credit_hours if rolled else Decimal(0)) == want
        transaction.set_rollback(True)
