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
def feed(request, token):
    """The secret-URL calendar; no login (calendar clients cannot log in). HEAD (which some
    calendar apps send to check a subscription) gets the same status and headers, no body."""
    calendar_feed = selectors.feed_by_token(token=token)
    if request.method == "HEAD":
        body = b""
    else:
        body = feed_calendar(
            feed=calendar_feed,
            sessions=selectors.feed_sessions(feed=calendar_feed),
            request=request,
        )
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'inline; filename="lectern.ics"'
    response["Cache-Control"] = "private, max-age=300"
    return response
