"""Who may do what with a program or session. Every app checks program access through here.

Levels, from most to least:
- MANAGE: admins, organizers whose unit subtree holds the organizing unit, the program's staff
  (class manager / assistant).
- INVOLVED: anyone with an enrollment row, the lecturers of its sessions, the managers of its
  venues. They may see the program but not run it (→ 403 on management actions).
- AUDIENCE: a published or running program is visible to the cadres of the jurisdiction that
  runs it (the city, county, … above the organizing unit), so they can browse and apply.
- NONE: everyone else gets 404: no leaking that the program exists.
"""

import enum

from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import OrgUnit
from accounts.scoping import can_organize_unit, roles_of
from core.errors import DomainError
from programs.models import Program, ProgramStaff, Session, Venue

JURISDICTION_KINDS = (
    OrgUnit.Kind.PROVINCE,
    OrgUnit.Kind.CITY,
    OrgUnit.Kind.COUNTY,
    OrgUnit.Kind.TOWNSHIP,
)


class Access(enum.IntEnum):
    NONE = 0
    AUDIENCE = 1
    INVOLVED = 2
    MANAGE = 3


def jurisdiction_path(unit: OrgUnit) -> str:
    """The path of the nearest territorial unit at or above `unit` (a department's city, …)."""
    ids = [p for p in unit.path.split(".") if p]
    # Walk up the path from the unit itself; departments and schools belong to their parent area.
    if unit.kind in JURISDICTION_KINDS:
        return unit.path
    if unit.parent_id is None:
        return unit.path
    return ".".join(ids[:-1]) + "."


def is_program_staff(user, program: Program) -> bool:
    return ProgramStaff.objects.filter(program=program, user=user).exists()


def program_access(user, program: Program) -> Access:
    if not user.is_authenticated:
        return Access.NONE
    if roles_of(user).is_admin or can_organize_unit(user, program.organizing_unit):
        return Access.MANAGE
    if is_program_staff(user, program):
        return Access.MANAGE
    if (
        program.enrollments.filter(user=user).exists()
        or Session.objects.filter(program=program, lecturers__user=user).exists()
        or Session.objects.filter(program=program)
        .filter(Q(venue__managers=user) | Q(branch_venues__managers=user))
        .exists()
    ):
        return Access.INVOLVED
    if (
        program.status in (Program.Status.PUBLISHED, Program.Status.RUNNING)
        and user.unit_id
        and user.unit.path.startswith(jurisdiction_path(program.organizing_unit))
    ):
        return Access.AUDIENCE
    return Access.NONE


def program_get(*, user, pk, need: Access = Access.AUDIENCE, queryset=None) -> Program:
    """The program with this pk if `user` has at least `need` access.

    404 when the user may not see it at all, 403 when they may see it but need more.
    """
    qs = queryset if queryset is not None else Program.objects.select_related("organizing_unit")
    try:
        program = qs.get(pk=pk)
    except (Program.DoesNotExist, ValueError, TypeError):
        raise Http404 from None
    level = program_access(user, program)
    if level == Access.NONE:
        raise Http404
    if level < need:
        raise PermissionDenied
    program.access = level
    program.access_user_id = user.pk
    return program


def has_access(user, program: Program, need: Access) -> bool:
    """Whether `user` has at least `need` on `program`. Reuses the level program_get stored on
    this instance for this user (the program page's tabs ask once per app: no query then)."""
    level = getattr(program, "access", None)
    if level is None or getattr(program, "access_user_id", None) != user.pk:
        level = program_access(user, program)
    return level >= need


def can_manage_program(user, program: Program) -> bool:
    return program_access(user, program) == Access.MANAGE


def session_venues_managed(user, session: Session) -> set[int]:
    """The ids of this session's venues (main and branch) that `user` manages: one query."""
    if not user.is_authenticated:
        return set()
    q = Q(pk__in=session.branch_venues.values("pk"))
    if session.venue_id:
        q |= Q(pk=session.venue_id)
    return set(Venue.objects.filter(q, managers=user).values_list("pk", flat=True))


def session_can_mark(user, session: Session) -> bool:
    """Program managers mark any venue; venue managers mark sessions held in their venue."""
    return can_manage_program(user, session.program) or bool(session_venues_managed(user, session))


def session_get(*, user, pk, need: Access = Access.INVOLVED) -> Session:
    """A session with its program; 404/403 as for program_get. Venue managers of the session's
    venues count as MANAGE for the session (they run its check-in screen); which of its venues
    they manage is kept on it (`managed_venue_ids`) so callers need not ask again."""
    try:
        session = Session.objects.select_related("program__organizing_unit", "venue").get(pk=pk)
    except (Session.DoesNotExist, ValueError, TypeError):
        raise Http404 from None
    level = program_level = program_access(user, session.program)
    session.managed_venue_ids = set()
    if level < Access.MANAGE:
        session.managed_venue_ids = session_venues_managed(user, session)
        if session.managed_venue_ids:
            level = Access.MANAGE
    if level == Access.NONE:
        raise Http404
    if level < need:
        raise PermissionDenied
    session.access = level
    session.program_access = program_level  # MANAGE here means "runs the program", not a venue
    return session


def can_organize_program(user, program: Program) -> bool:
    """Program-level decisions (fields, state, clone) belong to admins and to organizers of the
    organizing unit; class staff run the timetable and the class but not the program itself."""
    return user.is_authenticated and (
        roles_of(user).is_admin or can_organize_unit(user, program.organizing_unit)
    )


def program_get_to_organize(*, user, pk) -> Program:
    """program_get(need=MANAGE) plus the organizer check: staff get 403."""
    program = program_get(
        user=user,
        pk=pk,
        need=Access.MANAGE,
        queryset=Program.objects.select_related("organizing_unit", "family"),
    )
    if not can_organize_program(user, program):
        raise PermissionDenied
    return program


# --- closed programs -------------------------------------------------------------------------

CLOSED_STATUSES = (Program.Status.COMPLETED, Program.Status.ARCHIVED)


def program_is_reopened(program: Program, *, now=None) -> bool:
    """An admin reopened this closed program and the reopening has not run out or been ended."""
    until = program.reopened_until
    return until is not None and until > (now or timezone.now())


def program_is_open(program: Program) -> bool:
    """False for a completed or archived program (read-only) unless an admin reopened it."""
    return program.status not in CLOSED_STATUSES or program_is_reopened(program)


def program_closed_message(program: Program) -> str:
    """Why the program is read-only, for the refusal and for pages that hide edit actions."""
    if program.status == Program.Status.ARCHIVED:
        return _("该项目已归档,只能查看,不能修改。如确需修改,请联系系统管理员临时开放。")
    return _("该项目已结束,只能查看,不能修改。如确需修改,请联系系统管理员临时开放。")


def ensure_program_open(program: Program) -> None:
    """Refuse any change to a completed or archived program (its roster, sessions, attendance,
    leave, grades, completion) unless an admin reopened it (programs.services.program_reopen).

    Reads only the fields of the given instance: pass a fresh (ideally locked) row."""
    if not program_is_open(program):
        raise DomainError(program_closed_message(program), code="program_closed")
