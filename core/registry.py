"""How apps contribute to the shared shell (and to the demo, beat, benchmarks…) without editing it.

`app_modules(name)` finds every Lectern app's `<app>/<name>.py` (nav, demo, schedule, bench,
reminders…) with Django's autodiscover_modules, in the order of settings.LECTERN_APPS: the one
discovery loop for every kind of hook.

The UI shell's hooks live in `<app>/nav.py`, each optional:

    def nav_items(request) -> list[NavItem]          # entries of the main navigation
    def home_panels(request) -> list[Panel]          # cards on the home page
    def shell_context(request) -> dict               # extra template context on every page
    def language_chosen(request, language) -> None   # the user switched the language
    def user_is_admin(user) -> bool                  # may this user see every private object?
    def export_approvers() -> iterable of users      # second approvers of large exports

The shell (core) calls them and never imports the apps: accounts, for instance, adds the admin
entry, the `roles` context and remembers a signed-in user's language through these hooks.
"""

import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from types import ModuleType

from django.conf import settings
from django.utils.module_loading import autodiscover_modules


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
def app_modules(name: str) -> tuple[ModuleType, ...]:
    """Every Lectern app's `<app>.<name>` module, in settings.LECTERN_APPS order. A missing module
    is skipped; an error inside one that exists is raised (autodiscover_modules)."""
    autodiscover_modules(name)
    found = (f"{label}.{name}" for label in settings.LECTERN_APPS)
    return tuple(sys.modules[module] for module in found if module in sys.modules)


def app_hooks(module_name: str, hook_name: str) -> list[Callable]:
    """The callables named `hook_name` in the apps' `<module_name>` modules, in app order."""
    hooks = (getattr(m, hook_name, None) for m in app_modules(module_name))
    return [hook for hook in hooks if hook is not None]


def nav_items(request) -> list[NavItem]:
    items: list[NavItem] = []
    for hook in app_hooks("nav", "nav_items"):
        items.extend(hook(request))
    return sorted(items, key=lambda i: i.order)


def home_panels(request) -> list[Panel]:
    panels: list[Panel] = []
    for hook in app_hooks("nav", "home_panels"):
        panels.extend(hook(request))
    return sorted(panels, key=lambda p: p.order)


def shell_context(request) -> dict:
    context: dict = {}
    for hook in app_hooks("nav", "shell_context"):
        context.update(hook(request))
    return context


def language_chosen(request, language: str) -> None:
    for hook in app_hooks("nav", "language_chosen"):
        hook(request, language)


def user_is_admin(user) -> bool:
    """Whether any app says the user is a system admin (accounts: an admin role grant)."""
    return any(hook(user) for hook in app_hooks("nav", "user_is_admin"))


def export_approvers() -> list:
    """Who may approve a large personal-data export (LECTERN_EXPORT_SECOND_APPROVER): the
    users every app's `nav.export_approvers()` names (accounts: the organization department's
    administrators)."""
    found = {}
    for hook in app_hooks("nav", "export_approvers"):
        for user in hook():
            found[user.pk] = user
    return list(found.values())
