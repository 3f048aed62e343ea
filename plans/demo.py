"""Demo plans: 云江市's approved 2026 annual plan (the 8-day township class among its items),
青湖区's 2027 annual plan in draft, a supplementary item waiting for the organization department,
and 云江省's own training-fee standard as the example of a locality's policy."""

import datetime as dt
from decimal import Decimal

from plans.models import (
    BudgetLine,
    CostCap,
    LecturerFeeCap,
    PlanDeadline,
    PlanItem,
    TitleLevel,
    TrainingPlan,
)


def _plan(unit, year, kind, title, by, status=TrainingPlan.Status.DRAFT):
    plan = TrainingPlan.objects.filter(unit=unit, year=year, kind=kind, title=title).first()
    if plan is None:
        plan = TrainingPlan.objects.create(
            unit=unit, year=year, kind=kind, title=title, created_by=by, status=status
        )
    return plan


def _item(plan, title, start, days, headcount, place, audience, content, budget, status, **extra):
    item = PlanItem.objects.filter(plan=plan, title=title).first()
    if item is not None:
        return item
    item = PlanItem.objects.create(
        plan=plan,
        title=title,
        start_date=start,
        end_date=start + dt.timedelta(days=days - 1),
        headcount=headcount,
        place=place,
        audience=audience,
        content=content,
        status=status,
        **extra,
    )
    BudgetLine.objects.bulk_create(
        [BudgetLine(item=item, category=c, amount=Decimal(a)) for c, a in budget.items()]
    )
    return item


def seed(ctx):
    province = ctx.units.get("YJ")
    city = ctx.units.get("YJC")
    county = ctx.units.get("YJC-QH")
    admin, organizer, liaison = (ctx.users.get(k) for k in ("admin", "organizer", "liaison"))
    if province is None or city is None:
        ctx.say("plans: units missing, skipped")
        return
    CostCap.objects.get_or_create(
        class_category="third",
        unit=province,
        effective_from=dt.date(2025, 1, 1),
        defaults={"per_person_day": Decimal("330")},
    )
    # The national rule has no figure for lecturers of middle title; the province sets one.
    LecturerFeeCap.objects.get_or_create(
        title_level=TitleLevel.MIDDLE,
        unit=province,
        effective_from=dt.date(2025, 1, 1),
        defaults={"per_hour": Decimal("300")},
    )
    year = ctx.today.year
    for unit in (province, city):
        PlanDeadline.objects.get_or_create(
            year=year + 1, unit=unit, defaults={"submit_by": dt.date(year, 12, 31)}
        )
    Approved, Pending, Draft = (
        PlanItem.Status.APPROVED,
        PlanItem.Status.PENDING,
        PlanItem.Status.DRAFT,
    )
    plan = _plan(
        city,
        year,
        TrainingPlan.Kind.ANNUAL,
        f"云江市{year}年度干部教育培训计划",
        organizer,
        TrainingPlan.Status.SUBMITTED,
    )
    common = {"place": "云江市委党校", "reviewed_by": admin}
    _item(
        plan,
        "云江市乡镇党政正职专题培训班",
        ctx.today - dt.timedelta(days=3),
        8,
        71,
        audience="全市乡镇(街道)党政正职",
        content="学习贯彻党的创新理论;乡村振兴、基层治理专题;分组研讨和现场教学",
        budget={"teaching": "24000", "lodging": "102240", "meals": "62480", "materials": "4260"},
        status=Approved,
        **common,
    )
    _item(
        plan,
        "云江市“一把手上讲台”周四下午系列讲座",
        dt.date(year, 3, 5),
        1,
        120,
        audience="市直部门和区县主要负责同志",
        content="领导干部轮流讲授本部门本领域重点工作,十期",
        budget={"venue": "6000", "materials": "3600"},
        status=Approved,
        **common,
    )
    _item(
        plan,
        "局长讲堂(第1–3期)",
        dt.date(year, 6, 2),
        4,
        200,
        audience="市直部门科级以上干部",
        content="市直部门主要负责同志讲业务、讲政策",
        budget={"teaching": "12000", "materials": "6000"},
        status=Approved,
        **common,
    )
    extra = _plan(
        city,
        year,
        TrainingPlan.Kind.SUPPLEMENTARY,
        f"云江市{year}年度临时培训计划",
        organizer,
        TrainingPlan.Status.SUBMITTED,
    )
    _item(
        extra,
        "安全生产专题培训班",
        ctx.today + dt.timedelta(days=21),
        3,
        80,
        audience="各区县分管安全生产负责同志",
        content="安全生产法律法规、典型事故案例剖析",
        budget={"lodging": "43200", "meals": "26400", "teaching": "9000"},
        status=Pending,
        place="云江市应急管理局培训中心",
    )
    if county is not None:
        draft = _plan(
            county,
            year + 1,
            TrainingPlan.Kind.ANNUAL,
            f"青湖区{year + 1}年度干部教育培训计划",
            liaison,
        )
        _item(
            draft,
            "青湖区村(社区)党组织书记示范培训班",
            dt.date(year + 1, 4, 13),
            5,
            90,
            audience="全区村(社区)党组织书记",
            content="基层党建、乡村治理、为民服务能力",
            budget={"lodging": "81000", "meals": "49500", "teaching": "10000"},
            status=Draft,
            place="青湖区委党校",
        )
