"""The check-in's one SQL statement (PostgreSQL): it must say what the Python rules say.

attendance.rules is the authority on windows and statuses; on PostgreSQL the check-in writes the
record in one prepared statement that carries a copy of those rules in SQL. These tests hold the
copy to the original over generated policies, session lengths and scan times (boundaries
included), check that the statement is really prepared and that a scan costs one statement, and
that a disagreement, should the SQL ever drift, is logged and put right.
"""

import datetime as dt
import logging

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from attendance import services, tokens
from attendance.models import AttendanceRecord, AttendanceStatus
from core.db import prepared_cursor
from enrollment.models import Enrollment
from programs.models import Program, Session
from tests.attendance.conftest import scan_url
from tests.factories import EnrollmentFactory, UserFactory

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]

MINUTES = st.integers(min_value=0, max_value=240)


def _params(*, session, user, venue, at):
    return services.checkin_params(session_id=session.pk, user_id=user.pk, venue_id=venue.pk, at=at)


@settings(
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    opens_before=MINUTES,
    grace=MINUTES,
    closes_after=MINUTES,
    out_opens_before=MINUTES,
    out_closes_after=MINUTES,
    require_checkout=st.booleans(),
    length_min=st.integers(min_value=1, max_value=600) | st.integers(min_value=1, max_value=30),
    cancelled=st.integers(0, 9).map(lambda n: n == 9),
    enrolled=st.integers(0, 9).map(lambda n: n != 9),
    data=st.data(),
)
def test_sql_rules_agree_with_python_rules(
    world,
    opens_before,
    grace,
    closes_after,
    out_opens_before,
    out_closes_after,
    require_checkout,
    length_min,
    cancelled,
    enrolled,
    data,
):
    start = timezone.now().replace(microsecond=0)
    end = start + dt.timedelta(minutes=length_min)
    boundaries = [
        start - dt.timedelta(minutes=opens_before),
        start + dt.timedelta(minutes=grace),
        start + dt.timedelta(minutes=closes_after),
        end + dt.timedelta(minutes=out_closes_after),
    ]
    base = data.draw(st.sampled_from(boundaries) | st.just(start))
    nudge = data.draw(
        st.sampled_from([dt.timedelta(0), dt.timedelta(microseconds=1), -dt.timedelta(seconds=1)])
        | st.integers(-12 * 3600, 12 * 3600).map(lambda s: dt.timedelta(seconds=s))
    )
    at = base + nudge
    with transaction.atomic():
        Program.objects.filter(pk=world.program.pk).update(
            checkin_opens_before=opens_before,
            late_grace_minutes=grace,
            checkin_closes_after=closes_after,
            checkout_opens_before=out_opens_before,
            checkout_closes_after=out_closes_after,
            require_checkout=require_checkout,
        )
        Session.objects.filter(pk=world.session.pk).update(
            start=start,
            end=end,
            status=Session.Status.CANCELLED if cancelled else Session.Status.SCHEDULED,
        )
        if not enrolled:
            Enrollment.objects.filter(program=world.program, user=world.trainee).update(
                status=Enrollment.Status.WITHDRAWN
            )
        expected_session = services._scan_session(session_id=world.session.pk, user=world.trainee)
        scan = tokens.Scan(world.session.pk, world.venue.pk, tokens.CHECKIN, int(at.timestamp()))
        policy, gate = services._gate(expected_session, scan=scan, at=at)

        with prepared_cursor() as cursor:
            cursor.execute(
                services._CHECKIN_SQL,
                _params(session=world.session, user=world.trainee, venue=world.venue, at=at),
            )
            row = cursor.fetchone()
        record_id, _flagged, status = row[services._SCAN_SESSION_COLUMNS :]
        got_session = services._scan_session_from(row[: services._SCAN_SESSION_COLUMNS])

        event(f"{status or gate.outcome}")
        assert got_session == expected_session
        assert (record_id is not None) == (gate.outcome is None), (gate.outcome, at, boundaries)
        if record_id is not None:
            assert status == services._checkin_status(expected_session, policy, at)
            assert AttendanceRecord.objects.get(pk=record_id).status == status
        transaction.set_rollback(True)


def test_unknown_session_gives_no_row_and_writes_nothing(world):
    at = timezone.now()
    missing = Session(pk=987654)
    with prepared_cursor() as cursor:
        cursor.execute(
            services._CHECKIN_SQL,
            _params(session=missing, user=world.trainee, venue=world.venue, at=at),
        )
        assert cursor.fetchone() is None
    assert not AttendanceRecord.objects.exists()


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


def test_a_drifted_sql_rule_is_logged_and_put_right(live, client_for, monkeypatch, caplog):
    """Should someone change the SQL copy of the rule and not the Python one, the trainee still
    gets the Python rule's status and the disagreement is logged as an error."""
    drifted = services._CHECKIN_SQL.replace(
        f"ELSE '{AttendanceStatus.PRESENT.value}'", f"ELSE '{AttendanceStatus.LATE.value}'"
    )
    assert drifted != services._CHECKIN_SQL
    monkeypatch.setattr(services, "_CHECKIN_SQL", drifted)
    with caplog.at_level(logging.ERROR, logger="attendance.services"):
        response = client_for(live.trainee).post(scan_url(live.session, live.venue))
    assert b'data-outcome="on_time"' in response.content
    assert AttendanceRecord.objects.get().status == AttendanceStatus.PRESENT
    assert "rules say present" in caplog.text


def test_a_drifted_sql_window_that_refuses_a_valid_scan_falls_back_to_the_rules(
    live, client_for, monkeypatch, caplog
):
    """The other direction: the SQL copy of the window refuses a scan Python accepts. There is
    no record to fill in, so the record is written the portable way (it used to be a 500)."""
    drifted = services._CHECKIN_SQL.replace(
        "WHERE s.enrolled AND", "WHERE false AND s.enrolled AND"
    )
    assert drifted != services._CHECKIN_SQL
    monkeypatch.setattr(services, "_CHECKIN_SQL", drifted)
    with caplog.at_level(logging.ERROR, logger="attendance.services"):
        response = client_for(live.trainee).post(scan_url(live.session, live.venue))
    assert response.status_code == 200
    assert b'data-outcome="on_time"' in response.content
    record = AttendanceRecord.objects.get()
    assert record.user == live.trainee and record.status == AttendanceStatus.PRESENT
    assert "refused a scan the rules accept" in caplog.text
    again = client_for(live.trainee).post(scan_url(live.session, live.venue))
    assert b'data-outcome="already_in"' in again.content
    assert AttendanceRecord.objects.count() == 1
