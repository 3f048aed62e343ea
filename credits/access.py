"""Who may see and decide training records. Scope follows the unit tree: a cadre sees their own
record; a unit's liaison the people of their unit; an organizer the people of the units they
organize; the organization department (admin) everyone. Outside scope → 404.

Filing: the cadre, their unit's liaison, or an admin. Deciding: the unit stage by the cadre's
unit (its liaison, or an organizer over it, or an admin), the department stage by an admin; no one
decides a record about themselves (core.errors.self_decision_guard in the services)."""

from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import Http404

from accounts.models import User, subtree_q
from accounts.scoping import roles_of
from credits.models import CreditEntry


def people_q(user, field: str = "") -> Q:
    """Q over users (or over rows whose `field` is a user) the viewer may see the records of."""
    prefix = f"{field}__" if field else ""
    roles = roles_of(user)
    if roles.is_admin:
        return ~Q(pk__in=[])
    own = Q(**{f"{prefix}pk": user.pk})
    unit_field = f"{prefix}unit" if prefix else "unit"
    return (
        own
        | subtree_q(roles.organizer_paths, unit_field)
        | Q(**{f"{unit_field}_id__in": roles.liaison_unit_ids})
    )


def may_oversee(user) -> bool:
    """Admins, organizers and liaisons look at other people's records."""
    roles = roles_of(user)
    return roles.is_admin or roles.is_organizer or roles.is_liaison


def may_see_compliance(user) -> bool:
    """The compliance list: the organization department, organizers, and unit liaisons (their
    own units' cadres)."""
    roles = roles_of(user)
    return roles.is_admin or roles.is_organizer or roles.is_liaison


def may_check_promotion(user) -> bool:
    roles = roles_of(user)
    return roles.is_admin or roles.is_organizer


def may_change(user, entry: CreditEntry) -> bool:
    """Edit or revoke an approved record: the organization department, never on their own."""
    return (
        entry.status == CreditEntry.Status.APPROVED
        and roles_of(user).is_admin
        and entry.user_id != user.pk
    )


def may_file_for(by, cadre) -> bool:
    roles = roles_of(by)
    return by.pk == cadre.pk or roles.is_admin or cadre.unit_id in roles.liaison_unit_ids


def may_decide_unit(by, cadre) -> bool:
    roles = roles_of(by)
    if roles.is_admin or cadre.unit_id in roles.liaison_unit_ids:
        return True
    path = cadre.unit.path if cadre.unit_id else None
    return bool(path) and any(path.startswith(p) for p in roles.organizer_paths)


def may_decide_dept(by) -> bool:
    return roles_of(by).is_admin


def may_decide(by, entry: CreditEntry) -> bool:
    if entry.status == CreditEntry.Status.UNIT_PENDING:
        return may_decide_unit(by, entry.user)
    if entry.status == CreditEntry.Status.DEPT_PENDING:
        return may_decide_dept(by)
    return False


def people_to_file_for(user):
    roles = roles_of(user)
    if roles.is_admin:
        return User.objects.filter(is_active=True).exclude(rank="")
    return User.objects.filter(
        Q(pk=user.pk) | Q(unit_id__in=roles.liaison_unit_ids), is_active=True
    )


def cadre_get(*, user, pk) -> User:
    cadre = User.objects.filter(people_q(user), pk=pk).select_related("unit").first()
    if cadre is None:
        raise Http404
    return cadre


def entry_get(*, user, pk, decide: bool = False) -> CreditEntry:
    entry = (
        CreditEntry.objects.filter(people_q(user, "user"), pk=pk)
        .select_related("user__unit", "filed_by", "unit_decided_by", "dept_decided_by")
        .first()
    )
    if entry is None:
        raise Http404
    if decide and not may_decide(user, entry):
        raise PermissionDenied
    return entry


def may_import(user) -> bool:
    return roles_of(user).is_admin
