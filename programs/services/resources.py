"""Venues and lecturers."""

from django.db import transaction
from django.utils.translation import gettext as _

from core.errors import DomainError
from core.services import audit_log
from programs.models import (
    Lecturer,
    Venue,
)
from programs.services.common import check_numbers


@transaction.atomic
def venue_save(*, by, data: dict, venue: Venue | None = None) -> Venue:
    """Create or change a venue; managers is a list of users."""
    managers = data.pop("managers", None)
    venue = venue or Venue()
    for key, value in data.items():
        setattr(venue, key, value)
    check_numbers(venue, ["capacity"])
    venue.save()
    if managers is not None:
        venue.managers.set(managers)
    audit_log(actor=by, action="venue.save", target=venue, after={"name": venue.name})
    return venue


@transaction.atomic
def lecturer_save(*, by, data: dict, lecturer: Lecturer | None = None) -> Lecturer:
    """Create or change a lecturer entry; `user` links an account (or None)."""
    lecturer = lecturer or Lecturer()
    for key, value in data.items():
        setattr(lecturer, key, value)
    user = data.get("user")
    if user is not None and Lecturer.objects.filter(user=user).exclude(pk=lecturer.pk).exists():
        raise DomainError(_("该账号已关联其他授课人。"), field="user")
    lecturer.save()
    audit_log(actor=by, action="lecturer.save", target=lecturer, after={"name": lecturer.name})
    return lecturer
