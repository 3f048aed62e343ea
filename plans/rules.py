"""The budget rules, written once: which cap applies, how many days count at which share of it,
and what a class or a lecturer may cost at most. Policy values come from CostCap and
LecturerFeeCap rows (plans.models); nothing here holds a figure of its own."""

from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Q
from django.utils.translation import gettext as _

from plans.models import CostCap, LecturerFeeCap

CENT = Decimal("0.01")


def _pick(rows, *, field: str, value: str, unit, on: date):
    """The row in force on `on` for `unit`: the deepest unit subtree holding the unit wins over
    the national row (unit empty); among those, the latest effective date."""
    path = unit.path if unit is not None else ""
    fitting = [
        r
        for r in rows
        if getattr(r, field) == value
        and r.effective_from <= on
        and (r.unit_id is None or path.startswith(r.unit.path))
    ]
    return max(
        fitting, key=lambda r: (r.unit.depth if r.unit_id else -1, r.effective_from), default=None
    )


def _applicable(model, *, field: str, value: str, unit, on: date):
    scope = Q(unit__isnull=True)
    if unit is not None:
        scope |= Q(unit_id__in=[int(p) for p in unit.path.split(".") if p])
    rows = model.objects.filter(scope, **{field: value}).select_related("unit")
    return _pick(rows, field=field, value=value, unit=unit, on=on)


class CapBook:
    """Every cost cap, read once (a small policy table), for pages that check many items."""

    def __init__(self):
        self.rows = list(CostCap.objects.select_related("unit"))

    def cap_for(self, *, class_category: str, unit, on: date) -> CostCap | None:
        return _pick(self.rows, field="class_category", value=class_category, unit=unit, on=on)


def cost_cap_for(*, class_category: str, unit, on: date, book: CapBook | None = None):
    if book is not None:
        return book.cap_for(class_category=class_category, unit=unit, on=on)
    return _applicable(CostCap, field="class_category", value=class_category, unit=unit, on=on)


def weighted_days(days: int, cap: CostCap) -> Decimal:
    """Days counted against the cap: full up to `reduce_after_days`, then `reduced_percent` up to
    `reduce_more_after_days`, then `reduced_more_percent`."""
    first = min(days, cap.reduce_after_days)
    middle = max(0, min(days, cap.reduce_more_after_days) - cap.reduce_after_days)
    rest = max(0, days - cap.reduce_more_after_days)
    return (
        Decimal(first)
        + Decimal(middle) * cap.reduced_percent / 100
        + Decimal(rest) * cap.reduced_more_percent / 100
    )


def class_budget_cap(
    *, class_category: str, unit, start: date, days: int, headcount: int, book=None
) -> Decimal | None:
    """The most a class may cost in all (yuan), or None when no cap is in force."""
    cap = cost_cap_for(class_category=class_category, unit=unit, on=start, book=book)
    if cap is None:
        return None
    total = cap.per_person_day * headcount * weighted_days(days, cap)
    return total.quantize(CENT, rounding=ROUND_HALF_UP)


class FeeCapBook:
    """Every lecturer fee cap, read once (a small policy table), for pages that check many
    lecturers."""

    def __init__(self):
        self.rows = list(LecturerFeeCap.objects.select_related("unit"))

    def cap_for(self, *, title_level: str, unit, on: date) -> LecturerFeeCap | None:
        return _pick(self.rows, field="title_level", value=title_level, unit=unit, on=on)


def lecturer_fee_cap(
    *, title_level: str, hours: Decimal, unit, on: date, book: FeeCapBook | None = None
) -> Decimal | None:
    """The most a lecturer of this title tier may be paid for `hours` teaching hours (yuan), or
    None when no cap is in force for the tier (or no tier is given)."""
    if not title_level:
        return None
    if book is not None:
        row = book.cap_for(title_level=title_level, unit=unit, on=on)
    else:
        row = _applicable(LecturerFeeCap, field="title_level", value=title_level, unit=unit, on=on)
    if row is None:
        return None
    return (row.per_hour * Decimal(hours)).quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class BudgetCheck:
    total: Decimal
    cap: Decimal | None

    @property
    def over(self) -> bool:
        return self.cap is not None and self.total > self.cap

    @property
    def message(self) -> str:
        if self.cap is None:
            return _("当前没有适用的经费标准。")
        if self.over:
            return _("预算 %(total)s 元超过标准上限 %(cap)s 元。") % {
                "total": self.total,
                "cap": self.cap,
            }
        return _("预算 %(total)s 元,标准上限 %(cap)s 元。") % {"total": self.total, "cap": self.cap}


def budget_check(item, lines=None, *, book: CapBook | None = None) -> BudgetCheck:
    """The item's planned total against its cap. `lines` and `book` may be given to avoid
    queries when many items are checked."""
    lines = item.budget.all() if lines is None else lines
    total = sum((line.amount for line in lines), Decimal("0")).quantize(CENT)
    cap = class_budget_cap(
        class_category=item.class_category,
        unit=item.plan.unit,
        start=item.start_date,
        days=item.days,
        headcount=item.headcount,
        book=book,
    )
    return BudgetCheck(total=total, cap=cap)
