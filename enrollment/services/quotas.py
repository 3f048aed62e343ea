"""Quotas (调训名额) a unit may fill by named nomination, and the per-program enrollment policy."""

from django.db import transaction
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.errors import DomainError
from core.services import audit_log, notify_many
from enrollment import selectors
from enrollment.models import (
    Enrollment,
    EnrollmentPolicy,
    Quota,
)
from enrollment.services._base import (
    _jurisdiction,
    _lock_program,
)
from enrollment.services.applications import waitlist_promote

S = Enrollment.Status


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
