from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.scoping import roles_of
from core.registry import NavItem, Panel
from programs.access import Access, has_access
from reports.access import may_export_anything


def nav_items(request):
    roles = roles_of(request.user)
    items = []
    if roles.is_admin:
        items.append(NavItem(_("培训统计"), reverse("reports:statistics"), "statistics", order=700))
    if may_export_anything(request.user):
        items.append(NavItem(_("报表导出"), reverse("reports:index"), "reports", order=710))
    return items


def home_panels(request):
    """The admin's statistics panel. A trainee's yearly credit hours are shown once, fresh, by
    evaluation's panel (the one credit rule), not from the rollup table here: this panel only
    leads to the person's training record."""
    from reports.models import TraineeYearRollup

    year = timezone.localdate().year
    panels = []
    if roles_of(request.user).is_admin:
        from reports.selectors import StatsFilters, statistics

        panels.append(
            Panel(
                "reports/panels/statistics.html",
                {"stats": statistics(filters=StatsFilters(year=year))},
                order=300,
            )
        )
    if TraineeYearRollup.objects.filter(user=request.user, level="").exists():
        panels.append(Panel("reports/panels/record.html", {"year": year}, order=400))
    return panels


def program_tabs(request, program):
    """This app's tabs on the program page, for those who may open them:
    reports.access.program_for_export: MANAGE."""
    if not has_access(request.user, program, Access.MANAGE):
        return []
    return [
        NavItem(
            _("报表导出"),
            reverse("reports:program_exports", kwargs={"pk": program.pk}),
            "reports:program_exports",
            order=80,
        ),
    ]
