"""Navigation and home panels for enrollment, by role. Cheap: at most a few queries."""

from django.urls import reverse
from django.utils.translation import gettext as _

from accounts.scoping import roles_of
from core.registry import NavItem, Panel
from enrollment import selectors
from programs.access import Access, has_access
from programs.selectors import runs_programs


def nav_items(request):
    user = request.user
    if not user.is_authenticated:
        return []
    roles = roles_of(user)
    items = []
    if user.unit_id:
        items.append(NavItem(_("报名选学"), reverse("enrollment:open"), "open", order=30))
        items.append(NavItem(_("我的报名"), reverse("enrollment:mine"), "mine", order=31))
    if roles.is_liaison:
        items.append(NavItem(_("调训名额"), reverse("enrollment:liaison"), "liaison", order=32))
    if runs_programs(user=user):  # class managers and assistants too: the page is theirs
        items.append(NavItem(_("报名管理"), reverse("enrollment:reviews"), "reviews", order=33))
    return items


def home_panels(request):
    user = request.user
    roles = roles_of(user)
    panels = []
    if runs_programs(user=user):
        pending = list(selectors.review_overview(user)[:6])
        panels.append(Panel("enrollment/panels/reviews.html", {"programs": pending}, order=20))
    if roles.is_liaison:
        quotas = list(selectors.liaison_quotas(user)[:6])
        panels.append(Panel("enrollment/panels/liaison.html", {"quotas": quotas}, order=21))
    if user.unit_id and not roles.is_admin and not roles.is_organizer:
        panels.append(
            Panel(
                "enrollment/panels/trainee.html",
                {
                    "open": selectors.open_programs_for(user)[:4],
                    "mine": list(
                        selectors.my_enrollments(user).exclude(
                            status__in=selectors.CLOSED_STATUSES
                        )[:6]
                    ),
                },
                order=22,
            )
        )
    return panels


def program_tabs(request, program):
    """This app's tabs on the program page, for those who may open them:
    Its pages (enrollment.views.manager_page) need MANAGE on the program."""
    if not has_access(request.user, program, Access.MANAGE):
        return []
    return [
        NavItem(
            _("学员名册"),
            reverse("enrollment:roster", kwargs={"pk": program.pk}),
            "enrollment:roster",
            order=10,
        ),
        NavItem(
            _("名额与报名设置"),
            reverse("enrollment:quotas", kwargs={"pk": program.pk}),
            "enrollment:quotas",
            order=20,
        ),
        NavItem(
            _("研讨分组"),
            reverse("enrollment:groups", kwargs={"pk": program.pk}),
            "enrollment:groups",
            order=30,
        ),
    ]
