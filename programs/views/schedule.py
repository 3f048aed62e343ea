"""A person's own schedule and the calendar feeds (iCalendar) behind it."""

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST, require_safe

from core.links import absolute_url
from programs import selectors, services
from programs.ical import feed_calendar

# --- my schedule and feeds -----------------------------------------------------------------


def _feed_url(request, feed) -> str:
    """The subscription address to copy: SITE_URL, else the address the user is using."""
    return absolute_url(reverse("programs:feed", args=[feed.token]), request)


@login_required
@require_GET
def my_schedule(request):
    try:
        first = dt.date.fromisoformat(request.GET.get("from", ""))
    except ValueError:
        first = timezone.localdate()
    last = first + dt.timedelta(days=27)
    sessions = selectors.schedule_for_user(user=request.user, first=first, last=last)
    days: dict = {}
    for s in sessions:
        days.setdefault(timezone.localdate(s.start), []).append(s)
    lecturer = getattr(request.user, "lecturer_profile", None)
    ctx = {
        "days": sorted(days.items()),
        "first": first,
        "last": last,
        "prev": first - dt.timedelta(days=28),
        "next": last + dt.timedelta(days=1),
        "trainee_feed": _feed_url(request, services.calendar_feed_get_or_create(user=request.user)),
        "lecturer_feed": _feed_url(request, services.calendar_feed_get_or_create(lecturer=lecturer))
        if lecturer
        else "",
    }
    template = "programs/my_schedule.html#agenda" if request.htmx else "programs/my_schedule.html"
    return render(request, template, ctx)


@login_required
@require_POST
def feed_regenerate(request):
    if request.POST.get("kind") == "lecturer":
        lecturer = getattr(request.user, "lecturer_profile", None)
        if lecturer is None:
            raise PermissionDenied
        services.calendar_feed_regenerate(by=request.user, lecturer=lecturer)
    else:
        services.calendar_feed_regenerate(by=request.user, user=request.user)
    messages.success(request, _("订阅地址已更换,旧地址已失效。"))
    return redirect("programs:my_schedule")


@require_safe
def _feed_etag(request, calendar_feed, fingerprint) -> tuple[str, dt.datetime | None]:
    """The feed's ETag and Last-Modified: its sessions' fingerprint, the feed (its name, its
    owner), the language and the address it is fetched from (event links use it)."""
    import hashlib

    from django.utils.translation import get_language

    n, last, program_last, seq = fingerprint
    owner = (
        calendar_feed.lecturer.name if calendar_feed.lecturer_id else calendar_feed.user.full_name
    )
    key = "|".join(
        str(part)
        for part in (
            n,
            last,
            program_last,
            seq,
            calendar_feed.pk,
            calendar_feed.updated_at,
            owner,
            get_language(),
            request.get_host(),
            FEED_FORMAT,
        )
    )
    stamps = [t for t in (last, program_last, calendar_feed.updated_at) if t is not None]
    return f'"{hashlib.sha256(key.encode()).hexdigest()[:32]}"', max(stamps) if stamps else None


FEED_FORMAT = 2  # bump when the feed's text changes shape, so cached copies are refetched


def feed(request, token):
    """The secret-URL calendar; no login (calendar clients cannot log in). HEAD (which some
    calendar apps send to check a subscription) gets the same status and headers, no body.

    Calendar clients poll: a poll with If-None-Match / If-Modified-Since is answered 304 from one
    aggregate query (selectors.feed_fingerprint) when nothing changed; a full answer carries the
    same ETag, computed from the sessions it loads (no extra query)."""
    from django.utils.cache import get_conditional_response
    from django.utils.http import http_date

    calendar_feed = selectors.feed_by_token(token=token)
    conditional = "If-None-Match" in request.headers or "If-Modified-Since" in request.headers
    sessions = None
    if not conditional and request.method != "HEAD":
        sessions = selectors.feed_sessions(feed=calendar_feed)
    fingerprint = selectors.feed_fingerprint(feed=calendar_feed, sessions=sessions)
    etag, modified = _feed_etag(request, calendar_feed, fingerprint)
    if conditional:
        not_modified = get_conditional_response(
            request, etag=etag, last_modified=int(modified.timestamp()) if modified else None
        )
        if not_modified is not None:
            not_modified["ETag"] = etag
            not_modified["Cache-Control"] = "private, max-age=300"
            return not_modified
    if request.method == "HEAD":
        body = b""
    else:
        if sessions is None:
            sessions = selectors.feed_sessions(feed=calendar_feed)
        body = feed_calendar(feed=calendar_feed, sessions=sessions, request=request)
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["ETag"] = etag
    if modified is not None:
        response["Last-Modified"] = http_date(modified.timestamp())
    response["Content-Disposition"] = 'inline; filename="lectern.ics"'
    response["Cache-Control"] = "private, max-age=300"
    return response
