"""Who may see, file and review plans. Scope follows the unit tree: a liaison (the unit's planner)
files and sees their own unit's plans, an organizer those of the units they organize, the
organization department (admin) every plan, and only it reviews. Outside scope → 404."""

from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import Http404

from accounts.models import OrgUnit, subtree_q
from accounts.scoping import roles_of
from plans.models import PlanItem, TrainingPlan


def plans_visible_q(user) -> Q:
    roles = roles_of(user)
    if roles.is_admin:
        return ~Q(pk__in=[])
    return subtree_q(roles.organizer_paths, "unit") | Q(unit_id__in=roles.liaison_unit_ids)


def may_plan(user) -> bool:
    roles = roles_of(user)
    return roles.is_admin or roles.is_organizer or roles.is_liaison


def may_file_for(user, unit: OrgUnit) -> bool:
    roles = roles_of(user)
    return (
        roles.is_admin
        or unit.pk in roles.liaison_unit_ids
        or any(unit.path.startswith(p) for p in roles.organizer_paths)
    )


def may_review(user) -> bool:
    return roles_of(user).is_admin


def units_to_file_for(user):
    roles = roles_of(user)
    if roles.is_admin:
        return OrgUnit.objects.all()
    q = Q(pk__in=roles.liaison_unit_ids)
    for path in roles.organizer_paths:
        q |= Q(path__startswith=path)
    return OrgUnit.objects.filter(q)


def plan_get(*, user, pk, edit: bool = False) -> TrainingPlan:
    plan = (
        TrainingPlan.objects.filter(plans_visible_q(user), pk=pk)
        .select_related("unit", "created_by", "submitted_by")
        .first()
    )
    if plan is None:
        raise Http404
    if edit and not may_file_for(user, plan.unit):
        raise PermissionDenied
    return plan


def item_get(*, user, pk, edit: bool = False) -> PlanItem:
    item = (
        PlanItem.objects.filter(pk=pk)
        .filter(plan__in=TrainingPlan.objects.filter(plans_visible_q(user)))
        .select_related("plan", "plan__unit")
        .first()
    )
    if item is None:
        raise Http404
    if edit and not may_file_for(user, item.plan.unit):
        raise PermissionDenied
    return item
