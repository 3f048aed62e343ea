"""Projector screens and live boards: polled by htmx, answered 304 when nothing changed."""

import contextlib
import functools
import hashlib

import segno
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse, HttpResponseNotModified
from django.shortcuts import render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import add_never_cache_headers, patch_vary_headers

from attendance import selectors, tokens
from attendance.rules import Policy
from programs.access import (
    Access,
    session_get,
)

SCREEN_POLL_SECONDS = 5
BOARD_POLL_SECONDS = 5
POLL_CACHE_SECONDS = 120  # a built board/screen fragment, shared by the screens polling it
BOARD_MISSING_NAMES = 30  # names of missing trainees a board venue shows (all: the session page)


def _session_venue(user, pk, venue_pk):
    """A session the user runs, one of its venues, and all its venues (for the board). Venue
    managers get their own venues only."""
    session = session_get(user=user, pk=pk, need=Access.MANAGE)
    venues = selectors.session_venues(session)
    venue = next((v for v in venues if v.pk == int(venue_pk)), None)
    if venue is None:
        raise Http404
    if session.program_access < Access.MANAGE and venue.pk not in session.managed_venue_ids:
        raise PermissionDenied
    return session, venue, venues


def _poll_etag(request, session, *parts) -> str:
    """The ETag of a polled fragment: what it shows of the session (one cheap query), the scope
    of who looks (the whole session or their venues) and in which language, the host its links
    name, plus what the caller adds (token slot, window state). Nothing else of the viewer is in
    the fragment, so it is also the key of the fragment shared by every screen (_shared)."""
    key = repr(
        (
            request.scheme,
            request.get_host(),
            getattr(request, "LANGUAGE_CODE", ""),
            session.program.updated_at,
            sorted(getattr(session, "managed_venue_ids", ()) or ()),
            getattr(session, "program_access", None),
            selectors.poll_fingerprint(session),
            *parts,
        )
    )
    return f'"{hashlib.blake2b(key.encode(), digest_size=12).hexdigest()}"'


def _shared(etag, build) -> str:
    """The polled fragment for this ETag, built once for all screens polling the same session
    (20 projectors after a scan cost one build, not 20); kept briefly in the cache."""
    key = f"attendance:poll:{etag.strip(chr(34))}"
    try:
        html = cache.get(key)
    except Exception:  # the cache is an optimisation: a broken one must not break the screen
        html = None
    if html is None:
        html = build()
        with contextlib.suppress(Exception):
            cache.set(key, html, POLL_CACHE_SECONDS)
    return html


def _not_modified(request, etag):
    """304 when the poller already holds this fragment (If-None-Match), else None."""
    held = request.headers.get("If-None-Match", "")
    if etag in [t.strip().removeprefix("W/") for t in held.split(",")]:
        response = HttpResponseNotModified()
        _revalidate(response, etag)
        return response
    return None


def _revalidate(response, etag):
    """Polled fragments may be kept by the browser but must be revalidated on every poll (so
    htmx's XHR sends If-None-Match); the full page is never kept (its clock carries the time)."""
    response["ETag"] = etag
    response["Cache-Control"] = "private, no-cache"
    patch_vary_headers(response, ["HX-Request", "Cookie", "Accept-Language"])
    return response


def _polled(view):
    """The full page is never cached; the htmx poll of its live part answers conditionally."""

    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        response = view(request, *args, **kwargs)
        if not response.has_header("ETag"):
            add_never_cache_headers(response)
        return response

    return wrapper


@_polled
@login_required
def screen(request, pk, venue_pk):
    """The projector page of one venue: rotating QR, clock, live counts (htmx polls #live; an
    unchanged poll answers 304 without building the board)."""
    session, venue, venues = _session_venue(request.user, pk, venue_pk)
    purpose = tokens.CHECKOUT if request.GET.get("purpose") == "out" else tokens.CHECKIN
    policy = Policy.of(session.program)
    window = (
        policy.checkout_window(session.end)
        if purpose == tokens.CHECKOUT
        else policy.checkin_window(session.start)
    )
    now = timezone.now()
    is_open = window[0] <= now <= window[1]
    if request.htmx:
        slot = tokens.current_slot() if is_open else None
        etag = _poll_etag(
            request, session, "screen", venue.pk, purpose, is_open, now < window[0], slot
        )
        if (unchanged := _not_modified(request, etag)) is not None:
            return unchanged
        html = _shared(
            etag, lambda: _screen_live(request, session, venue, venues, purpose, window, now)
        )
        return _revalidate(HttpResponse(html), etag)
    return render(
        request,
        "attendance/screen.html",
        _screen_context(request, session, venue, venues, purpose, window, now),
    )


def _screen_live(request, session, venue, venues, purpose, window, now) -> str:
    context = _screen_context(request, session, venue, venues, purpose, window, now)
    return render_to_string("attendance/screen.html#live", context, request)


def _screen_context(request, session, venue, venues, purpose, window, now) -> dict:
    is_open = window[0] <= now <= window[1]
    board = selectors.session_board_counts(session=session, venues=venues)
    # A scannable code only while its window is open: before, the screen says when it opens
    # (the poll brings the code in time); after, that it has closed.
    qr = url = ""
    if is_open:
        token = tokens.issue(session_id=session.pk, venue_id=venue.pk, purpose=purpose)
        url = request.build_absolute_uri(reverse("attendance:scan", args=[token]))
        qr = segno.make(url, error="m").svg_inline(scale=1, border=2, omitsize=True, light="#fff")
    return {
        "session": session,
        "venue": venue,
        "purpose": purpose,
        "qr": qr,
        "scan_url": url,
        "board": board,
        "venue_board": board.venue(venue.pk),
        "window": window,
        "now": now,
        "is_open": is_open,
        "not_yet": now < window[0],
        "poll": SCREEN_POLL_SECONDS,
        "rotate": tokens.ROTATE_SECONDS,
        "max_age": tokens.MAX_AGE_SECONDS,
        "other_purpose": "in" if purpose == tokens.CHECKOUT else "out",
    }


@_polled
@login_required
def board(request, pk):
    """The live board: per venue checked in / expected, late, flagged, and the first names of
    who is missing (the full list is on the session's attendance page). An unchanged htmx poll
    answers 304 without building the board."""
    session = session_get(user=request.user, pk=pk, need=Access.MANAGE)
    if request.htmx:
        etag = _poll_etag(request, session, "board")
        if (unchanged := _not_modified(request, etag)) is not None:
            return unchanged
        html = _shared(
            etag,
            lambda: render_to_string(
                "attendance/board.html#live", _board_context(session), request
            ),
        )
        return _revalidate(HttpResponse(html), etag)
    return render(request, "attendance/board.html", _board_context(session))


def _board_context(session) -> dict:
    board = selectors.session_board_counts(
        session=session, scope=selectors.session_scope(session), names=BOARD_MISSING_NAMES
    )
    return {
        "session": session,
        "board": board,
        "now": timezone.now(),
        "poll": BOARD_POLL_SECONDS,
        "venues": [vb.venue for vb in board.venues],  # the board loaded them (in scope) already
        "missing_more": -BOARD_MISSING_NAMES,
    }
