from django.urls import reverse
from django.utils.translation import gettext as _

from attendance import selectors
from core.registry import NavItem, Panel
from programs.access import Access, has_access


def nav_items(request):
    # No query: the page itself shows only what the user has.
    return [NavItem(_("考勤"), reverse("attendance:index"), "attendance", order=40)]


def home_panels(request):
    user = request.user
    panels = []
    sessions = selectors.sessions_today_to_manage(user=user, limit=10)
    pending = list(selectors.pending_leave_for_manager(user=user, limit=10))
    if sessions or pending:
        panels.append(
            Panel(
                "attendance/panels/manager.html",
                {"sessions": sessions, "pending": pending},
                order=20,
            )
        )
    at_venues = selectors.sessions_at_my_venues(user=user, days=7, limit=8)
    if at_venues:
        panels.append(Panel("attendance/panels/venue.html", {"sessions": at_venues}, order=15))
    today = selectors.sessions_today_for_trainee(user=user)
    leave = list(selectors.leave_requests_of(user=user, limit=5))
    if today or leave:
        panels.append(
            Panel(
                "attendance/panels/trainee.html",
                {"today": today, "leave_requests": leave},
                order=10,
            )
        )
    return panels


def program_tabs(request, program):
    """This app's tabs on the program page, for those who may open them:
    Both pages ask program_get(need=MANAGE)."""
    if not has_access(request.user, program, Access.MANAGE):
        return []
    return [
        NavItem(
            _("考勤"),
            reverse("attendance:program", kwargs={"pk": program.pk}),
            "attendance:program",
            order=40,
        ),
        NavItem(
            _("请假审批"),
            reverse("attendance:leave_list", kwargs={"pk": program.pk}),
            "attendance:leave_list",
            order=50,
        ),
    ]
