"""QR tokens: signed, bound to session/venue/purpose/slot, accepted only for a short window."""

import pytest

from attendance import tokens

T0 = 1_800_000_000  # a slot boundary (divisible by ROTATE_SECONDS)


def test_token_round_trip():
    token = tokens.issue(session_id=7, venue_id=3, purpose=tokens.CHECKIN, now=T0 + 4)
    scan = tokens.read(token, now=T0 + 10)
    assert (scan.session_id, scan.venue_id, scan.purpose, scan.issued_at) == (7, 3, "i", T0)


def test_token_is_stable_within_a_slot_and_changes_with_the_next():
    a = tokens.issue(session_id=1, venue_id=1, purpose="i", now=T0)
    b = tokens.issue(session_id=1, venue_id=1, purpose="i", now=T0 + tokens.ROTATE_SECONDS - 1)
    c = tokens.issue(session_id=1, venue_id=1, purpose="i", now=T0 + tokens.ROTATE_SECONDS)
    assert a == b != c


def test_token_accepted_until_max_age_and_refused_after():
    token = tokens.issue(session_id=1, venue_id=1, purpose="i", now=T0)
    tokens.read(token, now=T0 + tokens.MAX_AGE_SECONDS)
    with pytest.raises(tokens.TokenExpired) as exc:
        tokens.read(token, now=T0 + tokens.MAX_AGE_SECONDS + 1)
    assert exc.value.scan.session_id == 1


def test_photo_forwarded_a_minute_later_fails():
    token = tokens.issue(session_id=1, venue_id=1, purpose="i", now=T0)
    with pytest.raises(tokens.TokenExpired):
        tokens.read(token, now=T0 + 60)


@pytest.mark.parametrize("field", ["session", "venue", "purpose", "time"])
def test_tampered_token_is_forged(field):
    token = tokens.issue(session_id=12, venue_id=34, purpose="i", now=T0)
    value, sig = token.rsplit(":", 1)
    sid, vid, purpose, slot = value.split(".")
    changed = {
        "session": f"13.{vid}.{purpose}.{slot}",
        "venue": f"{sid}.35.{purpose}.{slot}",
        "purpose": f"{sid}.{vid}.o.{slot}",
        "time": f"{sid}.{vid}.{purpose}.{tokens.signing.b62_encode(T0 + 50)}",
    }[field]
    with pytest.raises(tokens.TokenError) as exc:
        tokens.read(f"{changed}:{sig}", now=T0 + 1)
    assert not isinstance(exc.value, tokens.TokenExpired)


@pytest.mark.parametrize("junk", ["", "abc", "1.2.i.x:zzz", "::::"])
def test_garbage_is_forged(junk):
    with pytest.raises(tokens.TokenError):
        tokens.read(junk, now=T0)


def test_token_signed_with_another_key_is_forged(settings):
    token = tokens.issue(session_id=1, venue_id=1, purpose="i", now=T0)
    settings.SECRET_KEY = "another-secret-key-entirely-" + "x" * 30
    with pytest.raises(tokens.TokenError):
        tokens.read(token, now=T0)
