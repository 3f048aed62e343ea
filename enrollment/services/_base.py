"""What every enrollment workflow shares: the program and row locks, the closed-program
check, status changes with their bookkeeping, seat counts, opening or reopening a roster row,
and telling a program's reviewers.

Anything that changes who holds a seat locks the program row first (`_lock_program`), so seat
counts read after the lock are exact even when many withdrawals or approvals run at once.
"""

from django.db import IntegrityError, transaction
from django.db.models import Count, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from core.errors import DomainError
from core.services import notify_many
from enrollment import selectors
from enrollment.models import (
    DiscussionGroup,
    Enrollment,
)
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


def _jurisdiction(program) -> str:
    from programs.access import jurisdiction_path

    return jurisdiction_path(program.organizing_unit)


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


def _leave_group(e: Enrollment):
    if e.group_id:
        DiscussionGroup.objects.filter(pk=e.group_id, leader_id=e.user_id).update(leader=None)
        e.group = None
