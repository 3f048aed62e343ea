"""Random call-on (现场点名) among the trainees checked in to a session."""

from collections import Counter

from accounts.models import User
from attendance.rules import IN_ROOM as ATTENDED  # in the room, pending check-out included
from enrollment.models import Enrollment
from evaluation.models import (
    CallOnPick,
)


def callon_candidates(*, session) -> list[tuple[User, int]]:
    """Trainees checked in to the session and not yet called in it, each with how many times
    they have spoken in the whole program."""
    users = list(_candidates(session).select_related("unit"))
    spoken = Counter(
        CallOnPick.objects.filter(program_id=session.program_id).values_list("user_id", flat=True)
    )
    return [(u, spoken[u.pk]) for u in users]


def callon_remaining(*, session) -> int:
    """How many trainees may still be called on in the session (one COUNT, no rows)."""
    return _candidates(session).count()


def _candidates(session):
    picked_here = CallOnPick.objects.filter(session=session).values("user_id")
    return (
        User.objects.filter(
            attendance__session=session,
            attendance__checkin_at__isnull=False,
            attendance__status__in=ATTENDED,
            enrollments__program_id=session.program_id,
            enrollments__status=Enrollment.Status.ENROLLED,
        )
        .exclude(pk__in=picked_here)
        .distinct()
    )


def callon_history(*, session, limit: int = 50):
    return CallOnPick.objects.filter(session=session).select_related("user__unit")[:limit]
