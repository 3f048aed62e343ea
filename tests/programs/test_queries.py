"""Query counts stay the same at two data sizes (CONVENTIONS.md habit 11)."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from programs.recurrence import at_local
from tests.factories import (
    EnrollmentFactory,
    LecturerFactory,
    ProgramFactory,
    SessionFactory,
    VenueFactory,
)

pytestmark = pytest.mark.django_db


def _grow(world, n):
    """n more sessions in the world program's first week (each with branch venues and
    lecturers) and n more programs in the organizer's city, the trainee enrolled in each."""
    p = world.program
    for i in range(n):
        day = p.start_date + dt.timedelta(days=i % 6)
        s = SessionFactory(
            program=p,
            venue=VenueFactory(unit=world.city_a),
            start=at_local(day, dt.time(13 + i % 5)),
            end=at_local(day, dt.time(14 + i % 5)),
        )
        s.branch_venues.add(VenueFactory(unit=world.county_a), world.branch_venue)
        s.lecturers.add(LecturerFactory(), LecturerFactory())
        other = ProgramFactory(organizing_unit=world.city_a)
        SessionFactory(
            program=other,
            venue=world.venue,
            start=at_local(other.start_date, dt.time(20)),
            end=at_local(other.start_date, dt.time(21)),
        )
        EnrollmentFactory(program=other, user=world.trainee)


def _count(client, url, headers=None):
    client.get(url, headers=headers or {})  # warm up: the first request also touches the session
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url, headers=headers or {})
    assert response.status_code == 200
    return len(ctx.captured_queries)


PAGES = [
    ("organizer", lambda w: reverse("programs:timetable", args=[w.program.pk]), None),
    (
        "organizer",
        lambda w: reverse("programs:timetable", args=[w.program.pk]) + "?view=month",
        None,
    ),
    (
        "organizer",
        lambda w: reverse("programs:timetable", args=[w.program.pk]) + "?view=month",
        {"HX-Request": "true"},
    ),
    ("organizer", lambda w: reverse("programs:list"), None),
    ("trainee", lambda w: reverse("programs:list"), None),
    ("organizer", lambda w: reverse("programs:detail", args=[w.program.pk]), None),
    ("trainee", lambda w: reverse("programs:my_schedule") + f"?from={w.program.start_date}", None),
    ("organizer", lambda w: reverse("programs:venue_list"), None),
    ("organizer", lambda w: reverse("programs:lecturer_list"), None),
    ("trainee", lambda w: reverse("home"), None),
]


@pytest.mark.parametrize("role,url,headers", PAGES)
def test_same_query_count_at_ten_times_the_data(world, client_for, role, url, headers):
    client = client_for(world.by_role()[role])
    _grow(world, 2)
    small = _count(client, url(world), headers)
    _grow(world, 18)
    large = _count(client, url(world), headers)
    assert small == large, f"{small} queries with little data, {large} with 10x"


def test_feed_query_count_is_flat(world, client):
    from programs.services import calendar_feed_get_or_create

    token = calendar_feed_get_or_create(user=world.trainee).token
    url = reverse("programs:feed", args=[token])
    _grow(world, 2)
    small = _count(client, url)
    _grow(world, 18)
    assert _count(client, url) == small


def test_a_busy_lecturers_feed_query_count_is_flat(world, client):
    """The lecturer's feed, like the trainee's: one query per kind of row however many sessions
    and programs (venues, branch venues and co-lecturers prefetched)."""
    from programs.services import calendar_feed_get_or_create

    token = calendar_feed_get_or_create(lecturer=world.lecturer).token
    url = reverse("programs:feed", args=[token])

    def teach(n):
        for i in range(n):
            other = ProgramFactory(organizing_unit=world.city_a)
            s = SessionFactory(
                program=other,
                venue=VenueFactory(unit=world.city_a),
                start=at_local(other.start_date, dt.time(9 + i % 8)),
                end=at_local(other.start_date, dt.time(10 + i % 8)),
            )
            s.branch_venues.add(VenueFactory(unit=world.county_a))
            s.lecturers.add(world.lecturer, LecturerFactory())

    teach(2)
    small = _count(client, url)
    teach(18)
    assert _count(client, url) == small


def test_program_list_query_count_is_flat_across_pages(world, client_for):
    from programs.views import PROGRAMS_PER_PAGE

    client = client_for(world.organizer)
    url = reverse("programs:list") + "?status=published&page=2"
    counts = []
    for n in (PROGRAMS_PER_PAGE + 5, PROGRAMS_PER_PAGE * 3):
        for _ in range(n):
            ProgramFactory(organizing_unit=world.city_a)
        counts.append((_count(client, url), _count(client, url, {"HX-Request": "true"})))
    assert counts[0] == counts[1], counts
