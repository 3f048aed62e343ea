"""Plan versus actual (计划执行情况, issue 16 item 3): for a year, per unit and for the whole
jurisdiction the user organizes, the approved plan items (classes, trainees, days, budget) against
the programs held (programs past draft: their enrolled trainees, days with sessions, actual
costs), the classes held without an approved plan item and the planned classes not held.

It lives in programs because plans may not import programs. Two queries whatever the size: the
approved items with their budget totals, and the programs with their enrolled, days and costs as
subqueries."""

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count, IntegerField, OuterRef, Q, Subquery, Sum
from django.db.models.functions import Coalesce, TruncDate
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.scoping import organizer_scope_q
from plans.access import plans_visible_q
from plans.models import PlanItem, TrainingPlan
from programs.hooks import ENROLLED
from programs.models import Program, ProgramCost, Session

ZERO = Decimal("0.00")


@dataclass
class Figures:
    """One row of the comparison: a unit, or the total."""

    unit: object = None
    planned: int = 0
    held: int = 0
    held_planned: int = 0
    unplanned: int = 0
    planned_trainees: int = 0
    enrolled: int = 0
    planned_days: int = 0
    held_days: int = 0
    planned_budget: Decimal = ZERO
    actual_cost: Decimal = ZERO

    def add(self, other: "Figures") -> None:
        for name in (
            "planned",
            "held",
            "held_planned",
            "unplanned",
            "planned_trainees",
            "enrolled",
            "planned_days",
            "held_days",
            "planned_budget",
            "actual_cost",
        ):
            setattr(self, name, getattr(self, name) + getattr(other, name))

    @property
    def budget_over(self) -> bool:
        return self.actual_cost > self.planned_budget


@dataclass
class Execution:
    year: int
    rows: list[Figures] = field(default_factory=list)
    total: Figures = field(default_factory=Figures)
    unplanned: list[Program] = field(default_factory=list)
    not_held: list[PlanItem] = field(default_factory=list)
    today: dt.date = field(default_factory=timezone.localdate)


def _items(*, user, year: int, unit):
    qs = PlanItem.objects.filter(
        status=PlanItem.Status.APPROVED,
        plan__year=year,
        plan__in=TrainingPlan.objects.filter(plans_visible_q(user)),
    )
    if unit is not None:
        qs = qs.filter(plan__unit__path__startswith=unit.path)
    return qs.select_related("plan__unit").annotate(budget_total=Sum("budget__amount"))


def _programs(*, user, year: int, unit):
    """Programs past draft that either come from a plan item of the year's plans the user sees,
    or that the user organizes, start in the year and have no plan item."""
    visible_plans = TrainingPlan.objects.filter(plans_visible_q(user), year=year)
    scope = Q(plan_item__plan__in=visible_plans) | (
        organizer_scope_q(user) & Q(plan_item__isnull=True, start_date__year=year)
    )
    qs = Program.objects.exclude(status=Program.Status.DRAFT).filter(scope)
    if unit is not None:
        qs = qs.filter(
            Q(plan_item__plan__unit__path__startswith=unit.path)
            | Q(plan_item__isnull=True, organizing_unit__path__startswith=unit.path)
        )
    enrolled = (
        Program.objects.filter(pk=OuterRef("pk"))
        .annotate(n=Count("enrollments", filter=Q(enrollments__status=ENROLLED)))
        .values("n")
    )
    days = (
        Session.objects.filter(program=OuterRef("pk"))
        .exclude(status=Session.Status.CANCELLED)
        .annotate(day=TruncDate("start"))
        .values("program")
        .annotate(n=Count("day", distinct=True))
        .values("n")
    )
    cost = (
        ProgramCost.objects.filter(program=OuterRef("pk"))
        .values("program")
        .annotate(s=Sum("amount"))
        .values("s")
    )
    return (
        qs.select_related("organizing_unit", "plan_item__plan__unit", "plan_waived_by")
        .annotate(
            enrolled_n=Coalesce(Subquery(enrolled, output_field=IntegerField()), 0),
            held_days=Coalesce(Subquery(days, output_field=IntegerField()), 0),
            actual_cost=Subquery(cost),
        )
        .order_by("start_date", "code")
    )


def plan_execution(*, user, year: int, unit=None) -> Execution:
    items = list(_items(user=user, year=year, unit=unit))
    programs = list(_programs(user=user, year=year, unit=unit))
    approved = {item.pk: item for item in items}
    by_unit: dict[int, Figures] = {}

    def row(u) -> Figures:
        if u.pk not in by_unit:
            by_unit[u.pk] = Figures(unit=u)
        return by_unit[u.pk]

    for item in items:
        r = row(item.plan.unit)
        r.planned += 1
        r.planned_trainees += item.headcount
        r.planned_days += item.days
        r.planned_budget += item.budget_total or ZERO
        item.held_programs = []
    result = Execution(year=year)
    for p in programs:
        item = approved.get(p.plan_item_id)
        r = row(item.plan.unit if item is not None else p.organizing_unit)
        r.held += 1
        r.enrolled += p.enrolled_n
        r.held_days += p.held_days
        r.actual_cost += p.actual_cost or ZERO
        if item is not None:
            if not item.held_programs:
                r.held_planned += 1
            item.held_programs.append(p)
        else:
            r.unplanned += 1
            result.unplanned.append(p)
    result.not_held = [item for item in items if not item.held_programs]
    result.rows = sorted(by_unit.values(), key=lambda f: f.unit.path)
    for r in result.rows:
        result.total.add(r)
    return result


def execution_sheets(execution: Execution, *, scope_name: str):
    """The comparison as core.tabular sheets: per unit (with the total), held without a plan,
    planned but not held."""
    from core.tabular import Column, Sheet

    title = _("%(year)s年度培训计划执行情况(%(scope)s)") % {
        "year": execution.year,
        "scope": scope_name,
    }
    money = "#,##0.00"
    cols = [
        Column(_("单位"), width=22, wrap=True),
        Column(_("计划班次"), width=9),
        Column(_("已举办"), width=9),
        Column(_("其中计划内"), width=10),
        Column(_("计划外"), width=9),
        Column(_("计划人数"), width=10),
        Column(_("实际人数"), width=10),
        Column(_("计划天数"), width=10),
        Column(_("实际天数"), width=10),
        Column(_("预算(元)"), width=14, number_format=money),
        Column(_("实际经费(元)"), width=14, number_format=money),
    ]

    def figures(label, f):
        return [
            label,
            f.planned,
            f.held,
            f.held_planned,
            f.unplanned,
            f.planned_trainees,
            f.enrolled,
            f.planned_days,
            f.held_days,
            f.planned_budget,
            f.actual_cost,
        ]

    rows = [figures(r.unit.name, r) for r in execution.rows]
    rows.append(figures(_("合计"), execution.total))
    unplanned_cols = [
        Column(_("编号"), width=14),
        Column(_("项目名称"), width=30, wrap=True),
        Column(_("主办单位"), width=20, wrap=True),
        Column(_("开始日期"), width=12),
        Column(_("结束日期"), width=12),
        Column(_("实际人数"), width=10),
        Column(_("计划外举办理由"), width=30, wrap=True),
    ]
    unplanned = [
        [
            p.code,
            p.title,
            p.organizing_unit.name,
            p.start_date,
            p.end_date,
            p.enrolled_n,
            p.plan_waiver_reason
            or (
                _("计划班次未备案:%(title)s") % {"title": p.plan_item.title}
                if p.plan_item_id
                else ""
            ),
        ]
        for p in execution.unplanned
    ]
    not_held_cols = [
        Column(_("单位"), width=20, wrap=True),
        Column(_("班次名称"), width=30, wrap=True),
        Column(_("开始日期"), width=12),
        Column(_("结束日期"), width=12),
        Column(_("计划人数"), width=10),
        Column(_("预算(元)"), width=14, number_format=money),
    ]
    not_held = [
        [
            i.plan.unit.name,
            i.title,
            i.start_date,
            i.end_date,
            i.headcount,
            i.budget_total or ZERO,
        ]
        for i in execution.not_held
    ]
    return title, [
        Sheet(_("按单位"), cols, rows, title_lines=[title], landscape=True),
        Sheet(_("计划外举办"), unplanned_cols, unplanned, title_lines=[title], landscape=True),
        Sheet(_("计划未举办"), not_held_cols, not_held, title_lines=[title], landscape=True),
    ]
