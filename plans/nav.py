from django.urls import reverse
from django.utils.translation import gettext as _

from core.registry import NavItem
from plans.access import may_plan


def nav_items(request):
    if not may_plan(request.user):
        return []
    return [NavItem(_("培训计划"), reverse("plans:list"), "plans", order=5)]
