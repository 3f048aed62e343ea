"""Reads for enrollment. Other apps use `enrolled_users` and `enrollments_for_program`."""

from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q
from django.http import Http404
from django.utils import timezone

from accounts.models import OrgUnit, Role, RoleGrant, User
from accounts.scoping import roles_of
from enrollment.models import (
    DiscussionGroup,
    Enrollment,
    EnrollmentPolicy,
    ImportBatch,
    Quota,
    WithdrawalRequest,
)
from programs.access import Access, jurisdiction_path, program_access, program_get
from programs.models import Program, ProgramStaff

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


def managed_programs(user):
    """The programs the user runs (programs.selectors), with enrollment counts."""
    from programs.selectors import programs_managed_by

    return (
        programs_managed_by(user=user)
        .annotate(
            n_enrolled=Count(
                "enrollments", filter=Q(enrollments__status=S.ENROLLED), distinct=True
            ),
            n_nominated=Count(
                "enrollments", filter=Q(enrollments__status=S.NOMINATED), distinct=True
            ),
            n_applied=Count("enrollments", filter=Q(enrollments__status=S.APPLIED), distinct=True),
            n_withdrawals=Count(
                "enrollments__withdrawal_requests",
                filter=Q(enrollments__withdrawal_requests__status="pending"),
                distinct=True,
            ),
        )
        .order_by("start_date", "code")
    )


def review_overview(user):
    """Managed programs with a nomination, application or withdrawal waiting."""
    return managed_programs(user).filter(
        Q(n_nominated__gt=0) | Q(n_applied__gt=0) | Q(n_withdrawals__gt=0)
    )


def import_unknown_units(batch) -> list[dict]:
    """Per distinct unit text the preview could not place: how many rows, the likeliest units
    (the program's own unit subtree first) and every unit of the program's territory to pick
    from, each labelled with its full name (云江市发展和改革委员会). Two queries."""
    from enrollment.roster_import import suggest_units, unit_forms
    from programs.access import jurisdiction_path

    counts: dict = {}
    for r in batch.rows:
        if r.get("unit_unknown"):
            counts[r["unit"]] = counts.get(r["unit"], 0) + 1
    if not counts:
        return []
    program = batch.program
    units = list(
        OrgUnit.objects.filter(
            path__startswith=jurisdiction_path(program.organizing_unit)
        ).order_by("path")
    )
    by_id = {u.pk: u for u in units}
    labels = {u.pk: max(unit_forms(u, by_id), key=len) for u in units}
    choices = [(u.pk, labels[u.pk]) for u in units]
    home = program.organizing_unit.path
    return [
        {
            "text": text,
            "rows": n,
            "suggestions": [
                (u.pk, labels[u.pk]) for u in suggest_units(text, units, by_id, home_path=home)
            ],
            "choices": choices,
        }
        for text, n in counts.items()
    ]
