"""The budget rules against the national standards shipped as policy rows, and a locality's own."""

import datetime as dt
from decimal import Decimal

import pytest

from plans.models import CostCap, LecturerFeeCap
from plans.rules import class_budget_cap, cost_cap_for, lecturer_fee_cap, weighted_days

pytestmark = pytest.mark.django_db

ON = dt.date(2027, 4, 1)


@pytest.mark.parametrize(
    "days, counted",
    [(1, "1"), (15, "15"), (16, "15.8"), (30, "27.0"), (31, "27.7"), (40, "34.0")],
)
def test_days_beyond_15_count_at_80_and_beyond_30_at_70_percent(days, counted):
    cap = cost_cap_for(class_category="third", unit=None, on=ON)
    assert weighted_days(days, cap) == Decimal(counted)


def test_national_caps_are_shipped_as_policy_rows():
    assert cost_cap_for(class_category="first", unit=None, on=ON).per_person_day == 550
    assert cost_cap_for(class_category="third", unit=None, on=ON).per_person_day == 350
    assert LecturerFeeCap.objects.filter(unit=None).count() == 3


def test_a_locality_row_applies_in_its_subtree_from_its_date_only(world):
    CostCap.objects.create(
        class_category="third",
        unit=world.city_a,
        effective_from=dt.date(2027, 1, 1),
        per_person_day=Decimal("300"),
    )
    inside = class_budget_cap(
        class_category="third", unit=world.county_a, start=ON, days=5, headcount=10
    )
    elsewhere = class_budget_cap(
        class_category="third", unit=world.city_b, start=ON, days=5, headcount=10
    )
    before = class_budget_cap(
        class_category="third",
        unit=world.county_a,
        start=dt.date(2026, 12, 1),
        days=5,
        headcount=10,
    )
    assert inside == Decimal("15000.00")
    assert elsewhere == Decimal("17500.00")
    assert before == Decimal("17500.00")


def test_lecturer_fee_cap_is_per_hour_by_title():
    assert lecturer_fee_cap(title_level="full", hours=Decimal("3"), unit=None, on=ON) == 3000
    assert lecturer_fee_cap(title_level="associate", hours=Decimal("1.5"), unit=None, on=ON) == 750


def test_no_cap_before_any_standard_is_in_force():
    assert cost_cap_for(class_category="third", unit=None, on=dt.date(2010, 1, 1)) is None
