"""Polled pages at scale (issue 18 item 2): the live board and the check-in screen answer an
unchanged htmx poll with 304 (ETag, revalidated on every poll), in the same few queries for a
71- and a 2,000-trainee session, and the board does not ship 2,000 names on every poll."""

import time

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import User
from attendance import tokens
from attendance.models import AttendanceRecord
from enrollment.models import Enrollment
from tests.attendance.conftest import retime, scan_outcome, scan_url
from tests.test_admin_scale import page_queries

pytestmark = pytest.mark.django_db

HX = {"HX-Request": "true"}


def _enrol(world, total):
    """Enrol trainees until the program has `total` (bulk: 2,000 in a second)."""
    have = Enrollment.objects.filter(program=world.program).count()
    start = User.objects.count()
    users = User.objects.bulk_create(
        User(
            username=f"poll{start + i}",
            full_name=f"学员{start + i:05d}",
            unit=world.county_a if i % 3 else world.city_a,
        )
        for i in range(total - have)
    )
    Enrollment.objects.bulk_create(
        Enrollment(
            program=world.program,
            user=u,
            unit=u.unit,
            status=Enrollment.Status.ENROLLED,
            source=Enrollment.Source.MANUAL,
        )
        for u in users
    )
    return users


def _poll(client, url, etag=None):
    headers = dict(HX)
    if etag:
        headers["If-None-Match"] = etag
    with CaptureQueriesContext(connection) as ctx:
        started = time.perf_counter()
        response = client.get(url, headers=headers)
        ms = (time.perf_counter() - started) * 1000
    return response, page_queries(ctx), ms


def _urls(world):
    return {
        "board": reverse("attendance:board", args=[world.session.pk]),
        "screen": reverse("attendance:screen", args=[world.session.pk, world.venue.pk]),
    }


@pytest.mark.parametrize("page", ["board", "screen"])
def test_an_unchanged_poll_answers_304_and_a_scan_changes_it(world, client_for, page):
    retime(world.session, start_offset_min=60)  # before the window: the screen's code is stable
    _enrol(world, 71)
    client = client_for(world.manager)
    url = _urls(world)[page]

    first, _, _ = _poll(client, url)
    assert first.status_code == 200
    etag = first["ETag"]
    assert (
        etag and "no-cache" in first["Cache-Control"] and "no-store" not in first["Cache-Control"]
    )
    assert "HX-Request" in first["Vary"]

    again, queries, _ = _poll(client, url, etag)
    assert again.status_code == 304 and again.content == b"" and again["ETag"] == etag
    assert queries <= 8, queries

    # a check-in changes what the poll shows: a fresh 200 with another ETag, then 304 again
    retime(world.session, start_offset_min=-2)
    tokens_url = scan_url(world.session, world.venue)
    assert scan_outcome(client_for(world.trainee).post(tokens_url)) == "on_time"
    changed, _, _ = _poll(client, url, etag)
    assert changed.status_code == 200 and changed["ETag"] != etag
    if page == "board":
        assert "1/71" in changed.content.decode()
    settled, _, _ = _poll(client, url, changed["ETag"])
    assert settled.status_code in (200, 304)  # the screen's code may have rotated meanwhile
    if page == "board":
        assert settled.status_code == 304

    # the full page is never kept by the browser (its clock carries the time)
    full = client.get(url)
    assert full.status_code == 200 and "no-store" in full["Cache-Control"]
    assert not full.has_header("ETag")


def test_a_manual_mark_or_a_new_trainee_changes_the_board(world, client_for):
    client = client_for(world.manager)
    url = _urls(world)["board"]
    etag = _poll(client, url)[0]["ETag"]
    _enrol(world, 3)
    after_enrol = _poll(client, url, etag)[0]
    assert after_enrol.status_code == 200
    etag = after_enrol["ETag"]
    record = AttendanceRecord.objects.create(
        session=world.session,
        user=world.trainee,
        venue=world.venue,
        source="manual",
        status="absent",
    )
    assert _poll(client, url, etag)[0].status_code == 200
    etag = _poll(client, url)[0]["ETag"]
    record.status = "on_leave"
    record.save()
    assert _poll(client, url, etag)[0].status_code == 200


def test_the_screen_rotates_its_code_while_open(world, client_for, monkeypatch):
    retime(world.session, start_offset_min=-2)
    client = client_for(world.manager)
    url = _urls(world)["screen"]
    now = time.time()
    monkeypatch.setattr(tokens.time, "time", lambda: now)
    etag = _poll(client, url)[0]["ETag"]
    assert _poll(client, url, etag)[0].status_code == 304
    monkeypatch.setattr(tokens.time, "time", lambda: now + tokens.ROTATE_SECONDS)
    rotated = _poll(client, url, etag)[0]
    assert rotated.status_code == 200 and "<svg" in rotated.content.decode()


def test_polls_cost_the_same_queries_for_71_and_2000_trainees(world, client_for):
    """Queries per poll (200 and 304) equal at both sizes; the board's poll stays small."""
    from django.core.cache import cache

    retime(world.session, start_offset_min=60)
    client = client_for(world.manager)
    measured = {}
    for size in (71, 2000):
        _enrol(world, size)
        for page, url in _urls(world).items():
            _poll(client, url)  # warm up
            cache.clear()  # a poll that builds the fragment (not one another screen built)
            full, q200, ms200 = _poll(client, url)
            unchanged, q304, ms304 = _poll(client, url, full["ETag"])
            assert unchanged.status_code == 304
            measured[(page, size)] = (q200, q304, len(full.content), round(ms200), round(ms304))
    print("\npolls (queries 200, queries 304, bytes, ms 200, ms 304):", measured)
    for page in ("board", "screen"):
        assert measured[(page, 71)][:2] == measured[(page, 2000)][:2], measured
    assert measured[("board", 2000)][2] < 30 * 1024, measured  # not 2,000 names every poll
    assert measured[("board", 2000)][1] <= 8


def test_screens_polling_the_same_session_share_one_build(world, client_for):
    """After a change, the first poller builds the fragment; the other screens (another class
    manager, the assistant) get the same bytes without building the board again."""
    from django.core.cache import cache

    cache.clear()
    _enrol(world, 71)
    url = _urls(world)["board"]
    first, built, _ = _poll(client_for(world.manager), url)
    second, shared, _ = _poll(client_for(world.assistant), url)
    assert first.status_code == second.status_code == 200
    assert first.content == second.content and first["ETag"] == second["ETag"]
    assert shared < built, (shared, built)
    # a venue manager sees only their venue: another fragment, not the shared one
    venue_view, _, _ = _poll(client_for(world.venue_manager), url)
    assert venue_view.status_code == 200 and venue_view["ETag"] != first["ETag"]
