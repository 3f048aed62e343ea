"""Self-application (点题) and the waitlist: apply, approve (a seat or the end of the
waitlist), reject, and promotion from the head of the waitlist whenever a seat frees."""

from django.db import transaction
from django.db.models import Max
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.errors import DomainError, self_decision_guard
from core.services import AuditEntry, audit_log, audit_log_many, notify, notify_many
from enrollment import selectors
from enrollment.models import (
    Enrollment,
)
from enrollment.services._base import (
    _ensure_open,
    _lock_enrollment,
    _lock_program,
    _notify_reviewers,
    _open_row,
    _set_status,
    application_room,
)
from programs.models import Program

S = Enrollment.Status


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
