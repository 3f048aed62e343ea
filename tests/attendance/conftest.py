"""Attendance fixtures: the `world` session re-timed around now, and scan helpers."""

import datetime as dt
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from attendance import tokens


def retime(session, *, start_offset_min: float, length_min: float = 180):
    """Move a session so that it starts `start_offset_min` minutes from now."""
    now = timezone.now()
    session.start = now + dt.timedelta(minutes=start_offset_min)
    session.end = session.start + dt.timedelta(minutes=length_min)
    session.save(update_fields=["start", "end"])
    return session


def scan_outcome(response) -> str:
    """The outcome a scan result page shows (its card's data-outcome)."""
    match = re.search(r'data-outcome="([a-z_]+)"', response.content.decode())
    assert match, "not a scan result page"
    return match.group(1)


def scan_url(session, venue, purpose=tokens.CHECKIN, *, now=None):
    token = tokens.issue(session_id=session.pk, venue_id=venue.pk, purpose=purpose, now=now)
    return reverse("attendance:scan", args=[token])


@pytest.fixture
def live(world):
    """The world's session started two minutes ago: check-in is open and on time."""
    retime(world.session, start_offset_min=-2)
    return world


@pytest.fixture(autouse=True)
def _fresh_scan_sessions():
    """The check-in keeps sessions a few seconds per process; tests move them between scans
    (and reuse primary keys after a rollback)."""
    from attendance import services

    services.scan_session_cache_clear()
    yield
    services.scan_session_cache_clear()
