"""The program page's tabs (学员名册, 考勤, 学习评估, …), contributed by the apps that own them.

Programs sits below enrollment, attendance, evaluation and reports: it must not name their
URLs. Each app offers its tabs in its `<app>/nav.py` (found by core.registry, like nav_items):

    def program_tabs(request, program) -> list[NavItem]   # only the tabs this user may open

Until an app defines `program_tabs`, the entries below stand in for it (TRANSITIONAL: each
app's entry is ignored as soon as the app offers its own, and goes when all of them do).
"""

from django.apps import apps
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _

from core.registry import NavItem, app_modules

# app label → (label, URL name, keyword of the program's pk, order). TRANSITIONAL, see above.
_STAND_INS = {
    "enrollment": [
        (_("学员名册"), "enrollment:roster", "pk", 10),
        (_("名额分配"), "enrollment:quotas", "pk", 20),
        (_("研讨分组"), "enrollment:groups", "pk", 30),
    ],
    "attendance": [
        (_("考勤"), "attendance:program", "pk", 40),
        (_("请假审批"), "attendance:leave_list", "pk", 50),
    ],
    "evaluation": [
        (_("学习评估"), "evaluation:program", "pk", 60),
        (_("结业审核"), "evaluation:completion", "program_pk", 70),
    ],
    "reports": [(_("报表导出"), "reports:program_exports", "pk", 80)],
}


def program_tabs(request, program) -> list[NavItem]:
    """Every app's tabs for this program, in order. The stand-ins are offered to program
    managers only (the page shows them to no one else)."""
    tabs: list[NavItem] = []
    offered = set()
    for module in app_modules("nav"):
        hook = getattr(module, "program_tabs", None)
        if hook is not None:
            offered.add(module.__name__.split(".")[0])
            tabs.extend(hook(request, program))
    for app_label, entries in _STAND_INS.items():
        if app_label in offered or not apps.is_installed(app_label):
            continue
        for label, url_name, kwarg, order in entries:
            try:
                url = reverse(url_name, kwargs={kwarg: program.pk})
            except NoReverseMatch:
                continue
            tabs.append(NavItem(str(label), url, url_name, order=order))
    return sorted(tabs, key=lambda t: t.order)
