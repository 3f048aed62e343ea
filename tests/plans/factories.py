import datetime as dt
from decimal import Decimal

from plans.models import BudgetLine, PlanItem, TrainingPlan


def plan_for(unit, *, year=2027, kind=TrainingPlan.Kind.ANNUAL, by=None, **extra) -> TrainingPlan:
    plan = TrainingPlan.objects.filter(unit=unit, year=year, kind=kind).first()
    return plan or TrainingPlan.objects.create(
        unit=unit,
        year=year,
        kind=kind,
        title=f"{unit.name}{year}年度培训计划",
        created_by=by,
        **extra,
    )


def item_for(
    plan, *, status=PlanItem.Status.DRAFT, title="乡镇干部履职能力提升班", budget=None, **extra
):
    start = extra.pop("start_date", dt.date(plan.year, 4, 6))
    fields = {
        "audience": "乡镇党政正职",
        "content": "学习贯彻党的创新理论,提升基层治理能力",
        "class_category": "third",
        "end_date": start + dt.timedelta(days=4),
        "place": "市委党校",
        "headcount": 60,
        **extra,
    }
    item = PlanItem.objects.create(
        plan=plan, title=title, status=status, start_date=start, **fields
    )
    for category, amount in (budget or {"lodging": Decimal("30000")}).items():
        BudgetLine.objects.create(item=item, category=category, amount=Decimal(amount))
    return item
