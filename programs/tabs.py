"""The program page's tabs (学员名册, 考勤, 学习评估, …), contributed by the apps that own them.

Programs sits below enrollment, attendance, evaluation and reports: it must not name their
URLs. Each app offers its tabs in its `<app>/nav.py` (found by core.registry, like nav_items):

    def program_tabs(request, program) -> list[NavItem]   # only the tabs this user may open

An app decides with the same check its pages make (`programs.access.has_access`, which reuses
the level the program page already read: no query per app).
"""

from core.registry import NavItem, app_modules


def program_tabs(request, program) -> list[NavItem]:
    """Every app's tabs for this program that this user may open, in order."""
    tabs: list[NavItem] = []
    for module in app_modules("nav"):
        hook = getattr(module, "program_tabs", None)
        if hook is not None:
            tabs.extend(hook(request, program))
    return sorted(tabs, key=lambda t: t.order)
