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


# --- lecturer fees by title (issue 16 item 7) --------------------------------------------------


def _taught(world, p, lecturer, hours, *, cancelled=False, day=0):
    from tests.factories import SessionFactory

    start = dt.datetime.combine(p.start_date + dt.timedelta(days=day), dt.time(9), tzinfo=dt.UTC)
    s = SessionFactory(
        program=p,
        venue=world.venue,
        credit_hours=Decimal(hours),
        start=start,
        end=start + dt.timedelta(hours=3),
        status="cancelled" if cancelled else "scheduled",
    )
    s.lecturers.add(lecturer)
    return s


def test_a_lecturer_fee_over_the_cap_of_the_title_for_the_hours_warns(world):
    from programs.costs import lecturer_fees
    from programs.models import LecturerFee

    p = _program(world)
    lec = world.lecturer
    lec.title_level = "associate"  # 500 元 per hour (national standard)
    lec.save()
    _taught(world, p, lec, "3", day=0)
    _taught(world, p, lec, "1.5", day=1)
    _taught(world, p, lec, "3", day=2, cancelled=True)  # not taught: not counted
    [row] = lecturer_fees(p)
    assert row.hours == Decimal("4.5") and row.cap == Decimal("2250.00") and row.paid is None
    LecturerFee.objects.create(program=p, lecturer=lec, amount=Decimal("2250"))
    assert not program_budget(p).warnings or "讲课费" not in " ".join(program_budget(p).warnings)
    LecturerFee.objects.filter(program=p).update(amount=Decimal("2250.01"))
    text = " ".join(program_budget(p).warnings)
    assert "讲课费 2250.01 元超过" in text and "副高级技术职称" in text and "2250.00" in text
    # a higher title raises the cap; no title: no cap, and a word that it cannot be checked
    lec.title_level = "full"
    lec.save()
    assert "讲课费" not in " ".join(program_budget(p).warnings)
    lec.title_level = ""
    lec.save()
    assert lecturer_fees(p)[0].cap is None
    assert "未填写职称层级" in " ".join(program_budget(p).warnings)


def test_a_locality_cap_for_a_tier_the_national_rule_leaves_open(world):
    from plans.models import LecturerFeeCap
    from programs.costs import lecturer_fees

    p = _program(world)
    world.lecturer.title_level = "middle"
    world.lecturer.save()
    _taught(world, p, world.lecturer, "2")
    assert lecturer_fees(p)[0].cap is None  # no national figure for the middle tier
    LecturerFeeCap.objects.create(
        title_level="middle", unit=world.province, effective_from=dt.date(2020, 1, 1), per_hour=300
    )
    assert lecturer_fees(p)[0].cap == Decimal("600.00")


def test_fees_are_saved_all_or_nothing_for_the_programs_lecturers_only(world):
    from programs.models import Lecturer

    p = _program(world)
    _taught(world, p, world.lecturer, "3")
    stranger = Lecturer.objects.create(name="外单位专家")
    services.program_costs_save(
        program=p, by=world.organizer, amounts={}, fees={world.lecturer.pk: Decimal("1200")}
    )
    assert {f.lecturer_id: f.amount for f in p.lecturer_fees.all()} == {
        world.lecturer.pk: Decimal("1200.00")
    }
    log = AuditLog.objects.filter(action="program.costs").latest("pk")
    assert log.after["fees"] == {world.lecturer.name: "1200.00"}
    for fees, message in (
        ({stranger.pk: Decimal("1")}, "未在本项目授课"),
        ({world.lecturer.pk: Decimal("-1")}, "0 到"),
        ({world.lecturer.pk: Decimal("NaN")}, "有限的数字"),
    ):
        with pytest.raises(DomainError, match=message):
            services.program_costs_save(
                program=p, by=world.organizer, amounts={"meals": Decimal("5")}, fees=fees
            )
    assert not p.costs.exists() and p.lecturer_fees.get().amount == Decimal("1200.00")
    services.program_costs_save(
        program=p, by=world.organizer, amounts={}, fees={world.lecturer.pk: None}
    )
    assert not p.lecturer_fees.exists()


def test_the_cost_page_takes_fees_and_warns(world, client_for):
    p = _program(world)
    world.lecturer.title_level = "associate"
    world.lecturer.save()
    _taught(world, p, world.lecturer, "2")  # cap 1000
    c = client_for(world.organizer)
    url = reverse("programs:costs", args=[p.pk])
    page = c.get(url).content.decode()
    field = f"fee_{world.lecturer.pk}"
    assert world.lecturer.name in page and f'name="{field}"' in page and "1000.00" in page
    body = c.post(url, {field: "1500"}, follow=True).content.decode()
    assert "实际经费已保存" in body and "超过其职称层级" in body
    assert p.lecturer_fees.get().amount == Decimal("1500.00")
    r = c.post(url, {field: "abc"})
    assert r.status_code == 200 and p.lecturer_fees.get().amount == Decimal("1500.00")


def test_the_lecturer_form_sets_the_title_level(world, client_for):
    c = client_for(world.organizer)
    url = reverse("programs:lecturer_edit", args=[world.lecturer.pk])
    assert "职称层级" in c.get(url).content.decode()
    r = c.post(url, {"name": world.lecturer.name, "title_level": "full"})
    assert r.status_code == 302
    world.lecturer.refresh_from_db()
    assert world.lecturer.title_level == "full"
    r = c.post(url, {"name": world.lecturer.name, "title_level": "professor"})
    assert r.status_code == 200
