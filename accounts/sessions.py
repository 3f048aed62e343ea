"""Session limits (等保: idle timeout, absolute lifetime, one session per administrator).

At sign-in (accounts.signals) the session is stamped with its start, its last activity and the
idle limit of the person's role class; accounts.middleware.SessionPolicyMiddleware ends it when
either limit has passed. Stamps live in the session itself, so no query is added per request.
"""

import time

from django.conf import settings

STARTED = "_lectern_started"
LAST = "_lectern_last"
IDLE = "_lectern_idle"
ABSOLUTE = "_lectern_abs"
PW_EXPIRED = "_lectern_pw_expired"
OTP_REQUIRED = "_lectern_otp_required"
# The last-activity stamp is written at most this often (seconds): one session write a minute
# instead of one per request.
TOUCH_EVERY = 60


def _has(user, relation: str) -> bool:
    """Whether a reverse relation added by a higher app (program staff, venues, lecturer)
    holds anything, without importing that app."""
    try:
        rel = getattr(user, relation)
    except Exception:  # no such relation (app not installed) or an empty one-to-one
        return False
    return rel.exists() if hasattr(rel, "exists") else rel is not None


def session_class(user) -> str:
    """ "admin" (business admin or one of the three), "staff" (any other role) or "trainee"."""
    from accounts.scoping import roles_of

    roles = roles_of(user)
    if roles.is_any_admin or user.is_superuser:
        return "admin"
    if (
        user.is_staff
        or roles.is_organizer
        or roles.is_liaison
        or _has(user, "program_roles")
        or _has(user, "managed_venues")
        or _has(user, "lecturer_profile")
    ):
        return "staff"
    return "trainee"


def limits_for(kind: str) -> tuple[int, int]:
    """(idle seconds, absolute seconds) for a session class."""
    idle = {
        "admin": settings.LECTERN_SESSION_IDLE_MINUTES_ADMIN,
        "staff": settings.LECTERN_SESSION_IDLE_MINUTES,
        "trainee": settings.LECTERN_SESSION_IDLE_MINUTES_TRAINEE,
    }[kind]
    absolute = (
        settings.LECTERN_SESSION_ABSOLUTE_HOURS_TRAINEE
        if kind == "trainee"
        else settings.LECTERN_SESSION_ABSOLUTE_HOURS
    )
    return int(idle) * 60, int(absolute) * 3600


def stamp(session, user) -> str:
    kind = session_class(user)
    idle, absolute = limits_for(kind)
    now = int(time.time())
    session[STARTED] = now
    session[LAST] = now
    session[IDLE] = idle
    session[ABSOLUTE] = absolute
    return kind


def expired(session, now: float | None = None) -> str:
    """ "idle" or "absolute" when the session has passed a limit, else ""."""
    if STARTED not in session:
        return ""
    now = time.time() if now is None else now
    if now - session.get(STARTED, now) > session.get(ABSOLUTE, 12 * 3600):
        return "absolute"
    if now - session.get(LAST, now) > session.get(IDLE, 30 * 60):
        return "idle"
    return ""


def touch(session, now: float | None = None) -> bool:
    now = int(time.time() if now is None else now)
    if now - session.get(LAST, 0) >= TOUCH_EVERY:
        session[LAST] = now
        return True
    return False
