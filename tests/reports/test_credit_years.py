"""A class over New Year: its hours count in the year each session was held (local time), the
same on the statistics page (rollups) as on the trainee's own credit page (evaluation)."""

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from attendance.models import AttendanceStatus
from evaluation.selectors import credit_record
from programs.models import Program
from reports.models import TraineeYearRollup
from reports.services import rollup_rebuild_all, rollup_refresh_changed
from tests.factories import (
    AttendanceRecordFactory,
    EnrollmentFactory,
    ProgramFactory,
    SessionFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


def _local(year, month, day, hour, minute=0):
    return timezone.make_aware(dt.datetime(year, month, day, hour, minute))


@pytest.fixture
def new_year_class():
    """Sessions on 31 December 14:00 (3 h), 1 January 00:30 Beijing time, which is still
    31 December in UTC (2 h), and 2 January 09:00 (3 h); one trainee present at all three."""
    new = timezone.localdate().year
    old = new - 1
    program = ProgramFactory(
        start_date=dt.date(old, 12, 30),
        end_date=dt.date(new, 1, 3),
        status=Program.Status.COMPLETED,
        level=Program.Level.CITY,
    )
    trainee = UserFactory()
    EnrollmentFactory(program=program, user=trainee)
    starts = [
        (_local(old, 12, 31, 14), "3"),
        (_local(new, 1, 1, 0, 30), "2"),
        (_local(new, 1, 2, 9), "3"),
    ]
    records = []
    for start, hours in starts:
        session = SessionFactory(program=program, start=start, credit_hours=Decimal(hours))
        records.append(AttendanceRecordFactory(session=session, user=trainee))
    return trainee, records, old, new


def _rollup_hours(user, year):
    row = TraineeYearRollup.objects.get(user=user, year=year, level="")
    return row.credit_hours, row.programs


def test_hours_count_in_the_local_year_of_each_session_on_both_pages(new_year_class):
    trainee, _records, old, new = new_year_class
    assert _local(new, 1, 1, 0, 30).astimezone(dt.UTC).year == old  # the boundary case
    rollup_rebuild_all()
    assert _rollup_hours(trainee, old) == (Decimal("3"), 1)
    assert _rollup_hours(trainee, new) == (Decimal("5"), 1)
    assert credit_record(user=trainee, year=old)[1] == Decimal("3.0")
    assert credit_record(user=trainee, year=new)[1] == Decimal("5.0")


def test_a_change_in_the_new_year_refreshes_that_year(new_year_class):
    trainee, records, old, new = new_year_class
    rollup_rebuild_all(now=timezone.now() - dt.timedelta(minutes=5))
    last = records[-1]
    last.status = AttendanceStatus.ABSENT
    last.save()
    assert rollup_refresh_changed() >= 1
    assert _rollup_hours(trainee, old) == (Decimal("3"), 1)
    assert _rollup_hours(trainee, new) == (Decimal("2"), 1)
    assert credit_record(user=trainee, year=new)[1] == Decimal("2.0")
