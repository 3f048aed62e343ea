"""Every page a role may open makes exactly its budgeted number of queries, at ~10× the data too.

Walks the GET entries of the permission tables, picks a role that gets 200, counts queries with a
small program (3 trainees, 2 sessions, records for all) and again after growing it to 30 trainees
and 20 sessions; both counts must equal the page's budget in tests/query_budgets.py. Set
LECTERN_QUERY_COUNTS_OUT=path to also write {url_name: [small, large]} (to review budgets)."""

import datetime as dt
import json
import os
from pathlib import Path

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import OrgUnit
from attendance.models import AttendanceRecord, AttendanceStatus
from enrollment.models import Enrollment
from tests.factories import OrgUnitFactory, SessionFactory, UserFactory
from tests.query_budgets import BUDGETS
from tests.test_url_permissions import ENTRIES

PREFERRED_ROLES = (
    "manager",
    "organizer",
    "admin",
    "trainee",
    "venue_manager",
    "lecturer",
    "liaison",
    "assistant",
    "outsider",
    "other_trainee",
)
STATUSES = [
    AttendanceStatus.PRESENT,
    AttendanceStatus.LATE,
    AttendanceStatus.ABSENT,
    AttendanceStatus.ON_LEAVE,
    AttendanceStatus.LEFT_EARLY,
]
_RESULTS: dict = {}


def grow(world, *, trainees: int, sessions: int) -> None:
    """Top the world's program up to `trainees` enrolled trainees and `sessions` sessions, with an
    attendance record for every pair; units spread over a few county subunits."""
    program = world.program
    units = list(OrgUnit.objects.filter(parent=world.county_a)) or []
    while len(units) < 4:
        units.append(OrgUnitFactory(parent=world.county_a, kind=OrgUnit.Kind.TOWNSHIP))
    have = Enrollment.objects.filter(program=program).count()
    for i in range(have, trainees):
        user = UserFactory(unit=units[i % len(units)])
        Enrollment.objects.create(
            program=program,
            user=user,
            unit=user.unit,
            status=Enrollment.Status.ENROLLED,
            source=Enrollment.Source.MANUAL,
        )
    existing = program.sessions.count()
    for i in range(existing, sessions):
        start = world.session.start + dt.timedelta(days=i % 6, hours=(i // 6) * 4 % 12)
        s = SessionFactory(
            program=program,
            venue=world.venue,
            start=start,
            end=start + dt.timedelta(hours=2),
            topic=f"专题{i}",
        )
        s.branch_venues.add(world.branch_venue)
        s.lecturers.add(world.lecturer)
    enrolled = list(Enrollment.objects.filter(program=program).values_list("user_id", flat=True))
    have_pairs = set(
        AttendanceRecord.objects.filter(session__program=program).values_list(
            "session_id", "user_id"
        )
    )
    rows = []
    for s in program.sessions.all():
        for n, uid in enumerate(enrolled):
            if (s.pk, uid) not in have_pairs:
                rows.append(
                    AttendanceRecord(
                        session=s,
                        user_id=uid,
                        venue=world.venue,
                        status=STATUSES[n % len(STATUSES)],
                        checkin_at=s.start,
                        source=AttendanceRecord.Source.QR,
                    )
                )
    AttendanceRecord.objects.bulk_create(rows)


def count_queries(client, url, htmx) -> tuple[int, int]:
    headers = {"HX-Request": "true"} if htmx else {}
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url, headers=headers)
    return response.status_code, len(ctx.captured_queries)


GET_ENTRIES = sorted(
    name
    for name, e in ENTRIES.items()
    if e.method == "get" and any(e.expect.get(r) == 200 for r in PREFERRED_ROLES)
)


@pytest.mark.parametrize("url_name", GET_ENTRIES)
def test_same_query_count_at_ten_times_the_data(url_name, world, client_for):
    entry = ENTRIES[url_name]
    role = next(r for r in PREFERRED_ROLES if entry.expect.get(r) == 200)
    user = world.by_role()[role]
    client = client_for(user)
    grow(world, trainees=3, sessions=2)
    url = reverse(url_name, kwargs=entry.kwargs(world)) + entry.query
    client.get(url)  # warm per-process caches (content types, translations)
    status, small = count_queries(client, url, entry.htmx)
    assert status == 200
    grow(world, trainees=30, sessions=20)
    status, large = count_queries(client, url, entry.htmx)
    assert status == 200
    _RESULTS[url_name] = [small, large]
    out = os.environ.get("LECTERN_QUERY_COUNTS_OUT")
    if out:
        path = Path(out)
        existing = json.loads(path.read_text()) if path.exists() else {}
        existing[url_name] = [small, large]
        path.write_text(json.dumps(existing, indent=1, sort_keys=True))
    assert large == small, f"{url_name} as {role}: {small} queries small, {large} at 10× data"
    budget = budget_for(url_name)
    assert budget is not None, (
        f'{url_name} has no query budget: add "{url_name}": {small}, to tests/query_budgets.py'
    )
    assert small == budget, (
        f"{url_name} as {role}: {small} queries, budget {budget} (tests/query_budgets.py): "
        "find the change that explains it, then change the budget with it"
    )


def budget_for(url_name: str) -> int | None:
    budget = BUDGETS.get(url_name)
    if isinstance(budget, dict):
        budget = budget.get(connection.vendor)
    return budget


def test_every_budget_names_a_page_that_is_counted():
    stale = sorted(set(BUDGETS) - set(GET_ENTRIES))
    assert not stale, f"budgets of pages no longer counted (remove them): {stale}"
