"""Reads of the planning pages, each a fixed number of queries whatever the number of plans or
items (the cap policy is read once into a CapBook)."""

from django.db.models import Count, Q, Sum

from plans.access import plans_visible_q
from plans.models import PlanItem, TrainingPlan
from plans.rules import CapBook, budget_check


def plan_list_for_user(*, user, year: int | None = None):
    qs = TrainingPlan.objects.filter(plans_visible_q(user)).select_related("unit")
    if year:
        qs = qs.filter(year=year)
    return qs.annotate(
        item_count=Count("items", distinct=True),
        pending_count=Count(
            "items", filter=Q(items__status=PlanItem.Status.PENDING), distinct=True
        ),
        approved_count=Count(
            "items", filter=Q(items__status=PlanItem.Status.APPROVED), distinct=True
        ),
        budget_total=Sum("items__budget__amount"),
    ).order_by("-year", "unit__path", "kind", "id")


def plan_items_checked(*, plan: TrainingPlan) -> list[tuple[PlanItem, object]]:
    """The plan's items with their budget lines and their budget check against the caps."""
    items = list(plan.items.select_related("reviewed_by").prefetch_related("budget"))
    book = CapBook()
    for item in items:
        item.plan = plan
    return [(item, budget_check(item, list(item.budget.all()), book=book)) for item in items]


def pending_review_count(*, user) -> int:
    return PlanItem.objects.filter(
        status=PlanItem.Status.PENDING, plan__in=TrainingPlan.objects.filter(plans_visible_q(user))
    ).count()


def approved_items_for(*, user):
    """The approved (备案) items of the plans `user` sees: what a program may be started from."""
    return (
        PlanItem.objects.filter(
            status=PlanItem.Status.APPROVED,
            plan__in=TrainingPlan.objects.filter(plans_visible_q(user)),
        )
        .select_related("plan__unit")
        .order_by("-plan__year", "start_date", "id")
    )
