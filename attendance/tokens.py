"""Signed, short-lived QR tokens.

A token says "session S, venue V, purpose in/out, shown at second T" and carries an HMAC of that
(django.core.signing with SECRET_KEY and a salt of our own). The projector issues a new token every
ROTATE_SECONDS; the server accepts a token for MAX_AGE_SECONDS after it was issued, so a photo of the
screen forwarded a minute later is refused.
"""

import time
from dataclasses import dataclass

from django.core import signing

ROTATE_SECONDS = 10
MAX_AGE_SECONDS = 30
# A phone whose clock is a little ahead is not our problem: we compare with the server's clock
# only, but allow tokens issued up to this many seconds "in the future" (another web worker).
CLOCK_SKEW_SECONDS = 5

CHECKIN = "i"
CHECKOUT = "o"
PURPOSES = (CHECKIN, CHECKOUT)


def _signer() -> signing.Signer:
    # Made per call: Signer reads SECRET_KEY (and its fallbacks, for key rotation) when built.
    return signing.Signer(salt="lectern.attendance.qr")


class TokenError(Exception):
    """The token is not ours (forged or damaged)."""


class TokenExpired(TokenError):
    """The token was ours but is older than MAX_AGE_SECONDS (carries what it said)."""

    def __init__(self, scan: "Scan"):
        super().__init__("expired")
        self.scan = scan


@dataclass(frozen=True)
class Scan:
    session_id: int
    venue_id: int
    purpose: str
    issued_at: int  # unix seconds


def current_slot(now: float | None = None) -> int:
    now = time.time() if now is None else now
    return int(now) - int(now) % ROTATE_SECONDS


def issue(*, session_id: int, venue_id: int, purpose: str, now: float | None = None) -> str:
    """The token for this session, venue and purpose in the current rotation slot. Within one
    slot the token is the same, so polling screens do not flicker."""
    if purpose not in PURPOSES:
        raise ValueError(purpose)
    slot = signing.b62_encode(current_slot(now))
    return _signer().sign(f"{session_id}.{venue_id}.{purpose}.{slot}")


def read(token: str, *, now: float | None = None) -> Scan:
    """The scan a token stands for. TokenError when forged, TokenExpired when too old."""
    try:
        value = _signer().unsign(token)
        sid, vid, purpose, slot = value.split(".")
        scan = Scan(int(sid), int(vid), purpose, signing.b62_decode(slot))
    except (signing.BadSignature, ValueError):
        raise TokenError("forged") from None
    if purpose not in PURPOSES:
        raise TokenError("forged")
    now = time.time() if now is None else now
    age = now - scan.issued_at
    if age > MAX_AGE_SECONDS or age < -CLOCK_SKEW_SECONDS:
        raise TokenExpired(scan)
    return scan
