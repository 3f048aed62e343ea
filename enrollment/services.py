"""Every enrollment write: quotas, nominations, applications, waitlist, withdrawal, groups.

Anything that changes who holds a seat locks the program row first (`_lock_program`), so seat
counts read after the lock are exact even when many withdrawals or approvals run at once.
"""

from datetime import timedelta

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.db.models import Count, Max, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import Rank
from core.errors import DomainError, self_decision_guard
from core.services import AuditEntry, audit_log, audit_log_many, notify, notify_many
from enrollment import selectors
from enrollment.models import (
    DiscussionGroup,
    Enrollment,
    EnrollmentPolicy,
    Quota,
    WithdrawalRequest,
)
from enrollment.roster_import import ROW_FIELDS
from programs.models import Program

S = Enrollment.Status


def _lock_program(program) -> Program:
    return Program.objects.select_for_update().select_related(None).get(pk=program.pk)


def _lock_enrollment(enrollment) -> Enrollment:
    return (
        Enrollment.objects.select_for_update(of=("self",))
        .select_related("user", "program", "quota__unit")
        .get(pk=enrollment.pk)
    )


def _ensure_open(program) -> None:
    """Roster changes are refused on a completed or archived program (read-only unless an admin
    reopened it): contract 7."""
    from programs.access import ensure_program_open

    ensure_program_open(program)


def _set_status(e: Enrollment, status: str, *, by=None, reason: str | None = None, extra=()):
    before = e.status
    e.status = status
    e.status_changed_at = timezone.now()
    fields = ["status", "status_changed_at", "updated_at", *extra]
    if by is not None:
        e.decided_by = by
        fields.append("decided_by")
    if reason is not None:
        e.decision_reason = reason
        fields.append("decision_reason")
    e.save(update_fields=fields)
    return before


def _enrolled_count(program) -> int:
    return selectors.enrolled_count(program)


def application_room(program, policy) -> int:
    """Seats an application (or the waitlist) can still take (selectors.seats_free; a
    substitute keeps the seat of the nominee they replace). One query; read under the program
    lock."""
    c = Enrollment.objects.filter(program=program).aggregate(
        enrolled=Count("id", filter=Q(status=S.ENROLLED)),
        nominated=Count("id", filter=Q(status=S.NOMINATED)),
        applied=Count("id", filter=Q(status=S.ENROLLED, source=Enrollment.Source.APPLICATION)),
    )
    return selectors.seats_free(
        capacity=program.capacity,
        enrolled=c["enrolled"],
        nominated=c["nominated"],
        applied_enrolled=c["applied"],
        application_seats=policy.application_seats,
    )


def _roster_url(program) -> str:
    return reverse("enrollment:roster", args=[program.pk])


def _notify_reviewers(program, *, title, body="", url="", exclude=None, params=None):
    users = [u for u in selectors.program_reviewers(program) if u != exclude]
    if users:
        notify_many(users=users, title=title, body=body, url=url, kind="enrollment", params=params)


# ---- policy and quotas ----------------------------------------------------------------------


@transaction.atomic
def policy_update(
    *,
    program,
    by,
    applications_open: bool,
    application_deadline=None,
    nomination_deadline=None,
    waitlist_enabled: bool = True,
    application_seats: int | None = None,
) -> EnrollmentPolicy:
    program = _lock_program(program)
    policy, _created = EnrollmentPolicy.objects.get_or_create(program=program)
    before = {
        "applications_open": policy.applications_open,
        "waitlist_enabled": policy.waitlist_enabled,
        "application_seats": policy.application_seats,
    }
    policy.applications_open = applications_open
    policy.application_deadline = application_deadline
    policy.nomination_deadline = nomination_deadline
    policy.waitlist_enabled = waitlist_enabled
    policy.application_seats = application_seats
    policy.save()
    audit_log(
        actor=by,
        action="enrollment.policy_update",
        target=program,
        before=before,
        after={
            "applications_open": applications_open,
            "waitlist_enabled": waitlist_enabled,
            "application_seats": application_seats,
        },
    )
    # More (or unlimited) seats for applications: the waitlist may move up.
    waitlist_promote(program=program)
    return policy


@transaction.atomic
def quota_set(*, program, unit, seats: int, by) -> Quota | None:
    """Create, change or (with 0 seats) remove a unit's quota. Never below the seats already
    filled by that unit's nominations. Tells the unit's liaisons."""
    if seats < 0:
        raise DomainError(_("名额不能为负数。"), field="seats")
    if not unit.path.startswith(_jurisdiction(program)):
        raise DomainError(_("该单位不在本班的调训范围内。"), field="unit")
    quota = Quota.objects.select_for_update().filter(program=program, unit=unit).first()
    used = 0
    if quota:
        used = Enrollment.objects.filter(quota=quota, status__in=selectors.QUOTA_STATUSES).count()
    if seats < used:
        raise DomainError(
            _("%(unit)s 已提名 %(used)d 人,名额不能少于已提名人数。")
            % {"unit": unit.name, "used": used},
            field="seats",
        )
    before = quota.seats if quota else 0
    if seats == 0:
        if quota:
            audit_log(
                actor=by, action="enrollment.quota_remove", target=quota, before={"seats": before}
            )
            quota.delete()
        return None
    if quota is None:
        quota = Quota.objects.create(program=program, unit=unit, seats=seats, set_by=by)
    else:
        quota.seats, quota.set_by = seats, by
        quota.save(update_fields=["seats", "set_by", "updated_at"])
    audit_log(
        actor=by,
        action="enrollment.quota_set",
        target=quota,
        before={"seats": before},
        after={"seats": seats},
    )
    if before != seats:
        liaisons = list(selectors.liaisons_of(unit))
        if liaisons:
            notify_many(
                users=liaisons,
                title=gettext_lazy("调训名额:%(program)s"),
                body=gettext_lazy("%(unit)s 的名额为 %(seats)d 人,请在截止前提名参训人员。"),
                url=reverse("enrollment:quota", args=[quota.pk]),
                kind="enrollment",
                params={"program": program.title, "unit": unit.name, "seats": seats},
            )
    return quota


def _jurisdiction(program) -> str:
    from programs.access import jurisdiction_path

    return jurisdiction_path(program.organizing_unit)


# ---- named nominations ----------------------------------------------------------------------


def _check_liaison(by, quota):
    if not selectors.is_liaison_for(by, quota.unit):
        raise PermissionDenied


def _check_nomination_window(program):
    if not selectors.nominations_open(program):
        raise DomainError(_("已过调训名单报送截止时间,不能再提名或替换。"))


def _check_member(quota, user):
    if not (user.unit_id and user.unit.path.startswith(quota.unit.path)):
        raise DomainError(
            _("%(name)s 不是 %(unit)s 的人员,不能占用本单位名额。")
            % {"name": user.full_name, "unit": quota.unit.name},
            field="user",
        )


# What a closed (rejected/withdrawn) row's last round left behind: a reopened row is a fresh start.
_REOPEN_RESET = {
    "decision_reason": "",
    "decided_by": None,
    "substituted_by": None,
    "group": None,
    "waitlist_position": None,
    "quota": None,
    "nominated_by": None,
    "note": "",
}


def _reopen(e: Enrollment, *, user, status, source, now, **fields) -> None:
    """Reset a closed row for a new start (not saved): _open_row saves it, the import in bulk."""
    values = {
        **_REOPEN_RESET,
        "status": status,
        "source": source,
        "status_changed_at": now,
        "unit_id": user.unit_id,
        **fields,
    }
    for k, v in values.items():
        setattr(e, k, v)


def _open_row(*, program, user, status, source, **fields) -> Enrollment:
    """A new row for (program, user), or the person's closed (rejected/withdrawn) row reopened.
    An open row means they already hold or asked for a place: a DomainError says which."""
    existing = Enrollment.objects.select_for_update().filter(program=program, user=user).first()
    now = timezone.now()
    if existing is not None:
        if existing.status not in selectors.CLOSED_STATUSES:
            raise DomainError(
                _("%(name)s 在本班已有记录(%(status)s)。")
                % {"name": user.full_name, "status": existing.get_status_display()},
                field="user",
                code="duplicate",
            )
        _reopen(existing, user=user, status=status, source=source, now=now, **fields)
        existing.save()
        return existing
    try:
        with transaction.atomic():
            return Enrollment.objects.create(
                program=program,
                user=user,
                unit=user.unit,
                status=status,
                source=source,
                status_changed_at=now,
                **fields,
            )
    except IntegrityError:  # the same person was added by a concurrent request
        raise DomainError(
            _("%(name)s 在本班已有记录。") % {"name": user.full_name}, code="duplicate"
        ) from None


@transaction.atomic
def nomination_create(*, quota, user, by) -> Enrollment:
    """Nominate a named cadre of the quota's unit (subtree). Guarantees: never more open
    nominations than seats (the quota row is locked), never someone from another unit, never
    after the deadline. A liaison cannot nominate themselves."""
    _check_liaison(by, quota)
    self_decision_guard(subject=user, by=by)
    quota = (
        Quota.objects.select_for_update()
        .select_related("program__organizing_unit", "unit")
        .get(pk=quota.pk)
    )
    program = quota.program
    _ensure_open(program)
    _check_nomination_window(program)
    _check_member(quota, user)
    used = Enrollment.objects.filter(quota=quota, status__in=selectors.QUOTA_STATUSES).count()
    if used >= quota.seats:
        raise DomainError(
            _("%(unit)s 的 %(seats)d 个名额已用完。")
            % {"unit": quota.unit.name, "seats": quota.seats},
            code="quota_full",
        )
    e = _open_row(
        program=program,
        user=user,
        status=S.NOMINATED,
        source=Enrollment.Source.NOMINATION,
        quota=quota,
        nominated_by=by,
    )
    audit_log(actor=by, action="enrollment.nominate", target=e, after={"status": S.NOMINATED})
    _notify_reviewers(
        program,
        title=gettext_lazy("调训提名待审核:%(program)s"),
        body=gettext_lazy("%(unit)s 提名 %(name)s。"),
        url=reverse("enrollment:review", args=[program.pk]),
        params={"program": program.title, "unit": quota.unit.name, "name": user.full_name},
    )
    _notify_nominee(e, program)
    return e


def _notify_nominee(e, program):
    notify(
        user=e.user,
        title=gettext_lazy("单位调训提名:%(program)s"),
        body=gettext_lazy("您已被单位提名参加本次培训,待主办方确认。"),
        url=reverse("enrollment:mine"),
        kind="enrollment",
        params={"program": program.title},
    )


@transaction.atomic
def nomination_substitute(*, enrollment, new_user, by, reason: str = "") -> Enrollment:
    """Replace a nominee by another cadre of the same unit until the deadline. The replaced
    person's row is kept as withdrawn, pointing at the substitute; the substitute needs review
    and keeps the seat meanwhile (a pending nomination is not offered to the waitlist). Takes the
    program lock like every other path that changes who holds a seat."""
    _ensure_open(_lock_program(enrollment.program))
    old = _lock_enrollment(enrollment)
    if old.quota_id is None or old.status not in selectors.QUOTA_STATUSES:
        raise DomainError(_("只能替换本单位名额中的在册或待审核人员。"))
    quota = (
        Quota.objects.select_for_update()
        .select_related("program__organizing_unit", "unit")
        .get(pk=old.quota_id)
    )
    _check_liaison(by, quota)
    self_decision_guard(subject=new_user, by=by)
    _check_nomination_window(quota.program)
    _check_member(quota, new_user)
    if new_user.pk == old.user_id:
        raise DomainError(_("替换人员不能是原人员本人。"), field="user")
    new = _open_row(
        program=quota.program,
        user=new_user,
        status=S.NOMINATED,
        source=Enrollment.Source.NOMINATION,
        quota=quota,
        nominated_by=by,
    )
    _leave_group(old)
    old.substituted_by = new
    old.note = (old.note + "\n" if old.note else "") + _("由 %(name)s 替换") % {
        "name": new_user.full_name
    }
    before = _set_status(old, S.WITHDRAWN, reason=reason, extra=("substituted_by", "note", "group"))
    audit_log(
        actor=by,
        action="enrollment.substitute",
        target=old,
        before={"status": before, "user": old.user.full_name},
        after={"status": S.WITHDRAWN, "substitute": new_user.full_name},
        reason=reason,
    )
    program = quota.program
    notify(
        user=old.user,
        title=gettext_lazy("调训人员调整:%(program)s"),
        body=gettext_lazy("单位已安排 %(name)s 替换您参加本次培训。"),
        kind="enrollment",
        params={"program": program.title, "name": new_user.full_name},
    )
    _notify_reviewers(
        program,
        title=gettext_lazy("调训人员替换待审核:%(program)s"),
        body=gettext_lazy("%(unit)s:%(old)s → %(new)s"),
        url=reverse("enrollment:review", args=[program.pk]),
        params={
            "program": program.title,
            "unit": quota.unit.name,
            "old": old.user.full_name,
            "new": new_user.full_name,
        },
    )
    _notify_nominee(new, program)
    waitlist_promote(program=program)
    return new


@transaction.atomic
def nomination_confirm(*, enrollment, by) -> Enrollment:
    """Accept a nomination: the nominee takes a seat if one is free."""
    program = _lock_program(enrollment.program)
    _ensure_open(program)
    e = _lock_enrollment(enrollment)
    self_decision_guard(subject=e, by=by)
    if e.status != S.NOMINATED:
        raise DomainError(_("该提名已处理(%(status)s)。") % {"status": e.get_status_display()})
    if _enrolled_count(program) >= program.capacity:
        raise DomainError(_("本班 %(n)d 个名额已满,不能再确认。") % {"n": program.capacity})
    _set_status(e, S.ENROLLED, by=by, reason="")
    audit_log(
        actor=by,
        action="enrollment.nomination_confirm",
        target=e,
        before={"status": S.NOMINATED},
        after={"status": S.ENROLLED},
    )
    title, params = gettext_lazy("已确认参训:%(program)s"), {"program": program.title}
    notify(
        user=e.user,
        title=title,
        body=gettext_lazy("请按时报到。"),
        kind="enrollment",
        url=reverse("enrollment:mine"),
        params=params,
    )
    if e.nominated_by_id and e.nominated_by_id != e.user_id:
        notify(
            user=e.nominated_by,
            title=title,
            body=e.user.full_name,
            kind="enrollment",
            url=reverse("enrollment:quota", args=[e.quota_id]) if e.quota_id else "",
            params=params,
        )
    return e


@transaction.atomic
def nomination_send_back(*, enrollment, by, reason: str) -> Enrollment:
    """Return a nomination to the unit with a reason; its seat in the quota frees up, and the
    program seat it held goes to the head of the waitlist."""
    if not reason.strip():
        raise DomainError(_("请填写退回原因。"), field="reason")
    program = _lock_program(enrollment.program)
    _ensure_open(program)
    e = _lock_enrollment(enrollment)
    self_decision_guard(subject=e, by=by)
    if e.status != S.NOMINATED:
        raise DomainError(_("该提名已处理(%(status)s)。") % {"status": e.get_status_display()})
    _set_status(e, S.REJECTED, by=by, reason=reason.strip())
    audit_log(
        actor=by,
        action="enrollment.nomination_send_back",
        target=e,
        before={"status": S.NOMINATED},
        after={"status": S.REJECTED},
        reason=reason,
    )
    title, body = gettext_lazy("调训提名被退回:%(program)s"), gettext_lazy("%(name)s:%(reason)s")
    params = {"program": e.program.title, "name": e.user.full_name, "reason": reason.strip()}
    if e.nominated_by_id:
        notify(
            user=e.nominated_by,
            title=title,
            body=body,
            kind="enrollment",
            url=reverse("enrollment:quota", args=[e.quota_id]) if e.quota_id else "",
            params=params,
        )
    notify(user=e.user, title=title, body=body, kind="enrollment", params=params)
    waitlist_promote(program=program)
    return e


# ---- applications (点题) and the waitlist ----------------------------------------------------


@transaction.atomic
def application_create(*, program, user, note: str = "") -> Enrollment:
    """A trainee applies to an open program. Refused when closed, when already applied or
    enrolled, and when full without a waitlist."""
    program = _lock_program(program)
    _ensure_open(program)
    policy = selectors.policy_for(program)
    if not selectors.applications_open(program, policy):
        raise DomainError(_("本班目前不接受报名。"), code="closed")
    full = application_room(program, policy) == 0
    if full and not policy.waitlist_enabled:
        raise DomainError(_("本班名额已满,不再接受报名。"), code="full")
    e = _open_row(
        program=program,
        user=user,
        status=S.APPLIED,
        source=Enrollment.Source.APPLICATION,
        note=note.strip(),
    )
    audit_log(actor=user, action="enrollment.apply", target=e, after={"status": S.APPLIED})
    _notify_reviewers(
        program,
        title=gettext_lazy("新的报名待审核:%(program)s"),
        body=user.full_name,
        url=reverse("enrollment:review", args=[program.pk]),
        params={"program": program.title},
    )
    e.program_full = full
    return e


def _next_waitlist_position(program) -> int:
    top = Enrollment.objects.filter(program=program, status=S.WAITLISTED).aggregate(
        m=Max("waitlist_position")
    )["m"]
    return (top or 0) + 1


@transaction.atomic
def application_approve(*, enrollment, by) -> Enrollment:
    """Approve an application: a seat if one is free, otherwise the end of the waitlist."""
    program = _lock_program(enrollment.program)
    _ensure_open(program)
    e = _lock_enrollment(enrollment)
    self_decision_guard(subject=e, by=by)
    if e.status != S.APPLIED:
        raise DomainError(_("该报名已处理(%(status)s)。") % {"status": e.get_status_display()})
    policy = selectors.policy_for(program)
    if application_room(program, policy) > 0:
        _set_status(e, S.ENROLLED, by=by, reason="")
        notify(
            user=e.user,
            title=gettext_lazy("报名已通过:%(program)s"),
            body=gettext_lazy("您已被录取,请按时参训。"),
            kind="enrollment",
            url=reverse("enrollment:mine"),
            params={"program": program.title},
        )
    elif policy.waitlist_enabled:
        e.waitlist_position = _next_waitlist_position(program)
        _set_status(e, S.WAITLISTED, by=by, reason="", extra=("waitlist_position",))
        notify(
            user=e.user,
            title=gettext_lazy("报名已通过,进入候补:%(program)s"),
            body=gettext_lazy("名额已满,您是候补第 %(n)d 位;有空位时系统会自动录取并通知您。"),
            kind="enrollment",
            url=reverse("enrollment:mine"),
            params={"program": program.title, "n": e.waitlist_position},
        )
    else:
        raise DomainError(_("本班名额已满。"), code="full")
    audit_log(
        actor=by,
        action="enrollment.application_approve",
        target=e,
        before={"status": S.APPLIED},
        after={"status": e.status},
    )
    return e


@transaction.atomic
def application_reject(*, enrollment, by, reason: str) -> Enrollment:
    if not reason.strip():
        raise DomainError(_("请填写不通过的原因。"), field="reason")
    e = _lock_enrollment(enrollment)
    self_decision_guard(subject=e, by=by)
    _ensure_open(e.program)
    if e.status not in (S.APPLIED, S.WAITLISTED):
        raise DomainError(_("该报名已处理(%(status)s)。") % {"status": e.get_status_display()})
    e.waitlist_position = None
    before = _set_status(e, S.REJECTED, by=by, reason=reason.strip(), extra=("waitlist_position",))
    audit_log(
        actor=by,
        action="enrollment.application_reject",
        target=e,
        before={"status": before},
        after={"status": S.REJECTED},
        reason=reason,
    )
    notify(
        user=e.user,
        title=gettext_lazy("报名未通过:%(program)s"),
        body=reason.strip(),
        kind="enrollment",
        url=reverse("enrollment:mine"),
        params={"program": e.program.title},
    )
    return e


# Programs whose waitlist may still move: a finished program seats nobody new.
PROMOTABLE_STATUSES = (Program.Status.DRAFT, Program.Status.PUBLISHED, Program.Status.RUNNING)


@transaction.atomic
def waitlist_promote(*, program) -> list[Enrollment]:
    """Fill free seats from the head of the waitlist and tell the people promoted.

    Called by every path that can free or add a seat (withdrawal approved, nomination sent
    back, substitution, capacity raised, application seats raised). Takes the program lock
    itself (a no-op when the caller holds it already), so the seat count it reads is exact and
    it never seats more than capacity, even when called concurrently."""
    program = _lock_program(program)
    if program.status not in PROMOTABLE_STATUSES:
        return []
    free = application_room(program, selectors.policy_for(program))
    if free <= 0:
        return []
    promoted = list(
        Enrollment.objects.select_for_update(of=("self",))
        .filter(program=program, status=S.WAITLISTED)
        .select_related("user")
        .order_by("waitlist_position", "id")[:free]
    )
    if not promoted:
        return []
    # In bulk: a capacity raised by many seats must not hold the lock for three writes a person.
    now = timezone.now()
    seated = {
        "status": S.ENROLLED,
        "status_changed_at": now,
        "waitlist_position": None,
        "updated_at": now,
    }
    Enrollment.objects.filter(pk__in=[e.pk for e in promoted]).update(**seated)
    for e in promoted:
        for k, v in seated.items():
            setattr(e, k, v)
    audit_log_many(
        AuditEntry(
            actor=None,
            action="enrollment.waitlist_promote",
            target=e,
            before={"status": S.WAITLISTED},
            after={"status": S.ENROLLED},
        )
        for e in promoted
    )
    notify_many(
        users=[e.user for e in promoted],
        title=gettext_lazy("候补转正:%(program)s"),
        body=gettext_lazy("本班有了空余名额,您已由候补转为正式学员。"),
        kind="enrollment",
        url=reverse("enrollment:mine"),
        params={"program": program.title},
    )
    return promoted


# ---- withdrawal (退训) -----------------------------------------------------------------------


@transaction.atomic
def withdrawal_request(*, enrollment, by, reason: str) -> WithdrawalRequest | None:
    """A trainee asks to leave. A pending application or waitlist place is simply cancelled
    (returns None); a seat or nomination needs a manager's approval."""
    if enrollment.user_id != by.pk:
        raise PermissionDenied
    if not reason.strip():
        raise DomainError(_("请填写退训原因。"), field="reason")
    program = _lock_program(enrollment.program)
    if program.status in (Program.Status.COMPLETED, Program.Status.ARCHIVED):
        raise DomainError(_("培训已结束,不能再退训。"))
    e = _lock_enrollment(enrollment)
    if e.status in (S.APPLIED, S.WAITLISTED):
        e.waitlist_position = None
        before = _set_status(e, S.WITHDRAWN, reason=reason.strip(), extra=("waitlist_position",))
        audit_log(
            actor=by,
            action="enrollment.application_cancel",
            target=e,
            before={"status": before},
            after={"status": S.WITHDRAWN},
            reason=reason,
        )
        return None
    if e.status not in (S.ENROLLED, S.NOMINATED):
        raise DomainError(
            _("当前状态(%(status)s)不能申请退训。") % {"status": e.get_status_display()}
        )
    try:
        with transaction.atomic():
            wr = WithdrawalRequest.objects.create(
                enrollment=e, reason=reason.strip(), requested_by=by
            )
    except IntegrityError:
        raise DomainError(_("您已提交退训申请,请等待审批。"), code="duplicate") from None
    audit_log(actor=by, action="enrollment.withdrawal_request", target=e, reason=reason)
    _notify_reviewers(
        program,
        title=gettext_lazy("退训申请待审批:%(program)s"),
        body=gettext_lazy("%(name)s:%(reason)s"),
        url=reverse("enrollment:review", args=[program.pk]),
        params={"program": program.title, "name": e.user.full_name, "reason": reason.strip()},
    )
    return wr


def _leave_group(e: Enrollment):
    if e.group_id:
        DiscussionGroup.objects.filter(pk=e.group_id, leader_id=e.user_id).update(leader=None)
        e.group = None


@transaction.atomic
def withdrawal_approve(*, request, by, note: str = "") -> Enrollment:
    """Approve a withdrawal: the row stays (history) as withdrawn, stops counting, and a freed
    seat goes to the head of the waitlist. Safe under concurrent approvals."""
    program = _lock_program(request.enrollment.program)
    _ensure_open(program)
    wr = WithdrawalRequest.objects.select_for_update().get(pk=request.pk)
    if wr.status != WithdrawalRequest.Status.PENDING:
        raise DomainError(_("该退训申请已处理。"))
    e = _lock_enrollment(wr.enrollment)
    self_decision_guard(subject=e, by=by)
    was = e.status
    _leave_group(e)
    _set_status(e, S.WITHDRAWN, by=by, reason=wr.reason, extra=("group",))
    wr.status, wr.decided_by, wr.decided_at = WithdrawalRequest.Status.APPROVED, by, timezone.now()
    wr.decision_note = note.strip()
    wr.save(update_fields=["status", "decided_by", "decided_at", "decision_note", "updated_at"])
    audit_log(
        actor=by,
        action="enrollment.withdrawal_approve",
        target=e,
        before={"status": was},
        after={"status": S.WITHDRAWN},
        reason=wr.reason,
    )
    notify(
        user=e.user,
        title=gettext_lazy("退训申请已批准:%(program)s"),
        body=note.strip(),
        kind="enrollment",
        url=reverse("enrollment:mine"),
        params={"program": program.title},
    )
    if e.nominated_by_id:
        notify(
            user=e.nominated_by,
            title=gettext_lazy("本单位学员退训:%(program)s"),
            body=e.user.full_name,
            kind="enrollment",
            url=reverse("enrollment:quota", args=[e.quota_id]) if e.quota_id else "",
            params={"program": program.title},
        )
    if was in (S.ENROLLED, S.NOMINATED):  # both held a seat
        waitlist_promote(program=program)
    return e


@transaction.atomic
def withdrawal_reject(*, request, by, note: str) -> WithdrawalRequest:
    if not note.strip():
        raise DomainError(_("请填写不批准的原因。"), field="note")
    wr = (
        WithdrawalRequest.objects.select_for_update()
        .select_related("enrollment__user", "enrollment__program")
        .get(pk=request.pk)
    )
    if wr.status != WithdrawalRequest.Status.PENDING:
        raise DomainError(_("该退训申请已处理。"))
    self_decision_guard(subject=wr.enrollment, by=by)
    _ensure_open(wr.enrollment.program)
    wr.status, wr.decided_by, wr.decided_at = WithdrawalRequest.Status.REJECTED, by, timezone.now()
    wr.decision_note = note.strip()
    wr.save(update_fields=["status", "decided_by", "decided_at", "decision_note", "updated_at"])
    audit_log(actor=by, action="enrollment.withdrawal_reject", target=wr.enrollment, reason=note)
    notify(
        user=wr.enrollment.user,
        title=gettext_lazy("退训申请未批准:%(program)s"),
        body=note.strip(),
        kind="enrollment",
        url=reverse("enrollment:mine"),
        params={"program": wr.enrollment.program.title},
    )
    return wr


# ---- discussion groups ----------------------------------------------------------------------

RANK_ORDER = {r.value: i for i, r in enumerate(Rank)}  # provincial first, staff last


def balance_into_groups(people, count: int) -> list[list]:
    """Deal people into `count` groups: sizes differ by at most one, each rank is spread as
    evenly as possible (within one), and colleagues of one unit are spread across groups.

    `people` are objects with `unit_id` and `rank`. Ranks are dealt from the highest down (so
    each group's first member is its most senior, the default leader). Within a rank, the groups
    that are smallest so far take the remainder, and each person goes to the allowed group with
    the fewest colleagues of their unit; people of the largest units are placed first.
    """
    if count < 1:
        raise DomainError(_("分组数至少为 1。"), field="count")
    unit_sizes: dict = {}
    blocks: dict = {}
    for p in people:
        unit_sizes[p.unit_id] = unit_sizes.get(p.unit_id, 0) + 1
        blocks.setdefault(RANK_ORDER.get(p.rank, len(RANK_ORDER)), []).append(p)
    groups: list[list] = [[] for _ in range(count)]
    unit_counts = [{} for _ in range(count)]
    for rank_key in sorted(blocks):
        block = sorted(
            blocks[rank_key],
            key=lambda p: (-unit_sizes[p.unit_id], p.unit_id or 0, getattr(p, "sort_name", "")),
        )
        base, extra = divmod(len(block), count)
        by_size = sorted(range(count), key=lambda i: (len(groups[i]), i))
        room = {i: base + (1 if pos < extra else 0) for pos, i in enumerate(by_size)}
        for p in block:
            best = min(
                (i for i in range(count) if room[i] > 0),
                key=lambda i: (unit_counts[i].get(p.unit_id, 0), -room[i], len(groups[i]), i),
            )
            groups[best].append(p)
            room[best] -= 1
            unit_counts[best][p.unit_id] = unit_counts[best].get(p.unit_id, 0) + 1
    _spread_units(groups, unit_counts)
    return groups


def _spread_units(groups, unit_counts, max_rounds: int = 500):
    """Swap same-rank people between groups while that evens out a unit without making any
    other unit less even. Sizes and rank spread are untouched; each swap lowers the sum of
    squared unit counts, so the loop ends."""

    def count(i, unit):
        return unit_counts[i].get(unit, 0)

    for _round in range(max_rounds):
        swapped = False
        for a, ga in enumerate(groups):
            for x in ga:
                for b, gb in enumerate(groups):
                    if count(a, x.unit_id) - count(b, x.unit_id) < 2:
                        continue
                    y = next(
                        (
                            y
                            for y in gb
                            if y.rank == x.rank
                            and y.unit_id != x.unit_id
                            and count(a, y.unit_id) < count(b, y.unit_id)
                        ),
                        None,
                    )
                    if y is None:
                        continue
                    ga[ga.index(x)], gb[gb.index(y)] = y, x
                    for i, gone, came in ((a, x, y), (b, y, x)):
                        unit_counts[i][gone.unit_id] -= 1
                        unit_counts[i][came.unit_id] = count(i, came.unit_id) + 1
                    swapped = True
                    break
                if swapped:
                    break
            if swapped:
                break
        if not swapped:
            return


class _Person:
    __slots__ = ("enrollment", "unit_id", "rank", "sort_name")

    def __init__(self, e):
        self.enrollment = e
        self.unit_id = e.unit_id
        self.rank = e.user.rank
        self.sort_name = e.user.full_name


@transaction.atomic
def groups_generate(*, program, count: int, by, rooms: list[str] | None = None):
    """Replace the program's groups by `count` balanced ones; the highest-ranking member of
    each group becomes its leader."""
    program = _lock_program(program)
    _ensure_open(program)
    members = list(selectors.enrollments_for_program(program))
    if not members:
        raise DomainError(_("还没有已录取的学员,无法分组。"))
    if count < 1 or count > len(members):
        raise DomainError(_("分组数应在 1 到 %(n)d 之间。") % {"n": len(members)}, field="count")
    rooms = rooms or []
    old_rooms = dict(DiscussionGroup.objects.filter(program=program).values_list("number", "room"))
    Enrollment.objects.filter(program=program).update(group=None)
    DiscussionGroup.objects.filter(program=program).delete()
    dealt = balance_into_groups([_Person(e) for e in members], count)
    groups = DiscussionGroup.objects.bulk_create(
        [
            DiscussionGroup(
                program=program,
                number=i + 1,
                name=_("第%(n)d组") % {"n": i + 1},
                room=(rooms[i] if i < len(rooms) else old_rooms.get(i + 1, "")),
                leader=dealt[i][0].enrollment.user if dealt[i] else None,
            )
            for i in range(count)
        ]
    )
    to_update = []
    for group, persons in zip(groups, dealt, strict=True):
        for p in persons:
            p.enrollment.group = group
            to_update.append(p.enrollment)
    Enrollment.objects.bulk_update(to_update, ["group"])
    audit_log(
        actor=by,
        action="enrollment.groups_generate",
        target=program,
        after={"count": count, "members": len(members)},
    )
    return groups


@transaction.atomic
def group_update(*, group, by, name: str, room: str, leader=None) -> DiscussionGroup:
    if (
        leader is not None
        and not Enrollment.objects.filter(group=group, user=leader, status=S.ENROLLED).exists()
    ):
        raise DomainError(_("组长必须是本组学员。"), field="leader")
    if not name.strip():
        raise DomainError(_("请填写组名。"), field="name")
    group.name, group.room, group.leader = name.strip(), room.strip(), leader
    group.save(update_fields=["name", "room", "leader", "updated_at"])
    audit_log(
        actor=by,
        action="enrollment.group_update",
        target=group,
        after={
            "name": group.name,
            "room": group.room,
            "leader": leader.full_name if leader else None,
        },
    )
    return group


@transaction.atomic
def group_move(*, enrollment, group, by) -> Enrollment:
    """Move an enrolled trainee to another group of the same program (or out of all groups)."""
    e = _lock_enrollment(enrollment)
    if e.status != S.ENROLLED:
        raise DomainError(_("只有已录取学员可以分组。"))
    if group is not None and group.program_id != e.program_id:
        raise DomainError(_("小组不属于本班。"), field="group")
    before = e.group_id
    if before == (group.pk if group else None):
        return e
    _leave_group(e)
    e.group = group
    e.save(update_fields=["group", "updated_at"])
    audit_log(
        actor=by,
        action="enrollment.group_move",
        target=e,
        before={"group": before},
        after={"group": group.pk if group else None},
    )
    return e


# ---- roster import --------------------------------------------------------------------------


def _jurisdiction_units(program):
    """(units, by_id) of the program's jurisdiction, the territory itself included."""
    from accounts.models import OrgUnit

    units = list(OrgUnit.objects.filter(path__startswith=_jurisdiction(program)))
    return units, {u.pk: u for u in units}


def _units_by_text(program, texts) -> dict:
    """Map unit text from the file to an OrgUnit inside the program's jurisdiction: an alias an
    organizer chose before, else a unit written exactly (in any of its forms: 市发展和改革委员会,
    云江市发展和改革委员会, 青湖区桃源镇人民政府). Anything else is None (unknown): never a guess."""
    from enrollment.models import UnitAlias
    from enrollment.roster_import import match_unit

    texts = {t for t in texts if t}
    if not texts:
        return {}
    units, by_id = _jurisdiction_units(program)
    aliases = {
        a.text: by_id.get(a.unit_id)
        for a in UnitAlias.objects.filter(text__in=texts, unit__in=list(by_id)).order_by(
            "updated_at"
        )
    }
    return {t: aliases.get(t) or match_unit(t, units, by_id) for t in texts}


def _match_rows(program, rows: list[dict], *, by=None) -> list[dict]:
    """Decide for each parsed row: `match` (an existing user), `new`, `already` (enrolled
    already: skipped) or `error`, with messages. Queries are fixed in number, not per row.
    What matching adds to a row's messages is recomputed each time (the parse-level ones stay).
    The importer's own row is an error: nobody enrols themselves."""
    from accounts.models import User

    staff = {r["staff_number"] for r in rows if r["staff_number"]}
    ids = {r["id_number"] for r in rows if r["id_number"] and not r.get("id_error")}
    phones = {r["phone"] for r in rows if r["phone"]}
    users = (
        list(
            User.objects.filter(
                Q(staff_number__in=staff) | Q(id_number__in=ids) | Q(phone__in=phones)
            ).select_related("unit")
        )
        if (staff or ids or phones)
        else []
    )
    by_staff, by_id, by_phone = {}, {}, {}
    for u in users:
        if u.staff_number:
            by_staff.setdefault(u.staff_number, []).append(u)
        if u.id_number:
            by_id.setdefault(u.id_number, []).append(u)
        if u.phone:
            by_phone.setdefault(u.phone, []).append(u)
    existing = dict(
        Enrollment.objects.filter(program=program, user__in=users).values_list("user_id", "status")
    )
    units = _units_by_text(program, [r["unit"] for r in rows])
    # People with no phone, ID or staff number on record can only be told apart by name.
    namesakes = set(
        User.objects.filter(full_name__in={r["name"] for r in rows if r["name"]}).values_list(
            "full_name", "unit_id"
        )
    )
    seen: dict = {}
    out = []
    for src in rows:
        r = {
            **src,
            "errors": list(src.get("parse_errors", src["errors"])),
            "warnings": list(src.get("parse_warnings", src["warnings"])),
            "id_error": src.get("id_error", ""),
        }
        r.update(
            action="error",
            user_id=None,
            user_name="",
            user_unit="",
            unit_id=None,
            unit_unknown=False,
            id_warning="",
        )
        id_ok = r["id_number"] and not r["id_error"]
        keys = [
            k
            for k in (
                ("staff", r["staff_number"]),
                ("id", r["id_number"] if id_ok else ""),
                ("phone", r["phone"]),
            )
            if k[1]
        ]
        for key in keys:
            if key in seen:
                r["errors"].append(_("与第 %(n)d 行是同一人(重复)。") % {"n": seen[key]})
                break
        for key in keys:
            seen.setdefault(key, r["row"])
        candidates = set()
        for found in (
            by_staff.get(r["staff_number"]),
            by_id.get(r["id_number"]) if id_ok else None,
        ):
            if found:
                candidates.update(found)
        phone_users = by_phone.get(r["phone"], [])
        if len(phone_users) == 1:
            candidates.update(phone_users)  # a phone owned by someone else is a conflict
        elif len(phone_users) > 1 and not candidates:
            r["errors"].append(_("手机号码对应多名人员,请补充工号或身份证号。"))
        if len(candidates) > 1:
            r["errors"].append(_("工号、身份证号、手机号码分别对应不同人员。"))
        elif len(candidates) == 1:
            user = candidates.pop()
            r.update(
                user_id=user.pk,
                user_name=user.full_name,
                user_unit=user.unit.name if user.unit_id else "",
            )
            if r["id_error"]:
                # A typo in the ID number of someone the phone or staff number identifies: they
                # are imported on their identity in the system; the file's number is not used.
                r["id_warning"] = r["id_error"]
                r["warnings"].append(
                    _("%(err)s 已按手机号码或工号匹配到本人,以系统中的信息为准。")
                    % {"err": r["id_error"]}
                )
            try:
                self_decision_guard(subject=user, by=by)
            except DomainError as exc:
                r["errors"].append(exc.message)
            if r["name"] and user.full_name != r["name"]:
                r["errors"].append(
                    _("匹配到的人员姓名为“%(n)s”,与表中姓名不一致。") % {"n": user.full_name}
                )
            status = existing.get(user.pk)
            if not r["errors"]:
                if status == S.ENROLLED:
                    r["action"] = "already"
                else:
                    r["action"] = "match"
                    if status:
                        r["warnings"].append(
                            _("原状态为“%(s)s”,导入后改为已录取。") % {"s": S(status).label}
                        )
        else:
            if r["id_error"]:
                r["errors"].append(r["id_error"])
            unit = units.get(r["unit"])
            if not r["unit"]:
                r["errors"].append(_("系统中没有此人,且未填写单位。"))
            elif unit is None:
                r["unit_unknown"] = True
                r["errors"].append(
                    _("系统中找不到单位“%(u)s”:请在上方“单位待确认”中选择对应的单位。")
                    % {"u": r["unit"]}
                )
            else:
                r["unit_id"], r["user_unit"] = unit.pk, unit.name
            if not (r["phone"] or r["id_number"]):
                r["errors"].append(_("新人员须有手机号码或身份证号。"))
            if not r["errors"]:
                r["action"] = "new"
                if (r["name"], r["unit_id"]) in namesakes:
                    r["warnings"].append(
                        _(
                            "本单位已有同名人员“%(n)s”,请核实是否为同一人(可在表中补充工号或身份证号)。"
                        )
                        % {"n": r["name"]}
                    )
        if r["errors"]:
            r["action"] = "error"
        out.append(r)
    return out


def preview_digest(rows) -> str:
    """What a preview decided, independent of the language its messages are in: the same
    digest at confirmation means the organizer saw what will be written."""
    import hashlib
    import json

    keys = ("row", "action", "user_id", "unit_id", *ROW_FIELDS)
    decided = [[r.get(k) for k in keys] for r in rows]
    return hashlib.sha256(json.dumps(decided, ensure_ascii=False).encode()).hexdigest()


@transaction.atomic
def import_preview_create(*, program, upload, by):
    """Parse and match an uploaded roster; store the preview. Nothing else is written."""
    from enrollment.models import ImportBatch
    from enrollment.roster_import import parse_roster

    _ensure_open(_lock_program(program))
    parsed = parse_roster(upload)
    rows = _match_rows(program, parsed.rows, by=by)
    return ImportBatch.objects.create(
        program=program,
        created_by=by,
        filename=(upload.name or "")[:200],
        header_row=parsed.header_row,
        columns=parsed.columns,
        unused_columns=parsed.unused,
        rows=rows,
        preview_hash=preview_digest(rows),
    )


def import_counts(rows) -> dict:
    counts = {"match": 0, "new": 0, "already": 0, "error": 0}
    for r in rows:
        counts[r["action"]] += 1
    return counts


def _locked_preview(batch):
    from enrollment.models import ImportBatch

    batch = ImportBatch.objects.select_for_update().select_related("program").get(pk=batch.pk)
    if batch.status != ImportBatch.Status.PREVIEW:
        raise DomainError(_("这批名册已经处理过了。"))
    return batch


def _rematch(batch, by) -> None:
    batch.rows = _match_rows(batch.program, batch.rows, by=by)
    batch.preview_hash = preview_digest(batch.rows)
    batch.save(update_fields=["rows", "preview_hash", "updated_at"])


@transaction.atomic
def import_unit_resolve(*, batch, text: str, unit, by):
    """The organizer says which unit a roster's unknown unit text means: every row with that
    text takes it, and the choice is remembered (UnitAlias, within the program's territory) for
    the next roster. Only units inside the program's jurisdiction."""
    from accounts.models import OrgUnit
    from enrollment.models import UnitAlias

    batch = _locked_preview(batch)
    program = batch.program
    _ensure_open(program)
    text = (text or "").strip()[:120]
    if not text or not any(r["unit"] == text for r in batch.rows):
        raise DomainError(_("名册中没有这个单位写法。"), field="unit")
    jurisdiction = _jurisdiction(program)
    if unit is None or not unit.path.startswith(jurisdiction):
        raise DomainError(_("只能选择本班调训范围内的单位。"), field="unit")
    scope = OrgUnit.objects.get(path=jurisdiction)
    alias, created = UnitAlias.objects.update_or_create(
        scope=scope, text=text, defaults={"unit": unit, "created_by": by}
    )
    audit_log(
        actor=by,
        action="enrollment.unit_alias",
        target=alias,
        after={"text": text, "unit": unit.name, "batch": batch.pk},
    )
    _rematch(batch, by)
    return alias


@transaction.atomic
def import_row_edit(*, batch, row: int, cells: dict, by):
    """Correct one row's cells in the preview (a typo in an ID number, a missing unit); the row
    is cleaned as if read from the file, and every row is matched again (a duplicate may have
    appeared or gone)."""
    from enrollment.roster_import import clean_row

    batch = _locked_preview(batch)
    _ensure_open(batch.program)
    index = next((i for i, r in enumerate(batch.rows) if r["row"] == row), None)
    if index is None:
        raise DomainError(_("预览中没有第 %(n)d 行。") % {"n": row})
    values = {k: cells.get(k, "") for k in ROW_FIELDS}
    values["rank"] = values.pop("rank_text")
    before = {k: batch.rows[index].get(k) for k in ROW_FIELDS}
    batch.rows[index] = clean_row(values, row)
    audit_log(
        actor=by,
        action="enrollment.import_row_edit",
        target=batch,
        before={"row": row, **{k: v for k, v in before.items() if k not in ("id_number", "phone")}},
        after={"row": row, "name": batch.rows[index]["name"], "unit": batch.rows[index]["unit"]},
    )
    _rematch(batch, by)
    return batch


def _usernames_for(count: int) -> list[str]:
    """Fresh login names that are not personal data ("u" + 8 random digits, never the ID or
    phone number), in one query whatever the count (a clash is drawn again)."""
    import secrets

    from accounts.models import User

    names: set[str] = set()
    while len(names) < count:
        draw = {f"u{secrets.randbelow(10**8):08d}" for _i in range(count - len(names))}
        taken = set(User.objects.filter(username__in=draw).values_list("username", flat=True))
        names |= draw - taken
    return sorted(names)


def _nothing_to_import(rows, create_missing: bool) -> DomainError:
    """Say what is needed when a confirmation would import nobody."""
    tally = import_counts(rows)
    if tally["new"] and not create_missing:
        return DomainError(
            _(
                "表中 %(n)d 名人员在系统中还没有账号:请勾选“为新人员创建账号并录取”后再确认"
                "(或先在系统中添加这些人员)。"
            )
            % {"n": tally["new"]},
            field="create_missing",
            code="needs_accounts",
        )
    if tally["already"] and not tally["error"]:
        return DomainError(_("表中人员都已在本班名册中,无需导入。"), code="nothing")
    return DomainError(
        _("没有可以导入的人员:%(n)d 行有错误,请在预览中修改这些行或修改文件后重新上传。")
        % {"n": tally["error"]},
        code="nothing",
    )


class StalePreview(DomainError):
    pass


def import_commit(*, batch, by, create_missing: bool, seen_hash: str | None = None):
    """Enroll every good row of a previewed import in one transaction, re-matching first (the
    data may have changed since the preview). If the re-matched rows differ from what the
    organizer saw (`seen_hash`, else the stored preview), nothing is imported: the refreshed
    preview is stored and a DomainError asks to check it again. Rows in error are skipped; new
    people are created only when `create_missing`. If anything fails (capacity, a concurrent
    change), nothing is written. The number of queries does not grow with the number of rows:
    accounts, roster rows and audit entries are written in bulk."""
    try:
        with transaction.atomic():
            return _import_commit(
                batch=batch, by=by, create_missing=create_missing, seen_hash=seen_hash
            )
    except StalePreview as stale:
        with transaction.atomic():
            _rematch(_locked_preview(batch), by)
        raise DomainError(stale.message, code="stale") from None


def _import_commit(*, batch, by, create_missing, seen_hash):
    from accounts.models import User
    from enrollment.models import ImportBatch

    batch = _locked_preview(batch)
    program = _lock_program(batch.program)
    _ensure_open(program)
    rows = _match_rows(program, batch.rows, by=by)
    if preview_digest(rows) != (seen_hash or batch.preview_hash):
        raise StalePreview(
            _("预览生成后名册或系统中的人员已有变化,未导入任何人员。请重新核对预览后再确认。")
        )
    to_enroll = [r for r in rows if r["action"] == "match"]
    to_create = [r for r in rows if r["action"] == "new"] if create_missing else []
    if not to_enroll and not to_create:
        raise _nothing_to_import(rows, create_missing)
    needed = len(to_enroll) + len(to_create)
    enrolled = _enrolled_count(program)
    if enrolled + needed > program.capacity:
        raise DomainError(
            _("导入后人数(%(total)d)将超过本班计划人数(%(cap)d),未导入任何人员。")
            % {"total": enrolled + needed, "cap": program.capacity},
            code="full",
        )
    created_users = []
    for r, username in zip(to_create, _usernames_for(len(to_create)), strict=True):
        user = User(
            username=username,
            full_name=r["name"],
            unit_id=r["unit_id"],
            phone=r["phone"],
            id_number=r["id_number"],
            gender=r["gender"],
            rank=r["rank"],
            position=r["position"][:80],
            staff_number=r["staff_number"],
        )
        user.set_unusable_password()
        created_users.append(user)
    try:
        with transaction.atomic():
            User.objects.bulk_create(created_users)
    except IntegrityError:  # a username taken by a concurrent import
        raise DomainError(_("名册导入时有人员同时被添加,请重新上传后再确认。")) from None
    for r, user in zip(to_create, created_users, strict=True):
        r["user_id"] = user.pk
    users = {u.pk: u for u in created_users}
    matched_ids = [r["user_id"] for r in to_enroll]
    users.update(User.objects.in_bulk(matched_ids))
    _enroll_rows(program, [(r, users[r["user_id"]]) for r in to_enroll + to_create], by)
    summary = {
        "enrolled": len(to_enroll),
        "created": len(created_users),
        "skipped_new": len([r for r in rows if r["action"] == "new"]) - len(to_create),
        "already": len([r for r in rows if r["action"] == "already"]),
        "errors": len([r for r in rows if r["action"] == "error"]),
    }
    batch.rows, batch.summary = rows, summary
    batch.status, batch.committed_at = ImportBatch.Status.COMMITTED, timezone.now()
    batch.save(update_fields=["rows", "summary", "status", "committed_at", "updated_at"])
    audit_log(actor=by, action="enrollment.import_commit", target=batch, after=summary)
    notify_many(
        users=list(users.values()),
        title=gettext_lazy("已列入培训名册:%(program)s"),
        body=gettext_lazy("请按时参训。"),
        url=reverse("enrollment:mine"),
        kind="enrollment",
        params={"program": program.title},
    )
    return batch


def _enroll_rows(program, pairs, by) -> None:
    """Enroll (row, user) pairs in bulk: an applicant, nominee or waitlisted person simply
    becomes enrolled on their row; a rejected or withdrawn row is reopened as a fresh start;
    everyone else gets a new row. One audit entry per person, as before."""
    now = timezone.now()
    existing = {
        e.user_id: e
        for e in Enrollment.objects.select_for_update().filter(
            program=program, user__in=[u.pk for _r, u in pairs]
        )
    }
    reopened, fresh, audits = [], [], []
    for r, user in pairs:
        e = existing.get(user.pk)
        if e is None:
            e = Enrollment(
                program=program,
                user=user,
                unit_id=user.unit_id,
                status=S.ENROLLED,
                source=Enrollment.Source.IMPORT,
                status_changed_at=now,
                roster_note=r.get("note", ""),
            )
            fresh.append((e, r))
            continue
        before = e.status
        if e.status in selectors.CLOSED_STATUSES:
            _reopen(e, user=user, status=S.ENROLLED, source=Enrollment.Source.IMPORT, now=now)
            after = {"status": S.ENROLLED, "row": r["row"]}
        else:
            e.status, e.status_changed_at, e.waitlist_position = S.ENROLLED, now, None
            e.decided_by = by
            after = {"status": S.ENROLLED}
        e.updated_at = now
        e.roster_note = r.get("note", "")  # the new roster's word on this person
        reopened.append(e)
        audits.append(
            AuditEntry(
                actor=by,
                action="enrollment.import",
                target=e,
                before={"status": before},
                after=after,
            )
        )
    Enrollment.objects.bulk_update(
        reopened,
        [
            "status",
            "status_changed_at",
            "source",
            "unit",
            "roster_note",
            "updated_at",
            *_REOPEN_RESET,
        ],
    )
    try:
        with transaction.atomic():
            Enrollment.objects.bulk_create([e for e, _r in fresh])
    except IntegrityError:  # the same person was added by a concurrent request
        raise DomainError(_("名册导入时有人员同时被添加,请重新上传后再确认。")) from None
    audits += [
        AuditEntry(
            actor=by,
            action="enrollment.import",
            target=e,
            after={"status": S.ENROLLED, "row": r["row"]},
        )
        for e, r in fresh
    ]
    audit_log_many(audits)


@transaction.atomic
def import_cancel(*, batch, by):
    from enrollment.models import ImportBatch

    if batch.status != ImportBatch.Status.PREVIEW:
        raise DomainError(_("这批名册已经处理过了。"))
    batch.status = ImportBatch.Status.CANCELLED
    batch.save(update_fields=["status", "updated_at"])
    return batch


# How long an uploaded roster's rows (names, ID numbers, phone numbers) are kept: a preview
# nobody confirmed, or a cancelled one, goes after IMPORT_PREVIEW_DAYS; an imported one keeps its
# summary (who imported what, when, how many) but its rows are cleared after IMPORT_DETAIL_DAYS.
IMPORT_PREVIEW_DAYS = 7
IMPORT_DETAIL_DAYS = 30


def import_batches_purge(*, now=None) -> dict:
    """The nightly clean-up of uploaded rosters (see IMPORT_PREVIEW_DAYS). Idempotent."""
    from enrollment.models import ImportBatch

    now = now or timezone.now()
    S = ImportBatch.Status
    deleted, _ = ImportBatch.objects.filter(
        status__in=[S.PREVIEW, S.CANCELLED],
        updated_at__lt=now - timedelta(days=IMPORT_PREVIEW_DAYS),
    ).delete()
    cleared = (
        ImportBatch.objects.filter(
            status=S.COMMITTED, committed_at__lt=now - timedelta(days=IMPORT_DETAIL_DAYS)
        )
        .exclude(rows=[])
        .update(rows=[], updated_at=now)
    )
    return {"deleted": deleted, "cleared": cleared}
