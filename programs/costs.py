"""Budget versus actual of one program (issue 16 item 7): the plan item's budget per cost
category against the program's actual costs, each lecturer's fee against the cap of their title
tier for the hours they taught, and the warnings when the actual total passes the budget or the
training-cost cap. The cap arithmetic is plans.rules' (budget_check, class_budget_cap,
lecturer_fee_cap); nothing is computed here but sums."""

from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Sum
from django.utils.translation import gettext as _

from plans.models import CostCategory
from plans.rules import FeeCapBook, budget_check, class_budget_cap, lecturer_fee_cap
from programs import hooks
from programs.models import Lecturer, LecturerFee, Program, Session

ZERO = Decimal("0.00")


@dataclass
class CostRow:
    category: str
    label: str
    planned: Decimal | None
    actual: Decimal | None

    @property
    def over(self) -> bool:
        return self.actual is not None and self.actual > (self.planned or ZERO)


@dataclass
class FeeRow:
    lecturer: Lecturer
    hours: Decimal  # teaching hours (学时) of the program's sessions they teach, cancelled aside
    paid: Decimal | None
    cap: Decimal | None  # None: no tier given, or no cap in force for the tier

    @property
    def over(self) -> bool:
        return self.paid is not None and self.cap is not None and self.paid > self.cap


def lecturer_fees(program: Program) -> list[FeeRow]:
    """Every lecturer who teaches in the program or has been paid for it, with hours, fee and
    cap (four queries, however many lecturers)."""
    through = Session.lecturers.through
    hours = dict(
        through.objects.filter(session__program=program)
        .exclude(session__status=Session.Status.CANCELLED)
        .values_list("lecturer_id")
        .annotate(h=Sum("session__credit_hours"))
    )
    paid = {f.lecturer_id: f.amount for f in LecturerFee.objects.filter(program=program)}
    lecturers = Lecturer.objects.filter(pk__in=set(hours) | set(paid)).order_by("name")
    book = FeeCapBook()
    rows = []
    for lecturer in lecturers:
        h = hours.get(lecturer.pk) or Decimal("0")
        cap = lecturer_fee_cap(
            title_level=lecturer.title_level,
            hours=h,
            unit=program.organizing_unit,
            on=program.start_date,
            book=book,
        )
        rows.append(FeeRow(lecturer, h, paid.get(lecturer.pk), cap))
    return rows


def _fee_warnings(fees: list[FeeRow]) -> list[str]:
    out = []
    for row in fees:
        if row.over:
            out.append(
                _(
                    "授课人%(name)s的讲课费 %(paid)s 元超过其职称层级(%(level)s)%(hours)s 学时的"
                    "上限 %(cap)s 元。"
                )
                % {
                    "name": row.lecturer.name,
                    "paid": row.paid,
                    "level": row.lecturer.get_title_level_display(),
                    "hours": row.hours,
                    "cap": row.cap,
                }
            )
        elif row.paid and not row.lecturer.title_level:
            out.append(
                _("授课人%(name)s未填写职称层级,无法核对讲课费上限。") % {"name": row.lecturer.name}
            )
    return out


@dataclass
class BudgetView:
    rows: list[CostRow]
    planned_total: Decimal | None
    actual_total: Decimal
    cap: Decimal | None
    headcount: int
    days: int
    fees: list[FeeRow] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def program_budget(program: Program, *, fees: list[FeeRow] | None = None) -> BudgetView:
    """`fees`: lecturer_fees(program) when the caller has them already."""
    item = program.plan_item
    planned = {}
    if item is not None:
        planned = {line.category: line.amount for line in item.budget.all()}
    actual = {c.category: c.amount for c in program.costs.all()}
    rows = [
        CostRow(value, label, planned.get(value), actual.get(value))
        for value, label in CostCategory.choices
    ]
    actual_total = sum(actual.values(), ZERO)
    # The cap for what was actually held: the class's category from its plan item, the trainees
    # enrolled (the planned capacity while nobody is), the program's days.
    enrolled = hooks.enrolled_count(program)
    headcount = enrolled or program.capacity
    days = (program.end_date - program.start_date).days + 1
    view = BudgetView(
        rows=rows,
        planned_total=None,
        actual_total=actual_total,
        cap=None,
        headcount=headcount,
        days=days,
        fees=lecturer_fees(program) if fees is None else fees,
    )
    if item is None:
        view.warnings.append(_("本项目没有关联计划班次,没有预算可以对照。"))
        view.warnings += _fee_warnings(view.fees)
        return view
    check = budget_check(item, list(item.budget.all()))
    view.planned_total = check.total
    view.cap = class_budget_cap(
        class_category=item.class_category,
        unit=item.plan.unit,
        start=program.start_date,
        days=days,
        headcount=headcount,
    )
    if check.over:
        view.warnings.append(_("计划预算本身超过经费标准:%(msg)s") % {"msg": check.message})
    if actual_total > check.total:
        view.warnings.append(
            _("实际经费 %(actual)s 元超过计划预算 %(planned)s 元。")
            % {"actual": actual_total, "planned": check.total}
        )
    if view.cap is not None and actual_total > view.cap:
        view.warnings.append(
            _("实际经费 %(actual)s 元超过经费标准上限 %(cap)s 元(%(n)s 人 × %(days)s 天)。")
            % {"actual": actual_total, "cap": view.cap, "n": headcount, "days": days}
        )
    over = [r.label for r in rows if r.over]
    if over:
        view.warnings.append(
            _("超出预算的费用类别:%(list)s。") % {"list": _("、").join(str(x) for x in over)}
        )
    view.warnings += _fee_warnings(view.fees)
    return view
