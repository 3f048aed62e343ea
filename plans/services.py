"""Writes of the planning workflow: draft a plan, add and change its items with their budget,
submit it, review it item by item. Every state change is audited; expected failures raise
DomainError with a message for the user and write nothing."""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.errors import DomainError
from core.services import audit_log, notify_many
from plans import access
from plans.models import (
    MAX_AMOUNT,
    MAX_HEADCOUNT,
    BudgetLine,
    CostCategory,
    PlanDeadline,
    PlanItem,
    TrainingPlan,
)
from plans.rules import budget_check


@dataclass(frozen=True)
class ItemData:
    title: str
    audience: str
    content: str
    class_category: str
    start_date: date
    end_date: date
    place: str
    headcount: int
    over_cap_reason: str = ""


def _item_snapshot(item: PlanItem, budget: dict) -> dict:
    return {
        "title": item.title,
        "audience": item.audience,
        "class_category": item.class_category,
        "start_date": item.start_date.isoformat(),
        "end_date": item.end_date.isoformat(),
        "place": item.place,
        "headcount": item.headcount,
        "budget": {k: str(v) for k, v in sorted(budget.items())},
        "status": item.status,
    }


def plan_deadline(*, plan: TrainingPlan) -> date | None:
    """The most specific deadline row of the plan's unit and its ancestors for the plan's year."""
    ids = [int(p) for p in plan.unit.path.split(".") if p]
    rows = PlanDeadline.objects.filter(year=plan.year, unit_id__in=ids).select_related("unit")
    best = max(rows, key=lambda r: r.unit.depth, default=None)
    return best.submit_by if best else None


@transaction.atomic
def plan_create(*, unit, year: int, kind: str, title: str, note: str = "", by) -> TrainingPlan:
    if not access.may_file_for(by, unit):
        raise PermissionDenied
    if not 2000 <= year <= 2100:
        raise DomainError(_("年度不正确。"), field="year")
    if (
        kind == TrainingPlan.Kind.ANNUAL
        and TrainingPlan.objects.filter(unit=unit, year=year, kind=kind).exists()
    ):
        raise DomainError(
            _("%(unit)s 已有 %(year)s 年度计划;年度中新增的班次请以临时计划报送。")
            % {"unit": unit.name, "year": year},
            field="kind",
        )
    plan = TrainingPlan.objects.create(
        unit=unit, year=year, kind=kind, title=title.strip(), note=note, created_by=by
    )
    audit_log(actor=by, action="plan.create", target=plan, after={"year": year, "kind": kind})
    return plan


def _validate_item(data: ItemData, budget: dict, plan: TrainingPlan) -> None:
    if data.end_date < data.start_date:
        raise DomainError(_("结束日期不能早于开始日期。"), field="end_date")
    if data.start_date.year != plan.year and data.end_date.year != plan.year:
        raise DomainError(
            _("班次日期应在计划年度(%(year)s年)内。") % {"year": plan.year}, field="start_date"
        )
    if not 1 <= data.headcount <= MAX_HEADCOUNT:
        raise DomainError(
            _("计划人数应在 1 到 %(max)s 之间。") % {"max": MAX_HEADCOUNT}, field="headcount"
        )
    for category, amount in budget.items():
        if category not in CostCategory.values:
            raise DomainError(_("未知的费用类别。"))
        if not isinstance(amount, Decimal) or not amount.is_finite():
            raise DomainError(_("金额必须是数字。"), field=f"budget_{category}")
        if amount < 0 or amount > MAX_AMOUNT:
            raise DomainError(
                _("金额应在 0 到 %(max)s 元之间。") % {"max": MAX_AMOUNT},
                field=f"budget_{category}",
            )


@transaction.atomic
def plan_item_save(
    *, plan: TrainingPlan, data: ItemData, budget: dict, by, item: PlanItem | None = None
) -> PlanItem:
    """Add an item or change one. Changing an approved (recorded) item sends it back for approval
    (待审核), audited with before and after; an item under review cannot be changed."""
    if not access.may_file_for(by, plan.unit):
        raise PermissionDenied
    _validate_item(data, budget, plan)
    budget = {k: v for k, v in budget.items() if v}
    if item is not None:
        item = PlanItem.objects.select_for_update().get(pk=item.pk, plan=plan)
        if item.status in (PlanItem.Status.PENDING, PlanItem.Status.REJECTED):
            raise DomainError(
                _("该班次正在审核或已不予备案,不能修改。")
                if item.status == PlanItem.Status.PENDING
                else _("该班次已不予备案,不能修改;如需举办请新增班次。")
            )
        before_budget = {line.category: line.amount for line in item.budget.all()}
        before = _item_snapshot(item, before_budget)
        was_approved = item.status == PlanItem.Status.APPROVED
    else:
        item = PlanItem(plan=plan)
        before, was_approved = None, False
    for field, value in vars(data).items():
        setattr(item, field, value.strip() if isinstance(value, str) else value)
    if was_approved:
        item.status = PlanItem.Status.PENDING
        item.revision += 1
    item.save()
    item.budget.all().delete()
    BudgetLine.objects.bulk_create(
        [BudgetLine(item=item, category=c, amount=a) for c, a in budget.items()]
    )
    audit_log(
        actor=by,
        action="plan.item.revise"
        if was_approved
        else ("plan.item.change" if before else "plan.item.add"),
        target=item,
        before=before,
        after=_item_snapshot(item, budget),
        reason=_("已备案班次变更,重新报审") if was_approved else "",
    )
    return item


@transaction.atomic
def plan_item_delete(*, item: PlanItem, by) -> None:
    if not access.may_file_for(by, item.plan.unit):
        raise PermissionDenied
    if item.status not in (PlanItem.Status.DRAFT, PlanItem.Status.RETURNED):
        raise DomainError(_("只能删除未报送或退回修改的班次。"))
    # Programs keep their plan basis (Program.plan_item is PROTECT): say so instead of failing.
    if item.programs.exists():
        raise DomainError(_("已有培训项目依据该班次举办,不能删除;如需调整请修改班次后重新报审。"))
    audit_log(actor=by, action="plan.item.delete", target=item, before={"title": item.title})
    item.delete()


@transaction.atomic
def plan_submit(*, plan: TrainingPlan, by, today: date | None = None) -> int:
    """Send every draft or returned item for review. All or nothing: an item over its budget cap
    without a reason, or an annual plan after its deadline, stops the whole submission."""
    if not access.may_file_for(by, plan.unit):
        raise PermissionDenied
    today = today or timezone.localdate()
    plan = TrainingPlan.objects.select_for_update().get(pk=plan.pk)
    items = list(
        plan.items.filter(status__in=[PlanItem.Status.DRAFT, PlanItem.Status.RETURNED])
        .select_related("plan__unit")
        .prefetch_related("budget")
    )
    if not items:
        raise DomainError(_("没有需要报送的班次。"))
    deadline = plan_deadline(plan=plan)
    if plan.kind == TrainingPlan.Kind.ANNUAL and deadline and today > deadline:
        raise DomainError(
            _("年度计划的报送截止日期是 %(date)s,已过期;新增班次请以临时计划报送。")
            % {"date": deadline.isoformat()}
        )
    problems = [
        _("“%(title)s”:%(check)s请填写超标准说明。") % {"title": item.title, "check": check.message}
        for item in items
        if (check := budget_check(item, list(item.budget.all()))).over
        and not item.over_cap_reason.strip()
    ]
    if problems:
        raise DomainError(" ".join(problems))
    PlanItem.objects.filter(pk__in=[i.pk for i in items]).update(
        status=PlanItem.Status.PENDING, updated_at=timezone.now()
    )
    plan.status = TrainingPlan.Status.SUBMITTED
    plan.submitted_at = timezone.now()
    plan.submitted_by = by
    plan.save(update_fields=["status", "submitted_at", "submitted_by", "updated_at"])
    audit_log(actor=by, action="plan.submit", target=plan, after={"items": [i.pk for i in items]})
    return len(items)


DECISIONS = {
    "approve": PlanItem.Status.APPROVED,
    "return": PlanItem.Status.RETURNED,
    "reject": PlanItem.Status.REJECTED,
}


@transaction.atomic
def plan_item_review(*, item: PlanItem, decision: str, comment: str = "", by) -> PlanItem:
    """The organization department's decision on one item. Returning or rejecting needs a
    comment (it is what the unit reads); the filer is notified."""
    if not access.may_review(by):
        raise PermissionDenied
    if decision not in DECISIONS:
        raise DomainError(_("请选择审核结论。"), field="decision")
    comment = comment.strip()
    if decision != "approve" and not comment:
        raise DomainError(_("退回或不予备案时请填写审核意见。"), field="comment")
    if len(comment) > 1000:
        raise DomainError(_("审核意见不能超过 1000 字。"), field="comment")
    item = PlanItem.objects.select_for_update().select_related("plan__unit").get(pk=item.pk)
    if item.status != PlanItem.Status.PENDING:
        raise DomainError(_("该班次不在待审核状态,可能已被他人处理。"))
    before = item.status
    item.status = DECISIONS[decision]
    item.review_comment = comment
    item.reviewed_by = by
    item.reviewed_at = timezone.now()
    item.save(
        update_fields=["status", "review_comment", "reviewed_by", "reviewed_at", "updated_at"]
    )
    audit_log(
        actor=by,
        action=f"plan.item.{decision}",
        target=item,
        before={"status": before},
        after={"status": item.status},
        reason=comment,
    )
    recipients = {u.pk: u for u in (item.plan.created_by, item.plan.submitted_by) if u}
    if recipients:
        from django.urls import reverse

        notify_many(
            users=list(recipients.values()),
            title=_("培训计划审核结果:%(title)s %(status)s")
            % {"title": item.title, "status": item.get_status_display()},
            body=comment,
            url=reverse("plans:detail", args=[item.plan_id]),
            kind="plan",
        )
    return item
