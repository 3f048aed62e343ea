"""iCalendar feeds (RFC 5545) with the icalendar library: times in Asia/Shanghai with a
VTIMEZONE, venue and lecturers in each event, cancelled sessions as STATUS:CANCELLED, and each
event's SEQUENCE (Session.sequence, bumped when a session is moved or cancelled) so calendar
apps replace their copy.

RFC 5545 §3.6 requires at least one component in a calendar: the VTIMEZONE of Asia/Shanghai
is always written, so a feed with no session yet is still a valid calendar (no placeholder
event)."""

from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from icalendar import Calendar, Event, Timezone

from core.links import absolute_url
from programs.models import CalendarFeed, Session
from programs.recurrence import local_zone


def _location(session: Session) -> str:
    names = [session.venue.name] if session.venue else []
    branches = [v.name for v in session.branch_venues.all()]
    if branches:
        names.append(_("分课堂:%(names)s") % {"names": _("、").join(branches)})
    return _(";").join(names)


def feed_name(feed: CalendarFeed) -> str:
    """The calendar's name in the subscriber's app: a lecturer who is also a trainee sees two
    feeds, so the name says which one it is."""
    if feed.kind == CalendarFeed.Kind.LECTURER:
        return _("讲台 · %(owner)s · 授课日程") % {"owner": feed.lecturer.name}
    return _("讲台 · %(owner)s · 学员日程") % {"owner": feed.user.full_name}


def feed_calendar(*, feed: CalendarFeed, sessions: list[Session], request=None) -> bytes:
    cal = Calendar()
    cal.add("prodid", "-//Lectern//讲台//ZH")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    cal.add("x-wr-calname", feed_name(feed))
    cal.add("x-wr-timezone", settings.TIME_ZONE)
    cal.add_component(Timezone.from_tzid(settings.TIME_ZONE))
    zone = local_zone()
    for s in sessions:
        event = Event()
        event.add("uid", f"session-{s.pk}@lectern")
        event.add(
            "summary", _("%(topic)s(%(program)s)") % {"topic": s.topic, "program": s.program.title}
        )
        event.add("dtstart", timezone.localtime(s.start, zone))
        event.add("dtend", timezone.localtime(s.end, zone))
        event.add("dtstamp", s.updated_at)
        event.add("last-modified", s.updated_at)
        location = _location(s)
        if location:
            event.add("location", location)
        lecturers = _("、").join(lec.name for lec in s.lecturers.all())
        lines = [f"{s.get_kind_display()} · {s.program.title}"]
        if lecturers:
            lines.append(_("授课人:%(names)s") % {"names": lecturers})
        if s.notes:
            lines.append(s.notes)
        event.add("categories", [s.get_kind_display()])
        event.add("sequence", s.sequence)
        if s.status == Session.Status.CANCELLED:
            event.add("status", "CANCELLED")
            if s.cancel_reason:
                lines.append(_("停课原因:%(reason)s") % {"reason": s.cancel_reason})
        else:
            event.add("status", "CONFIRMED")
        event.add("description", "\n".join(lines))
        event.add("url", absolute_url(reverse("programs:detail", args=[s.program_id]), request))
        cal.add_component(event)
    cal.add_missing_timezones()
    return cal.to_ical()
