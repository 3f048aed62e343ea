"""Budget versus actual per program (issue 16 item 7): actual cost lines by the plan's cost
categories, entered by the organizer, with warnings over the plan budget or the cap."""

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse

from core.errors import DomainError
from core.models import AuditLog
from plans.models import CostCap
from programs import services
from programs.costs import program_budget
from programs.models import Program, ProgramCost
from tests.factories import EnrollmentFactory, ProgramFactory, UserFactory
from tests.plans.factories import item_for, plan_for

pytestmark = pytest.mark.django_db


def _program(world, *, budget=None, enrolled=0, days=5, **extra):
    item = item_for(
        plan_for(world.city_a),
        status="approved",
        headcount=60,
        budget=budget or {"lodging": "30000", "meals": "10000"},
    )
    start = dt.date(2027, 4, 6)
    p = ProgramFactory(
        organizing_unit=world.city_a,
        plan_item=item,
        start_date=start,
        end_date=start + dt.timedelta(days=days - 1),
        capacity=60,
        **extra,
    )
    for _ in range(enrolled):
        EnrollmentFactory(program=p, user=UserFactory(unit=world.county_a))
    return p


def _cap(world, per_day="100"):
    CostCap.objects.filter(unit=None).delete()
    CostCap.objects.create(
        class_category="third",
        unit=None,
        effective_from=dt.date(2020, 1, 1),
        per_person_day=per_day,
    )


def test_costs_are_saved_replaced_and_audited(world):
    p = _program(world)
    services.program_costs_save(
        program=p, by=world.organizer, amounts={"lodging": Decimal("29000"), "meals": None}
    )
    services.program_costs_save(
        program=p,
        by=world.organizer,
        amounts={"lodging": Decimal("0"), "meals": Decimal("9000.5"), "teaching": Decimal("100")},
    )
    assert {c.category: c.amount for c in p.costs.all()} == {
        "meals": Decimal("9000.50"),
        "teaching": Decimal("100.00"),
    }
    assert AuditLog.objects.filter(action="program.costs", target_id=str(p.pk)).count() == 2


@pytest.mark.parametrize(
    "amount, message",
    [(Decimal("NaN"), "有限的数字"), (Decimal("-1"), "0 到"), (Decimal("1e12"), "0 到")],
)
def test_bad_amounts_write_nothing(world, amount, message):
    p = _program(world)
    ProgramCost.objects.create(program=p, category="lodging", amount=Decimal("5"))
    with pytest.raises(DomainError, match=message):
        services.program_costs_save(
            program=p, by=world.organizer, amounts={"meals": Decimal("1"), "lodging": amount}
        )
    assert {c.category: c.amount for c in p.costs.all()} == {"lodging": Decimal("5.00")}


def test_an_archived_program_takes_no_costs(world):
    p = _program(world, status=Program.Status.ARCHIVED)
    with pytest.raises(DomainError, match="已归档"):
        services.program_costs_save(program=p, by=world.organizer, amounts={"meals": Decimal("1")})
    assert not p.costs.exists()


def test_warnings_over_budget_and_over_cap(world):
    _cap(world, "100")  # 100 元/人天 × 2 enrolled × 5 days = 1000
    p = _program(world, budget={"lodging": "800"}, enrolled=2)
    ProgramCost.objects.create(program=p, category="lodging", amount=Decimal("700"))
    view = program_budget(p)
    assert view.cap == Decimal("1000.00") and view.planned_total == Decimal("800.00")
    assert view.warnings == []
    ProgramCost.objects.create(program=p, category="meals", amount=Decimal("400"))
    view = program_budget(p)
    text = " ".join(view.warnings)
    assert "超过计划预算 800.00" in text and "超过经费标准上限 1000.00" in text
    assert "伙食费" in text and "住宿费" not in text.split("超出预算的费用类别")[1]


def test_no_plan_item_no_budget_to_compare(world):
    p = ProgramFactory(organizing_unit=world.city_a)
    view = program_budget(p)
    assert view.planned_total is None and "没有关联计划班次" in view.warnings[0]


def test_the_organizer_enters_costs_on_the_page(world, client_for):
    _cap(world, "100")
    p = _program(world, budget={"lodging": "800"})
    c = client_for(world.organizer)
    url = reverse("programs:costs", args=[p.pk])
    page = c.get(url).content.decode()
    assert "住宿费" in page and "800.00" in page and "30000.00" in page  # 100 × 60 × 5
    r = c.post(url, {"cost_lodging": "900", "cost_meals": ""}, follow=True)
    body = r.content.decode()
    assert "实际经费已保存" in body and "超过计划预算 800.00" in body
    r = c.post(url, {"cost_lodging": "abc", "cost_meals": "-3"})
    assert r.status_code == 200 and "未能保存" in r.content.decode()
    assert {c.category: c.amount for c in p.costs.all()} == {"lodging": Decimal("900.00")}
    detail = c.get(reverse("programs:detail", args=[p.pk])).content.decode()
    assert url in detail
