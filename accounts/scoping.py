"""Who may see what. Scope follows the unit tree (DESIGN.md §2).

Objects outside a user's scope raise Http404 (never reveal they exist); an action the user's
role lacks on an object they may see raises PermissionDenied (403).
"""

from dataclasses import dataclass, field
from functools import wraps

from django.core.exceptions import PermissionDenied
from django.db.models import Q

from accounts.models import OrgUnit, Role, User, subtree_q


@dataclass
class UserRoles:
    is_admin: bool = False
    organizer_paths: list[str] = field(default_factory=list)
    liaison_unit_ids: list[int] = field(default_factory=list)
    liaison_paths: list[str] = field(default_factory=list)
    # 三员分立 (the administrators of the system itself, never combined with the roles above)
    is_system_admin: bool = False
    is_security_admin: bool = False
    is_audit_admin: bool = False
    organizer_min_depth: int | None = None

    @property
    def is_officer(self) -> bool:
        return self.is_system_admin or self.is_security_admin or self.is_audit_admin

    @property
    def is_any_admin(self) -> bool:
        """The business administrator or one of the three: shorter sessions, expiring
        passwords, one session at a time."""
        return self.is_admin or self.is_officer

    @property
    def is_organizer(self) -> bool:
        return bool(self.organizer_paths)

    @property
    def is_liaison(self) -> bool:
        return bool(self.liaison_unit_ids)


def roles_of(user: User) -> UserRoles:
    """The unit-scoped roles of a user, read once per request and cached on the user object."""
    if not user.is_authenticated:
        return UserRoles()
    cached = getattr(user, "_lectern_roles", None)
    if cached is not None:
        return cached
    roles = UserRoles(is_admin=user.is_superuser)
    for role, unit_id, path in user.role_grants.values_list("role", "unit_id", "unit__path"):
        if role == Role.ADMIN:
            roles.is_admin = True
        elif role == Role.ORGANIZER:
            roles.organizer_paths.append(path)
            depth = path.count(".") - 1
            if roles.organizer_min_depth is None or depth < roles.organizer_min_depth:
                roles.organizer_min_depth = depth
        elif role == Role.SYSTEM_ADMIN:
            roles.is_system_admin = True
        elif role == Role.SECURITY_ADMIN:
            roles.is_security_admin = True
        elif role == Role.AUDIT_ADMIN:
            roles.is_audit_admin = True
        elif role == Role.LIAISON:
            roles.liaison_unit_ids.append(unit_id)
            roles.liaison_paths.append(path)
    user._lectern_roles = roles
    return roles


def organizer_scope_q(user: User, field: str = "organizing_unit") -> Q:
    """Q for rows whose unit `field` is inside a subtree the user organizes; all rows for admins.

    For admins this is a condition that holds for every row, not an empty Q(): `Q(a) | Q()` is
    just `Q(a)` in Django, so an empty Q ORed with another condition silently dropped the
    admin's scope to that other condition."""
    roles = roles_of(user)
    if roles.is_admin:
        return ~Q(pk__in=[])
    return subtree_q(roles.organizer_paths, field)


def can_organize_unit(user: User, unit: OrgUnit) -> bool:
    roles = roles_of(user)
    return roles.is_admin or any(unit.path.startswith(p) for p in roles.organizer_paths)


def units_organized_by(user: User):
    roles = roles_of(user)
    if roles.is_admin:
        return OrgUnit.objects.all()
    return OrgUnit.objects.filter(_path_q(roles.organizer_paths))


def _path_q(paths: list[str]) -> Q:
    q = Q(pk__in=[])
    for p in paths:
        q |= Q(path__startswith=p)
    return q


def require_admin(view):
    """403 for any logged-in user who is not an admin (pair with @login_required)."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not roles_of(request.user).is_admin:
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapper


def require_organizer(view):
    """403 unless the user organizes some unit (or is an admin)."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        roles = roles_of(request.user)
        if not (roles.is_admin or roles.is_organizer):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapper


def require_security_admin(view):
    """403 unless the user is the security administrator (pair with @login_required)."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not roles_of(request.user).is_security_admin:
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapper


def require_system_admin(view):
    """403 unless the user is the system administrator (pair with @login_required)."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not roles_of(request.user).is_system_admin:
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapper


def require_system_or_security_admin(view):
    """403 unless the user is the system or the security administrator (the read-only policy
    page both of them need)."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        roles = roles_of(request.user)
        if not (roles.is_system_admin or roles.is_security_admin):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapper
