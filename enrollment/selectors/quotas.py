"""Reads for unit quotas and their liaisons: usage per quota, a liaison's quotas, the candidates
a liaison may nominate, who reviews a program's nominations."""

from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q
from django.http import Http404

from accounts.models import OrgUnit, Role, RoleGrant, User
from accounts.scoping import roles_of
from enrollment.models import Enrollment, Quota
from enrollment.selectors.roster import CLOSED_STATUSES, QUOTA_STATUSES
from programs.access import Access, program_access
from programs.models import ProgramStaff

S = Enrollment.Status


# ---- quotas and liaisons --------------------------------------------------------------------


def is_liaison_for(user, unit: OrgUnit) -> bool:
    return any(unit.path.startswith(p) for p in roles_of(user).liaison_paths)


def quotas_with_usage(qs):
    return qs.select_related("unit", "program").annotate(
        used=Count("enrollments", filter=Q(enrollments__status__in=QUOTA_STATUSES)),
        confirmed=Count("enrollments", filter=Q(enrollments__status=S.ENROLLED)),
    )


def program_quotas(program):
    return quotas_with_usage(Quota.objects.filter(program=program)).order_by("unit__path")


def liaison_quotas(user):
    """Quotas of the units (subtrees) this user is liaison for, newest programs first."""
    paths = roles_of(user).liaison_paths
    if not paths:
        return Quota.objects.none()
    q = Q(pk__in=[])
    for p in paths:
        q |= Q(unit__path__startswith=p)
    return quotas_with_usage(Quota.objects.filter(q)).order_by("-program__start_date", "unit__path")


def quota_get(*, user, pk) -> Quota:
    """A quota for its unit's liaison or the program's managers; 404 outside scope."""
    try:
        quota = Quota.objects.select_related("program__organizing_unit", "unit").get(pk=pk)
    except (Quota.DoesNotExist, ValueError, TypeError):
        raise Http404 from None
    quota.can_nominate = is_liaison_for(user, quota.unit)
    if quota.can_nominate:
        return quota
    level = program_access(user, quota.program)
    if level == Access.NONE:
        raise Http404
    if level < Access.MANAGE:
        raise PermissionDenied
    return quota


def nomination_get(*, user, pk) -> Enrollment:
    """A row on a unit quota, with `quota.can_nominate` set as by quota_get (whose 404/403
    rules apply); rows not on a quota are 404."""
    try:
        e = Enrollment.objects.select_related("user", "quota").get(pk=pk, quota__isnull=False)
    except (Enrollment.DoesNotExist, ValueError, TypeError):
        raise Http404 from None
    e.quota = quota_get(user=user, pk=e.quota_id)
    return e


def quota_nominees(quota):
    return (
        Enrollment.objects.filter(quota=quota)
        .select_related("user", "unit", "substituted_by__user", "decided_by")
        .order_by("status", "user__full_name", "id")
    )


def quota_candidates(quota, *, search: str = "", limit: int = 50):
    """Cadres of the quota's unit subtree who hold no open place in the program."""
    taken = Enrollment.objects.filter(program_id=quota.program_id).exclude(
        status__in=CLOSED_STATUSES
    )
    qs = (
        User.objects.filter(unit__path__startswith=quota.unit.path, is_active=True)
        .exclude(pk__in=taken.values("user_id"))
        .select_related("unit")
        .order_by("unit__path", "full_name")
    )
    if search:
        qs = qs.filter(
            Q(full_name__contains=search)
            # phone numbers are encrypted at rest: matched whole, through their blind index
            | Q(phone=search)
            | Q(staff_number__iexact=search)
        )
    return qs[:limit]


def liaisons_of(unit: OrgUnit):
    """Users granted the liaison role on this unit or one of its ancestors."""
    ids = [int(p) for p in unit.path.split(".") if p]
    return User.objects.filter(
        role_grants__role=Role.LIAISON, role_grants__unit_id__in=ids
    ).distinct()


def program_reviewers(program):
    """Who decides on a program's nominations and applications: its staff and the organizers
    whose unit contains the organizing unit."""
    ids = [int(p) for p in program.organizing_unit.path.split(".") if p]
    organizer_ids = RoleGrant.objects.filter(role=Role.ORGANIZER, unit_id__in=ids).values("user_id")
    staff_ids = ProgramStaff.objects.filter(program=program).values("user_id")
    return User.objects.filter(Q(pk__in=organizer_ids) | Q(pk__in=staff_ids)).distinct()
