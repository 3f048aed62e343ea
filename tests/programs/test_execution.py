"""Plan versus actual (issue 16 item 3): per unit and in all, planned vs held classes, trainees,
days and budget; classes held without a plan; planned classes not held; xlsx export; a fixed
number of queries."""

import datetime as dt
import io
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from plans.models import PlanItem
from programs.execution import plan_execution
from programs.models import Program, ProgramCost, Session
from programs.recurrence import at_local
from tests.factories import EnrollmentFactory, ProgramFactory, SessionFactory, UserFactory
from tests.plans.factories import item_for, plan_for

pytestmark = pytest.mark.django_db
YEAR = 2027
A = PlanItem.Status.APPROVED


def _held(world, item=None, *, start=dt.date(YEAR, 4, 6), days=3, enrolled=2, cost=None, **extra):
    p = ProgramFactory(
        organizing_unit=extra.pop("unit", world.city_a),
        plan_item=item,
        start_date=start,
        end_date=start + dt.timedelta(days=days + 1),
        status=extra.pop("status", Program.Status.COMPLETED),
        **extra,
    )
    for d in range(days):
        SessionFactory(
            program=p,
            start=at_local(start + dt.timedelta(days=d), dt.time(9)),
            end=at_local(start + dt.timedelta(days=d), dt.time(11)),
        )
    # a second session on the first day and a cancelled one do not add days
    SessionFactory(program=p, start=at_local(start, dt.time(14)), end=at_local(start, dt.time(16)))
    SessionFactory(
        program=p,
        start=at_local(start + dt.timedelta(days=days), dt.time(9)),
        end=at_local(start + dt.timedelta(days=days), dt.time(10)),
        status=Session.Status.CANCELLED,
    )
    for _ in range(enrolled):
        EnrollmentFactory(program=p, user=UserFactory(unit=world.county_a))
    EnrollmentFactory(program=p, user=UserFactory(unit=world.county_a), status="withdrawn")
    for category, amount in (cost or {}).items():
        ProgramCost.objects.create(program=p, category=category, amount=Decimal(amount))
    return p


def _setup(world):
    city_plan = plan_for(world.city_a, year=YEAR)
    county_plan = plan_for(world.county_a, year=YEAR)
    held_item = item_for(
        city_plan, status=A, title="已举办的班", headcount=60, budget={"lodging": "30000"}
    )
    idle_item = item_for(
        city_plan, status=A, title="未举办的班", headcount=40, budget={"meals": "8000"}
    )
    item_for(city_plan, status=PlanItem.Status.PENDING, title="待审核的班")
    county_item = item_for(county_plan, status=A, title="区里的班", headcount=30, budget={})
    held = _held(world, held_item, enrolled=3, cost={"lodging": "31000.50", "teaching": "1000"})
    _held(world, county_item, enrolled=1, days=1, unit=world.county_a)
    waived = _held(
        world,
        None,
        title="计划外的班",
        plan_waiver_reason="上级临时部署",
        plan_waived_at=timezone.now(),
        plan_waived_by=world.admin,
        enrolled=2,
    )
    ProgramFactory(organizing_unit=world.city_a, plan_item=idle_item, status=Program.Status.DRAFT)
    # another city's class and another year's class stay out
    _held(world, None, unit=world.city_b, title="临川的班")
    _held(world, None, start=dt.date(YEAR - 1, 5, 1), title="去年的班")
    return held_item, idle_item, county_item, held, waived


def test_figures_per_unit_and_in_all(world):
    held_item, idle_item, county_item, held, waived = _setup(world)
    ex = plan_execution(user=world.organizer, year=YEAR)
    rows = {r.unit.name: r for r in ex.rows}
    city, county = rows["云江市"], rows["青湖区"]
    assert (city.planned, city.held, city.held_planned, city.unplanned) == (2, 2, 1, 1)
    assert (city.planned_trainees, city.enrolled) == (100, 5)
    assert (city.planned_days, city.held_days) == (10, 6)
    assert (city.planned_budget, city.actual_cost) == (Decimal("38000"), Decimal("32000.50"))
    assert (county.planned, county.held, county.held_planned, county.enrolled) == (1, 1, 1, 1)
    assert county.held_days == 1
    assert ex.total.planned == 3 and ex.total.held == 3 and ex.total.enrolled == 6
    assert [p.title for p in ex.unplanned] == ["计划外的班"]
    assert [i.title for i in ex.not_held] == ["未举办的班"]
    assert "临川市" not in rows


def test_a_unit_narrows_the_comparison(world):
    _setup(world)
    ex = plan_execution(user=world.organizer, year=YEAR, unit=world.county_a)
    assert [r.unit.name for r in ex.rows] == ["青湖区"] and ex.total.planned == 1


def test_page_and_export(world, client_for):
    _setup(world)
    c = client_for(world.organizer)
    url = reverse("programs:plan_execution")
    page = c.get(url, {"year": YEAR}).content.decode()
    assert "计划外的班" in page and "上级临时部署" in page and "未举办的班" in page
    assert "32000.50" in page and "38000.00" in page
    assert "临川的班" not in page and "去年的班" not in page
    r = c.get(url, {"year": YEAR, "export": "xlsx"})
    assert r.status_code == 200 and r["Content-Type"].startswith("application/vnd.openxml")
    book = load_workbook(io.BytesIO(r.content))
    first = book.worksheets[0]
    values = [[c.value for c in row] for row in first.iter_rows()]
    total = next(v for v in values if v[0] == "合计")
    assert total[1:5] == [3, 3, 2, 1]
    assert [ws.title for ws in book.worksheets] == ["按单位", "计划外举办", "计划未举办"]
    assert any("计划外的班" in str(c.value) for row in book.worksheets[1].iter_rows() for c in row)


def test_bad_year_and_foreign_unit_fall_back(world, client_for):
    _setup(world)
    c = client_for(world.outsider)
    r = c.get(reverse("programs:plan_execution"), {"year": "abc", "unit": world.county_a.pk})
    assert r.status_code == 200
    page = r.content.decode()
    assert "已举办的班" not in page and "区里的班" not in page


def _grow(world, n):
    plan = plan_for(world.city_a, year=YEAR)
    for i in range(n):
        item = item_for(plan, status=A, title=f"班{i}", budget={"lodging": "100", "meals": "50"})
        _held(world, item, enrolled=2, cost={"lodging": "90"}, days=2)
        _held(world, None, title=f"计划外{i}", enrolled=1)
        item_for(plan, status=A, title=f"未办{i}")


def _count(client, url):
    client.get(url)
    with CaptureQueriesContext(connection) as ctx:
        r = client.get(url)
    assert r.status_code == 200
    return len(ctx.captured_queries)


def test_the_page_takes_the_same_queries_at_two_sizes(world, client_for):
    c = client_for(world.admin)
    url = reverse("programs:plan_execution") + f"?year={YEAR}"
    _grow(world, 2)
    small = _count(c, url)
    _grow(world, 6)
    assert _count(c, url) == small


def test_the_lists_come_a_page_at_a_time_with_the_totals_of_all(world, client_for, monkeypatch):
    from programs.views import execution as view

    monkeypatch.setattr(view, "LIST_PAGE", 2)
    _grow(world, 3)
    c = client_for(world.admin)
    url = reverse("programs:plan_execution")
    first = c.get(url, {"year": YEAR}).content.decode()
    assert "计划未举办(3)" in first and "计划外举办(3)" in first
    shown = [f"未办{i}" for i in range(3) if f"未办{i}<" in first]
    assert len(shown) == 2 and f"year={YEAR}&amp;page=2" in first
    second = c.get(url, {"year": YEAR, "page": 2, "upage": 2}).content.decode()
    assert [f"未办{i}" for i in range(3) if f"未办{i}<" in second] == ["未办2"]
    assert "page=2&amp;upage=1" in second or "upage=1" in second
    assert "<th>合计</th>" in second.replace("\n", "")
