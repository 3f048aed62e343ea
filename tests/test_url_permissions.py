"""Walk every named URL in the URLconf for every role, from the tables in
tests/<app>/permissions_table.py. A URL without an entry fails the build."""

import importlib

import pytest
from django.conf import settings
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from tests.permissions import LOGIN, ROLES

IGNORED_NAMESPACES = {"admin"}
IGNORED_NAMES = {"set_language"}


def _walk(patterns, namespace=None):
    for p in patterns:
        if isinstance(p, URLResolver):
            ns = p.namespace or namespace
            if ns in IGNORED_NAMESPACES:
                continue
            full = ns if not namespace or ns == namespace else f"{namespace}:{ns}"
            yield from _walk(p.url_patterns, full if p.namespace else namespace)
        elif isinstance(p, URLPattern) and p.name:
            yield f"{namespace}:{p.name}" if namespace else p.name


def all_url_names() -> set[str]:
    return set(_walk(get_resolver().url_patterns)) - IGNORED_NAMES


def all_entries() -> dict:
    entries = {}
    for label in settings.LECTERN_APPS:
        try:
            module = importlib.import_module(f"tests.{label}.permissions_table")
        except ModuleNotFoundError as exc:
            if exc.name != f"tests.{label}.permissions_table":
                raise
            continue
        entries.update(module.PERMISSIONS)
    return entries


ENTRIES = all_entries()


def test_every_url_has_a_permission_entry():
    missing = sorted(all_url_names() - set(ENTRIES))
    assert not missing, f"URLs without a permission table entry: {missing}"


def test_every_entry_names_every_role():
    incomplete = {
        n: sorted(set(ROLES) - set(e.expect))
        for n, e in ENTRIES.items()
        if set(ROLES) - set(e.expect)
    }
    assert not incomplete, f"entries missing roles: {incomplete}"


@pytest.mark.parametrize("url_name", sorted(ENTRIES))
def test_url_permissions(url_name, world, client_for):
    entry = ENTRIES[url_name]
    users = world.by_role()
    url = reverse(url_name, kwargs=entry.kwargs(world)) + entry.query
    failures = []
    for role in ROLES:
        user = None if role == "anonymous" else users[role]
        client = client_for(user)
        headers = {"HX-Request": "true"} if entry.htmx else {}
        data = entry.data(world) if entry.data else {}
        response = getattr(client, entry.method)(url, data=data, headers=headers)
        expected = entry.expect[role]
        if expected == LOGIN:
            ok = response.status_code == 302 and reverse("login") in response["Location"]
        else:
            ok = response.status_code == expected
        if not ok:
            failures.append(f"{role}: expected {expected}, got {response.status_code}")
    assert not failures, f"{url_name} ({url}): " + "; ".join(failures)
