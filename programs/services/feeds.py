"""Calendar feeds (iCalendar) of trainees and lecturers: one secret URL each."""

import secrets

from django.db import IntegrityError, transaction

from core.services import audit_log
from programs.models import (
    CalendarFeed,
)


def _owner(user, lecturer) -> dict:
    if lecturer is not None:
        return {"kind": CalendarFeed.Kind.LECTURER, "lecturer": lecturer}
    return {"kind": CalendarFeed.Kind.TRAINEE, "user": user}


def calendar_feed_get_or_create(*, user=None, lecturer=None) -> CalendarFeed:
    """The feed of a trainee (user) or a lecturer; created on first use."""
    owner = _owner(user, lecturer)
    feed = CalendarFeed.objects.filter(**owner).first()
    if feed is not None:
        return feed
    try:
        with transaction.atomic():
            return CalendarFeed.objects.create(token=secrets.token_urlsafe(24), **owner)
    except IntegrityError:  # created by a concurrent request
        return CalendarFeed.objects.get(**owner)


@transaction.atomic
def calendar_feed_regenerate(*, by, user=None, lecturer=None) -> CalendarFeed:
    """A new secret URL; the old one stops working at once."""
    feed = calendar_feed_get_or_create(user=user, lecturer=lecturer)
    feed.token = secrets.token_urlsafe(24)
    feed.save(update_fields=["token", "updated_at"])
    audit_log(actor=by, action="calendar_feed.regenerate", target=feed)
    return feed
