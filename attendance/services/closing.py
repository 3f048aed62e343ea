"""The scheduled closing of windows: absent once check-in has closed, missed check-outs."""

from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone

from attendance.models import (
    AttendanceRecord,
    AttendanceStatus,
    SessionClosure,
)
from attendance.rules import POLICY_FIELDS, Policy
from attendance.services.rate_warnings import rate_warnings_check
from enrollment.models import Enrollment
from programs.models import Session

# The scheduled job looks back this far for sessions whose windows closed (covers outages).
CLOSE_LOOKBACK = timedelta(days=7)


# --- Closing windows (scheduled) ----------------------------------------------------------
def sessions_close_due(*, now: datetime | None = None) -> dict:
    """Close every window that has passed: absent for trainees with no record once check-in has
    closed; missed check-outs once check-out has closed. Safe to run as often as you like."""
    now = now or timezone.now()
    done = {"absent": 0, "left_early": 0, "sessions": 0}
    candidates = (
        Session.objects.filter(start__lte=now, start__gte=now - CLOSE_LOOKBACK)
        .exclude(status=Session.Status.CANCELLED)
        .exclude(attendance_closure__checkout_closed_at__isnull=False)
        .select_related("program")
        .only(
            "id",
            "start",
            "end",
            "program_id",
            "venue_id",
            *(
                f"program__{f}"
                for f in (
                    *POLICY_FIELDS,
                    "attendance_warning_rate",
                    "leave_counts_as_attended",
                    "title",
                )
            ),
        )
    )
    for session in candidates:
        policy = Policy.of(session.program)
        if now >= policy.checkin_window(session.start)[1]:
            done["absent"] += session_mark_absent(session=session, now=now)
            done["sessions"] += 1
        if now >= policy.checkout_window(session.end)[1]:
            done["left_early"] += session_close_checkouts(session=session, now=now)
    return done


def _closure_locked(session) -> SessionClosure:
    try:
        with transaction.atomic():
            SessionClosure.objects.get_or_create(session=session)
    except IntegrityError:  # another beat process created it first
        pass
    return SessionClosure.objects.select_for_update().get(session=session)


@transaction.atomic
def session_mark_absent(*, session: Session, now: datetime) -> int:
    """Mark every enrolled trainee without a record absent, exactly once per session (a marker
    row locked FOR UPDATE, and a bulk insert that skips rows the unique constraint forbids)."""
    closure = _closure_locked(session)
    if closure.absent_marked_at is not None:
        return 0
    enrolled = set(
        Enrollment.objects.filter(
            program_id=session.program_id, status=Enrollment.Status.ENROLLED
        ).values_list("user_id", flat=True)
    )
    have = set(AttendanceRecord.objects.filter(session=session).values_list("user_id", flat=True))
    absent = sorted(enrolled - have)
    AttendanceRecord.objects.bulk_create(
        [
            AttendanceRecord(
                session=session,
                user_id=uid,
                status=AttendanceStatus.ABSENT,
                source=AttendanceRecord.Source.AUTO,
            )
            for uid in absent
        ],
        ignore_conflicts=True,
        batch_size=1000,
    )
    closure.absent_marked_at, closure.absent_count = now, len(absent)
    closure.save(update_fields=["absent_marked_at", "absent_count"])
    if absent:
        rate_warnings_check(program=session.program, user_ids=absent, now=now)
    return len(absent)


@transaction.atomic
def session_close_checkouts(*, session: Session, now: datetime) -> int:
    """When check-out is required, scanned-in trainees who never checked out left early."""
    closure = _closure_locked(session)
    if closure.checkout_closed_at is not None:
        return 0
    changed = 0
    if session.program.require_checkout:
        qs = AttendanceRecord.objects.filter(
            session=session,
            source=AttendanceRecord.Source.QR,
            checkin_at__isnull=False,
            checkout_at__isnull=True,
        )
        changed += qs.filter(status=AttendanceStatus.PRESENT).update(
            status=AttendanceStatus.LEFT_EARLY, updated_at=now
        )
        changed += qs.filter(status=AttendanceStatus.LATE).update(
            status=AttendanceStatus.LATE_LEFT_EARLY, updated_at=now
        )
    closure.checkout_closed_at = now
    closure.save(update_fields=["checkout_closed_at"])
    return changed
