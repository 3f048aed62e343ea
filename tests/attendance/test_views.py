"""Pages: boards and screens (htmx partials, query counts at two sizes), rates, home panels."""

import pytest
from django.urls import reverse

from attendance.models import AttendanceRecord
from tests.attendance.conftest import retime, scan_outcome
from tests.factories import EnrollmentFactory, UserFactory

pytestmark = pytest.mark.django_db


def _grow(world, n):
    """n more trainees, a third of them checked in, one of them flagged."""
    for i in range(n):
        user = UserFactory(unit=world.county_a if i % 2 else world.city_a)
        EnrollmentFactory(program=world.program, user=user)
        if i % 3 == 0:
            AttendanceRecord.objects.create(
                session=world.session,
                user=user,
                venue=world.venue,
                source="qr",
                status="late" if i % 2 else "present",
                checkin_at=world.session.start,
                flagged=i == 0,
                device_id="d",
            )


@pytest.mark.parametrize("url_name", ["attendance:board", "attendance:session"])
def test_board_and_roster_query_count_does_not_grow_with_the_class(
    world, client_for, django_assert_num_queries, url_name
):
    client = client_for(world.manager)
    url = reverse(url_name, args=[world.session.pk])
    headers = {"HX-Request": "true"} if url_name == "attendance:board" else {}
    _grow(world, 5)
    client.get(url, headers=headers)  # warm up (session, roles)
    from django.core.cache import cache
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    cache.clear()  # measure a poll that builds the board (not one shared by another screen)
    with CaptureQueriesContext(connection) as small:
        assert client.get(url, headers=headers).status_code == 200
    _grow(world, 50)
    cache.clear()
    with django_assert_num_queries(len(small)):
        assert client.get(url, headers=headers).status_code == 200


def test_board_partial_counts_per_venue_and_lists_missing(world, client_for):
    retime(world.session, start_offset_min=-10)
    AttendanceRecord.objects.create(
        session=world.session,
        user=world.trainee,
        venue=world.branch_venue,
        source="qr",
        status="late",
        checkin_at=world.session.start,
        flagged=True,
    )
    missing = UserFactory(full_name="缺席学员王五", unit=world.city_a)
    EnrollmentFactory(program=world.program, user=missing)
    response = client_for(world.manager).get(
        reverse("attendance:board", args=[world.session.pk]), headers={"HX-Request": "true"}
    )
    body = response.content.decode()
    assert "<html" not in body  # the partial only
    board = response.context["board"]
    branch = board.venue(world.branch_venue.pk)
    main = board.venue(world.venue.pk)
    assert (branch.checked_in, branch.expected, branch.late) == (1, 1, 1)
    assert (main.checked_in, main.expected) == (0, 1)
    assert [r.name for r in main.missing] == ["缺席学员王五"]
    assert "疑似代签" in body and "学员张三" in body


def test_screen_shows_a_qr_that_checks_in(world, client_for):
    retime(world.session, start_offset_min=-1)
    response = client_for(world.venue_manager).get(
        reverse("attendance:screen", args=[world.session.pk, world.branch_venue.pk])
    )
    body = response.content.decode()
    assert response.status_code == 200 and "<svg" in body and 'hx-trigger="every 5s"' in body
    assert "<script>" not in body and 'style="' not in body.split("<svg", 1)[0]
    scan_path = response.context["scan_url"].split("testserver", 1)[1]
    assert scan_outcome(client_for(world.trainee).post(scan_path)) == "on_time"
    partial = client_for(world.venue_manager).get(
        reverse("attendance:screen", args=[world.session.pk, world.branch_venue.pk]),
        headers={"HX-Request": "true"},
    )
    assert "<html" not in partial.content.decode() and "1/1" in partial.content.decode()


def test_venue_manager_cannot_run_the_main_venue_screen(world, client_for):
    url = reverse("attendance:screen", args=[world.session.pk, world.venue.pk])
    assert client_for(world.venue_manager).get(url).status_code == 403
    assert client_for(world.manager).get(url).status_code == 200


def test_screen_for_a_venue_not_of_the_session_is_404(world, client_for):
    from tests.factories import VenueFactory

    other = VenueFactory()
    url = reverse("attendance:screen", args=[world.session.pk, other.pk])
    assert client_for(world.manager).get(url).status_code == 404


def test_program_page_shows_rates_and_warning(world, client_for):
    retime(world.session, start_offset_min=-120)
    AttendanceRecord.objects.create(
        session=world.session, user=world.trainee, source="auto", status="absent"
    )
    response = client_for(world.manager).get(reverse("attendance:program", args=[world.program.pk]))
    body = response.content.decode()
    assert "0.0%" in body and "低于预警线" in body


def test_home_panels_for_trainee_and_manager(world, client_for):
    retime(world.session, start_offset_min=5)
    trainee_home = client_for(world.trainee).get(reverse("home")).content.decode()
    assert "今日考勤" in trainee_home and world.session.topic in trainee_home
    manager_home = client_for(world.manager).get(reverse("home")).content.decode()
    assert "今日考勤看板" in manager_home
    assert reverse("attendance:board", args=[world.session.pk]) in manager_home


def test_a_venue_managers_screen_poll_asks_once_which_venues_they_manage(world, client_for):
    """Every 5 s per projector: the access check used to ask the venue-manager question three
    times (session_get, session_can_mark inside it, and the screen view)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = client_for(world.venue_manager)
    url = reverse("attendance:screen", args=[world.session.pk, world.branch_venue.pk])
    client.get(url, headers={"HX-Request": "true"})
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url, headers={"HX-Request": "true"}).status_code == 200
    asks = [q["sql"] for q in queries if "programs_venue_managers" in q["sql"]]
    # one for the session's own venues; program_access's "involved" check may add its own
    assert len(asks) <= 2, asks


def test_my_attendance_page_queries_do_not_grow_with_my_programs(world, client_for):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tests.factories import ProgramFactory, SessionFactory

    def join_programs(n):
        for _ in range(n):
            program = ProgramFactory(organizing_unit=world.city_a, status="running")
            EnrollmentFactory(program=program, user=world.trainee)
            session = SessionFactory(program=program)
            AttendanceRecord.objects.create(
                session=session,
                user=world.trainee,
                source="qr",
                status="present",
                checkin_at=session.start,
            )

    client = client_for(world.trainee)
    url = reverse("attendance:index")
    join_programs(1)
    client.get(url)
    with CaptureQueriesContext(connection) as small:
        assert client.get(url).status_code == 200
    join_programs(6)
    with CaptureQueriesContext(connection) as large:
        assert client.get(url).status_code == 200
    assert len(large) == len(small)


def test_the_full_board_page_loads_the_sessions_venues_once(world, client_for):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = client_for(world.manager)
    url = reverse("attendance:board", args=[world.session.pk])
    client.get(url)
    with CaptureQueriesContext(connection) as queries:
        body = client.get(url).content.decode()
    assert reverse("attendance:screen", args=[world.session.pk, world.branch_venue.pk]) in body
    venue_reads = [
        q["sql"] for q in queries if q["sql"].startswith('SELECT DISTINCT "programs_venue"')
    ]
    assert len(venue_reads) == 1, venue_reads
