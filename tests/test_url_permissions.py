"""Walk every named URL in the URLconf for every role, from the tables in
tests/<app>/permissions_table.py. A URL without an entry fails the build."""

import dataclasses
import importlib

import pytest
from django.conf import settings
from django.db import transaction
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from tests.permissions import LOGIN, ROLES, succeeds

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
    """The tables of our apps, and of the development tools where they are installed."""
    entries = {}
    labels = [
        *settings.LECTERN_APPS,
        *(["devtools"] if "devtools" in settings.INSTALLED_APPS else []),
    ]
    for label in labels:
        try:
            module = importlib.import_module(f"tests.{label}.permissions_table")
        except ModuleNotFoundError as exc:
            if exc.name != f"tests.{label}.permissions_table":
                raise
            continue
        entries.update(module.PERMISSIONS)
    return entries


def _enrollment_status(w):
    from enrollment.models import Enrollment, WithdrawalRequest

    e = Enrollment.objects.get(program=w.program, user=w.trainee)
    return e.status, WithdrawalRequest.objects.filter(enrollment=e).count()


def _program_groups(w):
    from enrollment.models import DiscussionGroup

    groups = DiscussionGroup.objects.filter(program=w.program)
    return sorted(groups.values_list("name", "room"))


def _session_marks(w):
    from attendance.models import AttendanceRecord

    return sorted(
        AttendanceRecord.objects.filter(session=w.session).values_list("user_id", "status")
    )


def _leave_statuses(w):
    from attendance.models import LeaveRequest

    return sorted(LeaveRequest.objects.filter(user=w.trainee).values_list("pk", "status"))


def _enrollment_policy(w):
    from enrollment.models import EnrollmentPolicy

    return list(EnrollmentPolicy.objects.filter(program=w.program).values())


# What an allowed POST changes, for entries whose app table does not name it yet (an app moves
# it into its own table as Entry(effect=...); the table's own effect wins).
POST_EFFECTS = {
    "enrollment:withdraw": _enrollment_status,
    "enrollment:policy": _enrollment_policy,
    "enrollment:groups_generate": _program_groups,
    "enrollment:group_edit": _program_groups,
    "attendance:mark": _session_marks,
    "attendance:leave_decide": _leave_statuses,
    "attendance:leave_cancel": _leave_statuses,
}


def _with_effects(entries: dict) -> dict:
    for name, effect in POST_EFFECTS.items():
        if name in entries and entries[name].effect is None:
            entries[name] = dataclasses.replace(entries[name], effect=effect)
    return entries


ENTRIES = _with_effects(all_entries())


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
        expected = entry.expect[role]
        if entry.effect is None:
            failures += _request(entry, url, role, user, world, client_for)
            continue
        # Each role on the same starting state: its changes are rolled back afterwards.
        with transaction.atomic():
            before = entry.effect(world)
            failures += _request(entry, url, role, user, world, client_for)
            after = entry.effect(world)
            transaction.set_rollback(True)
        if succeeds(expected) and after == before:
            failures.append(f"{role}: answered {expected} but changed nothing ({before!r})")
        elif not succeeds(expected) and after != before:
            failures.append(f"{role}: refused but changed {before!r} to {after!r}")
    assert not failures, f"{url_name} ({url}): " + "; ".join(failures)


def _request(entry, url, role, user, world, client_for) -> list[str]:
    client = client_for(user)
    headers = {"HX-Request": "true"} if entry.htmx else {}
    data = entry.data(world) if entry.data else {}
    response = getattr(client, entry.method)(url, data=data, headers=headers)
    expected = entry.expect[role]
    if expected == LOGIN:
        ok = response.status_code == 302 and reverse("login") in response["Location"]
    else:
        ok = response.status_code == expected
    return [] if ok else [f"{role}: expected {expected}, got {response.status_code}"]
