"""How apps contribute to the shared shell without editing it.

An app may define `<app>/nav.py` with either or both of:

    def nav_items(request) -> list[NavItem]
    def home_panels(request) -> list[Panel]

The navigation and the home page call them in the order of settings.LECTERN_APPS.
"""

import importlib
from dataclasses import dataclass, field
from functools import cache

from django.conf import settings


@dataclass(frozen=True)
class NavItem:
    label: str
    url: str
    key: str  # matched against request.resolver_match.app_name / url_name to mark active
    order: int = 100


@dataclass
class Panel:
    template: str
    context: dict = field(default_factory=dict)
    order: int = 100


@cache
def _nav_modules():
    modules = []
    for label in settings.LECTERN_APPS:
        try:
            modules.append(importlib.import_module(f"{label}.nav"))
        except ModuleNotFoundError as exc:
            if exc.name != f"{label}.nav":
                raise
    return modules


def nav_items(request) -> list[NavItem]:
    items: list[NavItem] = []
    for module in _nav_modules():
        hook = getattr(module, "nav_items", None)
        if hook:
            items.extend(hook(request))
    return sorted(items, key=lambda i: i.order)


def home_panels(request) -> list[Panel]:
    panels: list[Panel] = []
    for module in _nav_modules():
        hook = getattr(module, "home_panels", None)
        if hook:
            panels.extend(hook(request))
    return sorted(panels, key=lambda p: p.order)
