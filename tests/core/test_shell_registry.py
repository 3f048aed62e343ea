"""One discovery helper for every kind of app hook, and a shell that does not import accounts."""

import ast
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse

from core import registry

CORE = Path(__file__).resolve().parents[2] / "core"
# Modules of core still allowed to import accounts (none: every question goes through a hook).
NOT_YET: set[str] = set()


def test_app_modules_finds_each_apps_module_in_app_order():
    modules = registry.app_modules("nav")
    labels = [m.__name__.split(".")[0] for m in modules]
    assert labels == [label for label in settings.LECTERN_APPS if label in labels]
    assert {"core", "accounts", "programs"} <= set(labels)
    assert registry.app_modules("no_such_hook_module") == ()


def test_app_hooks_collects_only_apps_that_define_the_hook():
    hooks = registry.app_hooks("nav", "shell_context")
    assert [h.__module__ for h in hooks] == ["accounts.nav"]


def _imports(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return found


def test_core_does_not_import_accounts():
    offenders = [
        str(path.relative_to(CORE))
        for path in CORE.rglob("*.py")
        if path.name not in NOT_YET
        and any(m == "accounts" or m.startswith("accounts.") for m in _imports(path))
    ]
    assert not offenders, offenders


@pytest.mark.django_db
def test_the_admin_entry_and_roles_come_from_accounts_through_the_hooks(world, client_for):
    page = client_for(world.admin).get(reverse("home"))
    assert reverse("admin:index") in page.content.decode()
    assert page.context["roles"].is_admin
    page = client_for(world.trainee).get(reverse("home"))
    assert reverse("admin:index") not in page.content.decode()
    assert not page.context["roles"].is_admin


@pytest.mark.django_db
def test_the_shell_asks_the_apps_whether_a_user_is_an_admin(world):
    assert registry.user_is_admin(world.admin)
    assert not registry.user_is_admin(world.organizer)
