"""Finding a person whose training record one may open."""

from django.db.models import Q
from django.http import Http404

from accounts.models import User
from reports.credit import (  # noqa: F401
    credit_percents,
    credit_requirement,
    credit_requirements,
)


def trainee_get(*, pk) -> User:
    try:
        return User.objects.select_related("unit").get(pk=pk)
    except (User.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def trainees_search(*, user, q: str, limit: int = 50) -> list[User]:
    """People whose training record `user` may open (reports.access.trainee_for_user: admins
    everyone, organizers the people of the units they organize), matching a name, phone, staff
    number or login name; ordered by unit then name. Empty for an empty query."""
    from accounts.models import subtree_q
    from accounts.scoping import roles_of

    q = (q or "").strip()[:60]
    if not q:
        return []
    roles = roles_of(user)
    qs = User.objects.filter(is_active=True).select_related("unit")
    if not roles.is_admin:
        if not roles.organizer_paths:
            return []
        qs = qs.filter(subtree_q(roles.organizer_paths, "unit"))
    match = Q(full_name__icontains=q) | Q(username__iexact=q) | Q(unit__name__icontains=q)
    if q.isdigit():
        match |= Q(phone=q) | Q(staff_number=q)
    return list(qs.filter(match).order_by("unit__path", "full_name", "pk")[:limit])


# --- Statistics (from rollups only) ------------------------------------------------------------
