from django.urls import reverse
from django.utils.translation import gettext as _

from accounts.scoping import roles_of
from core.registry import NavItem, Panel
from programs import selectors
from programs.models import Program


def nav_items(request):
    roles = roles_of(request.user)
    items = [NavItem(_("我的日程"), reverse("programs:my_schedule"), "my_schedule", order=20)]
    if roles.is_admin or roles.is_organizer:
        items.append(NavItem(_("培训项目"), reverse("programs:list"), "programs", order=10))
    return items


def home_panels(request):
    user = request.user
    roles = roles_of(user)
    panels = []
    if selectors.runs_programs(user=user):
        programs = list(
            selectors.programs_managed_by(user=user)
            .exclude(status=Program.Status.ARCHIVED)
            .order_by("-start_date")[:6]
        )
        panels.append(
            Panel(
                "programs/panels/my_programs.html",
                {"programs": programs, "can_create": roles.is_admin or roles.is_organizer},
                order=10,
            )
        )
    sessions = selectors.upcoming_sessions_for(user=user, limit=5)
    if sessions or not panels:
        panels.append(Panel("programs/panels/upcoming.html", {"sessions": sessions}, order=20))
    return panels
