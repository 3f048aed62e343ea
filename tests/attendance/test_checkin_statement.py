"""The check-in's one statement (PostgreSQL): the rules decide in Python, the SQL only writes.

attendance.rules is the one implementation of windows and statuses; the check-in decides them
in Python from the session and policy it keeps a few seconds per process, and one prepared
statement inserts the record (when the trainee is enrolled) with the status decided. These tests
check that the statement holds no copy of the rules, writes what the rules say, is really
prepared, and that a scan costs one statement.
"""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from attendance import services, tokens
from attendance.models import AttendanceRecord, AttendanceStatus
from enrollment.models import Enrollment
from programs.models import Session
from tests.attendance.conftest import retime, scan_url
from tests.factories import EnrollmentFactory, UserFactory

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]


def _scan(world, at):
    return tokens.Scan(world.session.pk, world.venue.pk, tokens.CHECKIN, int(at.timestamp()))


def test_the_statement_holds_no_copy_of_the_rules():
    for sql in (services.scan._CHECKIN_SQL, services.scan._CHECKIN_SQL_PG):
        for word in ("make_interval", "late_grace", "checkin_opens", "CASE", ".start", '"end"'):
            assert word not in sql, word


@pytest.mark.parametrize("minutes", [-30, -1, 0, 5, 6, 59, 60])
def test_the_status_written_is_the_rules_status(world, minutes):
    """Scans at the window's and the grace period's edges (policy 30 / 5 / 60 minutes)."""
    start = timezone.now().replace(microsecond=0) + dt.timedelta(hours=1)
    Session.objects.filter(pk=world.session.pk).update(
        start=start, end=start + dt.timedelta(hours=3)
    )
    at = start + dt.timedelta(minutes=minutes)
    result = services.checkin_scan(user=world.trainee, scan=_scan(world, at), at=at)
    expected = AttendanceStatus.LATE if minutes > 5 else AttendanceStatus.PRESENT
    assert result.ok and result.status == expected
    assert AttendanceRecord.objects.get().status == expected


def test_outside_the_window_or_not_enrolled_nothing_is_written(world):
    start = timezone.now().replace(microsecond=0) + dt.timedelta(hours=1)
    Session.objects.filter(pk=world.session.pk).update(
        start=start, end=start + dt.timedelta(hours=3)
    )
    for minutes, outcome in ((-31, "not_open"), (61, "closed")):
        at = start + dt.timedelta(minutes=minutes)
        assert (
            services.checkin_scan(user=world.trainee, scan=_scan(world, at), at=at).outcome
            == outcome
        )
    Enrollment.objects.filter(user=world.trainee).update(status=Enrollment.Status.WITHDRAWN)
    result = services.checkin_scan(user=world.trainee, scan=_scan(world, start), at=start)
    assert result.outcome == services.Outcome.NOT_ENROLLED
    assert not AttendanceRecord.objects.exists()


def test_a_moved_session_is_seen_once_the_cache_runs_out(world, monkeypatch):
    clock = [1000.0]
    monkeypatch.setattr(services.scan.time, "monotonic", lambda: clock[0])
    retime(world.session, start_offset_min=120)  # not open yet
    now = timezone.now()
    assert services.checkin_scan(user=world.trainee, scan=_scan(world, now), at=now).outcome == (
        "not_open"
    )
    retime(world.session, start_offset_min=-2)  # moved to now
    assert services.checkin_scan(user=world.trainee, scan=_scan(world, now), at=now).outcome == (
        "not_open"
    )  # still the cached session
    clock[0] += services.SESSION_CACHE_SECONDS + 0.1
    assert services.checkin_scan(user=world.trainee, scan=_scan(world, now), at=now).ok


def _plans() -> tuple[int, int]:
    """How often this connection's prepared check-in statements ran a generic / custom plan."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT coalesce(sum(generic_plans), 0), coalesce(sum(custom_plans), 0)"
            " FROM pg_prepared_statements WHERE statement LIKE %s",
            [f"%INSERT INTO {AttendanceRecord._meta.db_table}%"],
        )
        return tuple(cursor.fetchone())


def test_a_scan_is_one_prepared_statement_planned_once(live, client_for):
    client = client_for(live.trainee)
    client.get("/")  # the login session is loaded once before measuring
    generic, custom = _plans()
    with CaptureQueriesContext(connection) as queries:
        response = client.post(scan_url(live.session, live.venue))
    assert b'data-outcome="on_time"' in response.content
    touching = [q["sql"] for q in queries if AttendanceRecord._meta.db_table in q["sql"]]
    assert len(touching) == 1, touching
    second = UserFactory(unit=live.county_a)
    EnrollmentFactory(program=live.program, user=second)
    client.force_login(second)
    assert b'data-outcome="on_time"' in client.post(scan_url(live.session, live.venue)).content
    # Both scans ran the statement prepared, with the one generic plan: never re-planned for
    # each call's values (plan_cache_mode, set with DB_PREPARED_STATEMENTS).
    assert _plans() == (generic + 2, custom)


def test_without_prepared_statements_the_scan_still_works(live, client_for):
    connection.ensure_connection()
    raw = connection.connection
    before = raw.prepare_threshold
    raw.prepare_threshold = None  # what DB_PREPARED_STATEMENTS=0 gives
    try:
        response = client_for(live.trainee).post(scan_url(live.session, live.venue))
    finally:
        raw.prepare_threshold = before
    assert b'data-outcome="on_time"' in response.content
    assert AttendanceRecord.objects.get().status == AttendanceStatus.PRESENT
