"""Large attendance pages (issue 18 item 1/3): a 2,000-trainee session's roster and its
program's attendance overview paginate (50 a page, filters kept in the page links) in the same
number of queries as for 71 trainees and under 300 KB; the check-in screen in fixed queries."""

import datetime as dt
import re
import time

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from attendance.models import AttendanceRecord
from tests.attendance.conftest import retime
from tests.attendance.test_polling import _enrol
from tests.test_admin_scale import page_queries

pytestmark = pytest.mark.django_db

MAX_BYTES = 300 * 1024


def _get(client, url, **params):
    with CaptureQueriesContext(connection) as ctx:
        started = time.perf_counter()
        response = client.get(url, params)
        ms = (time.perf_counter() - started) * 1000
    assert response.status_code == 200, url
    return response, page_queries(ctx), round(ms)


def _rows(response) -> int:
    return len(re.findall(r'name="users" value="\d+"', response.content.decode()))


def test_large_pages_paginate_in_the_same_queries_at_71_and_2000(world, client_for):
    client = client_for(world.manager)
    urls = {
        "session": reverse("attendance:session", args=[world.session.pk]),
        "program": reverse("attendance:program", args=[world.program.pk]),
        "screen": reverse("attendance:screen", args=[world.session.pk, world.venue.pk]),
    }
    measured = {}
    for size in (71, 2000):
        _enrol(world, size)
        for name, url in urls.items():
            _get(client, url)  # warm up
            response, queries, ms = _get(client, url)
            assert len(response.content) < MAX_BYTES, (name, size, len(response.content))
            measured[(name, size)] = (queries, len(response.content), ms)
    print("\nlarge pages (queries, bytes, ms):", measured)
    for name in urls:
        assert measured[(name, 71)][0] == measured[(name, 2000)][0], measured

    session_page = _get(client, urls["session"])[0]
    assert _rows(session_page) == 50
    body = session_page.content.decode()
    assert "第 1 / 40 页" in body and "page=2" in body
    rates_page = _get(client, urls["program"])[0]
    assert (
        rates_page.content.decode().count('<tr class="row-below"')
        + rates_page.content.decode().count("<tr><td>")
        <= 60
    )


def test_roster_filters_are_kept_across_pages(world, client_for):
    users = _enrol(world, 130)
    for u in users[:60]:
        AttendanceRecord.objects.create(
            session=world.session,
            user=u,
            venue=world.venue,
            source="qr",
            status="present",
            checkin_at=world.session.start,
        )
    client = client_for(world.manager)
    url = reverse("attendance:session", args=[world.session.pk])
    checked_in = _get(client, url, status="in")[0]
    assert _rows(checked_in) == 50
    body = checked_in.content.decode()
    assert "status=in" in body and "page=2" in body
    second = _get(client, url, status="in", page=2)[0]
    assert _rows(second) == 10
    missing = _get(client, url, status="missing")[0]
    assert "共 70 条" in missing.content.decode()
    by_name = _get(client, url, q=users[0].full_name)[0]
    assert _rows(by_name) == 1
    at_branch = _get(client, url, venue=world.branch_venue.pk, status="in")[0]
    assert _rows(at_branch) == 0
    # the board's "and N more" link lands on the session page filtered to that venue's missing
    board = client.get(reverse("attendance:board", args=[world.session.pk])).content.decode()
    link = re.search(r'\?venue=(\d+)&amp;status=missing">另有 (\d+) 人未到', board)
    assert link, "a venue with more than 30 missing links to the rest"
    rest = _get(client, url, venue=link[1], status="missing")[0]
    assert _rows(rest) == int(link[2]) + 30


def test_program_overview_filters_and_pages(world, client_for):
    users = _enrol(world, 120)
    client = client_for(world.manager)
    url = reverse("attendance:program", args=[world.program.pk])
    first = _get(client, url)[0].content.decode()
    assert "第 1 / 3 页" in first
    found = _get(client, url, q=users[5].full_name)[0].content.decode()
    assert users[5].full_name in found and users[6].full_name not in found
    assert "共" not in found or "第 1 / 1 页" not in found
    world.session.start = timezone.now() - dt.timedelta(hours=4)
    world.session.end = world.session.start + dt.timedelta(hours=3)
    world.session.save(update_fields=["start", "end"])
    all_below = _get(client, url, below="1")[0].content.decode()
    assert "第 1 / 3 页" in all_below and "below=1" in all_below  # nobody came: all below
    retime(world.session, start_offset_min=60)  # nothing due yet: nobody below the line
    none_below = _get(client, url, below="1")[0].content.decode()
    assert "没有符合条件的学员" in none_below
