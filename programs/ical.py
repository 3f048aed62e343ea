"""iCalendar feeds (RFC 5545) with the icalendar library: times in Asia/Shanghai with a
VTIMEZONE, venue and lecturers in each event, cancelled sessions as STATUS:CANCELLED."""

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _
from icalendar import Calendar, Event

from programs.models import CalendarFeed, Session
from programs.recurrence import local_zone


def _location(session: Session) -> str:
    names = [session.venue.name] if session.venue else []
    branches = [v.name for v in session.branch_venues.all()]
    if branches:
        names.append(_("分课堂:%(names)s") % {"names": _("、").join(branches)})
    return _(";").join(names)


def feed_calendar(*, feed: CalendarFeed, sessions: list[Session]) -> bytes:
    owner = feed.lecturer.name if feed.lecturer_id else feed.user.full_name
    cal = Calendar()
    cal.add("prodid", "-//Lectern//讲台//ZH")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    cal.add("x-wr-calname", _("讲台 · %(owner)s") % {"owner": owner})
    cal.add("x-wr-timezone", settings.TIME_ZONE)
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
        event.add("description", "\n".join(lines))
        event.add("categories", [s.get_kind_display()])
        event.add("status", "CANCELLED" if s.status == Session.Status.CANCELLED else "CONFIRMED")
        event.add("url", f"{settings.SITE_URL}/programs/{s.program_id}/")
        cal.add_component(event)
    cal.add_missing_timezones()
    return cal.to_ical()
