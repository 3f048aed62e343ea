"""Reads for enrollment rows: the roster, counts and policy of a program, the review queue,
one object for a user (404 outside scope, 403 below the access needed), groups, a trainee's
and the home pages. Other apps use `enrolled_users` and `enrollments_for_program`."""

from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.db.models import Count, Exists, IntegerField, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from django.http import Http404
from django.utils import timezone

from accounts.models import User
from enrollment.models import (
    DiscussionGroup,
    Enrollment,
    EnrollmentPolicy,
    ImportBatch,
    WithdrawalRequest,
)
from programs.access import Access, jurisdiction_path, program_access, program_get
from programs.models import Program

S = Enrollment.Status
# Statuses that hold (or ask for) a place: they count against a unit's quota.
QUOTA_STATUSES = (S.NOMINATED, S.ENROLLED)
# Statuses after which a person may be nominated or apply again (the row is reused).
CLOSED_STATUSES = (S.REJECTED, S.WITHDRAWN)


# ---- for other apps -------------------------------------------------------------------------


def enrollments_for_program(program, statuses=(S.ENROLLED,)):
    """Enrollment rows of a program with user, unit and group loaded; `statuses=None` for all."""
    qs = Enrollment.objects.filter(program=program).select_related(
        "user", "user__unit", "unit", "group"
    )
    if statuses is not None:
        qs = qs.filter(status__in=list(statuses))
    return qs


def enrolled_users(program):
    """The users who hold a place in the program (status enrolled), with their unit."""
    return (
        User.objects.filter(enrollments__program=program, enrollments__status=S.ENROLLED)
        .select_related("unit")
        .order_by("unit__path", "full_name", "id")
    )


# ---- policy, counts, roster -----------------------------------------------------------------


def enrolled_count(program) -> int:
    return Enrollment.objects.filter(program=program, status=S.ENROLLED).count()


def trainee_clashes(program, sessions_qs) -> dict:
    """{other_program_id: set(user_id)}: this program's enrolled trainees who are also enrolled
    in the programs of `sessions_qs` (sessions overlapping one being planned). Two queries."""
    enrolled = Enrollment.objects.filter(program=program, status=S.ENROLLED).values("user_id")
    others = sessions_qs.values("program_id")
    result: dict = {}
    for program_id, user_id in Enrollment.objects.filter(
        program_id__in=others, status=S.ENROLLED, user_id__in=enrolled
    ).values_list("program_id", "user_id"):
        result.setdefault(program_id, set()).add(user_id)
    return result


def policy_for(program) -> EnrollmentPolicy:
    """The program's enrollment settings, or unsaved defaults when none were set."""
    try:
        return program.enrollment_policy
    except EnrollmentPolicy.DoesNotExist:
        return EnrollmentPolicy(program=program)


def seats_free(*, capacity, enrolled, nominated, applied_enrolled, application_seats) -> int:
    """Seats an application (or the waitlist) can still take: capacity less the enrolled and
    less the named nominations still awaiting confirmation (a unit's nominee keeps the seat they
    were sent for), and within the seats set aside for applications (`application_seats`, None
    for no limit) less those applicants already enrolled."""
    free = capacity - enrolled - nominated
    if application_seats is not None:
        free = min(free, application_seats - applied_enrolled)
    return max(0, free)


def status_counts(program) -> dict:
    rows = Enrollment.objects.filter(program=program).values("status").annotate(n=Count("id"))
    counts = {s.value: 0 for s in S}
    counts.update({r["status"]: r["n"] for r in rows})
    counts["free"] = max(0, program.capacity - counts[S.ENROLLED])
    return counts


def roster(program):
    """Enrolled trainees in roster order: group, unit, name."""
    return enrollments_for_program(program).order_by(
        "group__number", "unit__path", "user__full_name", "id"
    )


def applications_open(program, policy=None, *, now=None) -> bool:
    policy = policy or policy_for(program)
    now = now or timezone.now()
    return (
        program.status == Program.Status.PUBLISHED
        and policy.applications_open
        and (policy.application_deadline is None or policy.application_deadline > now)
    )


def nominations_open(program, policy=None, *, now=None) -> bool:
    policy = policy or policy_for(program)
    now = now or timezone.now()
    return program.status in (Program.Status.PUBLISHED, Program.Status.RUNNING) and (
        policy.nomination_deadline is None or policy.nomination_deadline > now
    )


def review_queue(program) -> dict:
    """What waits for a manager's decision in one program, one queryset per section (the page
    paginates each): nominations, applications, the waitlist in order, withdrawal requests."""
    pending = enrollments_for_program(
        program, statuses=(S.NOMINATED, S.APPLIED, S.WAITLISTED)
    ).select_related("nominated_by", "quota__unit")
    withdrawals = (
        WithdrawalRequest.objects.filter(
            enrollment__program=program, status=WithdrawalRequest.Status.PENDING
        )
        .select_related("enrollment__user", "enrollment__unit")
        .order_by("created_at", "id")
    )
    return {
        "nominations": pending.filter(status=S.NOMINATED).order_by("created_at", "id"),
        "applications": pending.filter(status=S.APPLIED).order_by("created_at", "id"),
        "waitlist": pending.filter(status=S.WAITLISTED).order_by("waitlist_position", "id"),
        "withdrawals": withdrawals,
    }


def history(program):
    """Rows that left the roster (rejected, withdrawn), kept for the record."""
    return (
        enrollments_for_program(program, statuses=CLOSED_STATUSES)
        .select_related("decided_by", "substituted_by__user")
        .order_by("-status_changed_at", "-id")
    )


# ---- one object for a user ------------------------------------------------------------------


def enrollment_get(*, user, pk, need: Access = Access.MANAGE) -> Enrollment:
    """An enrollment row; 404 when its program is outside the user's scope, 403 below `need`.
    The trainee themselves counts as INVOLVED; the liaison of its quota unit as MANAGE for
    substitution (checked again by the service)."""
    try:
        e = Enrollment.objects.select_related(
            "program__organizing_unit", "user", "unit", "quota__unit", "group"
        ).get(pk=pk)
    except (Enrollment.DoesNotExist, ValueError, TypeError):
        raise Http404 from None
    level = program_access(user, e.program)
    if level == Access.NONE:
        raise Http404
    if level < need:
        raise PermissionDenied
    e.access = level
    return e


def withdrawal_get(*, user, pk) -> WithdrawalRequest:
    try:
        wr = WithdrawalRequest.objects.select_related(
            "enrollment__program__organizing_unit", "enrollment__user"
        ).get(pk=pk)
    except (WithdrawalRequest.DoesNotExist, ValueError, TypeError):
        raise Http404 from None
    program_get(user=user, pk=wr.enrollment.program_id, need=Access.MANAGE)
    return wr


def import_batch_get(*, user, pk) -> ImportBatch:
    try:
        batch = ImportBatch.objects.select_related("program__organizing_unit").get(pk=pk)
    except (ImportBatch.DoesNotExist, ValueError, TypeError):
        raise Http404 from None
    program_get(user=user, pk=batch.program_id, need=Access.MANAGE)
    return batch


def group_get(*, user, pk) -> DiscussionGroup:
    try:
        group = DiscussionGroup.objects.select_related("program__organizing_unit").get(pk=pk)
    except (DiscussionGroup.DoesNotExist, ValueError, TypeError):
        raise Http404 from None
    program_get(user=user, pk=group.program_id, need=Access.MANAGE)
    return group


# ---- groups ---------------------------------------------------------------------------------


def groups_with_members(program):
    """Groups in order, each with `.roster` (members sorted by unit and name)."""
    groups = list(
        DiscussionGroup.objects.filter(program=program).select_related("leader").order_by("number")
    )
    members = roster(program)
    by_group = {g.pk: [] for g in groups}
    ungrouped = []
    for e in members:
        by_group.get(e.group_id, ungrouped).append(e)
    for g in groups:
        g.roster = by_group[g.pk]
        g.unit_count = len({e.unit_id for e in g.roster})
    return groups, ungrouped


@dataclass
class GroupBoard:
    """The groups page: every group with its counts, and the members of the one shown."""

    groups: list  # each with .n (members) and .unit_count
    ungrouped: int  # enrolled trainees in no group
    shown: object  # the DiscussionGroup whose members are listed, or None for the ungrouped
    members: object  # a queryset of enrollments (the view paginates it)


UNGROUPED = "none"


def group_board(program, *, shown=None) -> GroupBoard:
    """Groups in order with member and unit counts (one grouped query), the number ungrouped,
    and the members of one group: `shown` (a group pk, or UNGROUPED), by default the first
    group, or the ungrouped when there are no groups. A class of 2,000 sends one group's
    members, not everyone with a move form each."""
    enrolled = Q(members__status=S.ENROLLED)
    groups = list(
        DiscussionGroup.objects.filter(program=program)
        .select_related("leader")
        .annotate(
            n=Count("members", filter=enrolled),
            unit_count=Count("members__unit", filter=enrolled, distinct=True),
        )
        .order_by("number")
    )
    ungrouped = Enrollment.objects.filter(
        program=program, status=S.ENROLLED, group__isnull=True
    ).count()
    by_pk = {str(g.pk): g for g in groups}
    current = None if shown == UNGROUPED or not groups else by_pk.get(str(shown)) or groups[0]
    members = roster(program).filter(**({"group": current} if current else {"group": None}))
    return GroupBoard(groups=groups, ungrouped=ungrouped, shown=current, members=members)


# ---- trainee and home pages ------------------------------------------------------------------


def open_programs_for(user):
    """Published programs accepting applications that this user's jurisdiction may join,
    each with `.my_enrollment` (or None) and `.enrolled_count`."""
    if not user.is_authenticated or not user.unit_id:
        return []
    now = timezone.now()
    programs = list(
        Program.objects.filter(
            status=Program.Status.PUBLISHED, enrollment_policy__applications_open=True
        )
        .filter(
            Q(enrollment_policy__application_deadline__isnull=True)
            | Q(enrollment_policy__application_deadline__gt=now)
        )
        .select_related("organizing_unit", "enrollment_policy")
        .annotate(
            enrolled_count=Count("enrollments", filter=Q(enrollments__status=S.ENROLLED)),
            # pending nominations hold their seats (seats_free)
            nominated_count=Count("enrollments", filter=Q(enrollments__status=S.NOMINATED)),
            applied_count=Count(
                "enrollments",
                filter=Q(
                    enrollments__status=S.ENROLLED,
                    enrollments__source=Enrollment.Source.APPLICATION,
                ),
            ),
        )
        .order_by("start_date", "code")
    )
    unit_path = user.unit.path
    visible = [p for p in programs if unit_path.startswith(jurisdiction_path(p.organizing_unit))]
    mine = {
        e.program_id: e
        for e in Enrollment.objects.filter(user=user, program__in=[p.pk for p in visible])
    }
    for p in visible:
        p.my_enrollment = mine.get(p.pk)
        p.free = seats_free(
            capacity=p.capacity,
            enrolled=p.enrolled_count,
            nominated=p.nominated_count,
            applied_enrolled=p.applied_count,
            application_seats=p.enrollment_policy.application_seats,
        )
    return visible


def my_enrollments(user):
    return (
        Enrollment.objects.filter(user=user)
        .select_related("program", "group", "program__organizing_unit")
        .prefetch_related("withdrawal_requests")
        .order_by("-program__start_date", "-id")
    )


def _program_count(qs, via: str):
    """The number of `qs` rows of the outer program, as a correlated subquery: evaluated only
    for the rows a page shows (after its LIMIT), each an index probe of one program's rows."""
    rows = qs.filter(**{via: OuterRef("pk")}).order_by().values(via).annotate(n=Count("pk"))
    return Coalesce(Subquery(rows.values("n"), output_field=IntegerField()), 0)


def managed_programs(user):
    """The programs the user runs (programs.selectors), in date order, with enrollment counts.

    The counts are subqueries per program, not a join of every enrollment grouped by program:
    an admin's queue at province scale (3,600 programs, 300k enrollments) paginates over the
    programs alone, and only the programs of the page are counted."""
    from programs.selectors import programs_managed_by

    pending = WithdrawalRequest.objects.filter(status=WithdrawalRequest.Status.PENDING)
    return (
        programs_managed_by(user=user)
        .annotate(
            n_enrolled=_program_count(Enrollment.objects.filter(status=S.ENROLLED), "program"),
            n_nominated=_program_count(Enrollment.objects.filter(status=S.NOMINATED), "program"),
            n_applied=_program_count(Enrollment.objects.filter(status=S.APPLIED), "program"),
            n_withdrawals=_program_count(pending, "enrollment__program"),
        )
        .order_by("start_date", "code")
    )


def review_overview(user):
    """Managed programs with a nomination, application or withdrawal waiting: EXISTS probes
    per program (the (program, status) index), never a count of every program's rows."""
    waiting = Exists(
        Enrollment.objects.filter(program=OuterRef("pk"), status__in=(S.NOMINATED, S.APPLIED))
    ) | Exists(
        WithdrawalRequest.objects.filter(
            enrollment__program=OuterRef("pk"), status=WithdrawalRequest.Status.PENDING
        )
    )
    return managed_programs(user).filter(waiting)
