"""Suspected proxy check-ins (代签): the SQL fragment the check-in statement decides the flag
with, and the evidence written on a flagged record (the rare path). The rule itself is
described at attendance.services.scan.checkin_scan."""

from datetime import datetime, timedelta

from django.utils import timezone

from attendance.models import (
    AttendanceRecord,
)

# One device checking in a different trainee within this many minutes is flagged as a proxy.
PROXY_WINDOW_MINUTES = 5
# A cookie-less browser with the same address and user agent as another trainee's check-in this
# close to it (see checkin_scan): long enough to log out and in as someone else and scan again.
CLIENT_WINDOW_SECONDS = 90

_T = AttendanceRecord._meta.db_table

# The proxy rule (see checkin_scan for what it means and how often it errs): the device cookie
# was used by another trainee (ever), or a browser without a device cookie, on an account whose
# own phone is known and is another browser, shares its address and user agent with another
# trainee's check-in of this session a moment before. Each EXISTS walks an index (device; the
# trainee's records; the session's records) and the client checks are only evaluated for
# cookie-less browsers.
PROXY_SQL_TEMPLATE = """((%(has_device)s AND EXISTS (
    SELECT 1 FROM {t} o WHERE o.device_id = CAST(%(device)s AS VARCHAR) AND o.user_id <> %(user)s))
 OR (%(fresh)s AND EXISTS (
    SELECT 1 FROM {t} m WHERE m.user_id = %(user)s AND m.user_agent <> '')
  AND NOT EXISTS (
    SELECT 1 FROM {t} m WHERE m.user_id = %(user)s
    AND m.user_agent = CAST(%(agent)s AS VARCHAR))
  AND EXISTS (
    SELECT 1 FROM {t} o WHERE o.session_id = %(session)s AND o.user_id <> %(user)s
    AND o.client_addr = {addr} AND o.user_agent = CAST(%(agent)s AS VARCHAR)
    AND o.checkin_at BETWEEN %(client_from)s AND %(at)s)))"""
PROXY_SQL = PROXY_SQL_TEMPLATE.format(t=_T, addr="%(addr)s")
PROXY_SQL_PG = PROXY_SQL_TEMPLATE.format(t=_T, addr="CAST(%(addr)s AS inet)")


def proxy_evidence(
    record: AttendanceRecord, *, window: timedelta | None = None, client: bool = True
) -> list[dict]:
    """Why a record looks like a proxy check-in: the other trainees' check-ins behind each
    signal of checkin_scan's rule, as {"signal", "user", "name", "at", "record"} (rare path).
    `client`: whether the check-in came from a cookie-less browser (the client signal)."""
    window = window or timedelta(minutes=PROXY_WINDOW_MINUTES)
    found = []
    at = record.checkin_at
    if record.device_id and at:
        for other in (
            AttendanceRecord.objects.filter(device_id=record.device_id)
            .exclude(user_id=record.user_id)
            .select_related("user")
            .order_by("-checkin_at")[:5]
        ):
            near = other.checkin_at and abs(other.checkin_at - at) <= window
            found.append(_evidence("device" if near else "device_history", other))
    if client and record.client_addr and record.user_agent and at:
        near = timedelta(seconds=CLIENT_WINDOW_SECONDS)
        for other in (
            AttendanceRecord.objects.filter(
                session_id=record.session_id,
                client_addr=record.client_addr,
                user_agent=record.user_agent,
                checkin_at__range=(at - near, at),
            )
            .exclude(user_id=record.user_id)
            .select_related("user")[:5]
        ):
            found.append(_evidence("client", other))
    return found


def _evidence(signal: str, other: AttendanceRecord) -> dict:
    return {
        "signal": signal,
        "user": other.user_id,
        "name": other.user.full_name,
        "record": other.pk,
        "at": timezone.localtime(other.checkin_at).isoformat(timespec="seconds")
        if other.checkin_at
        else None,
    }


def flag_others(*, record_id: int, at: datetime, window: timedelta, fresh: bool) -> None:
    """A check-in was flagged (rare path): write the evidence on it, and flag the other
    trainees' records of the same moment (same device within the window, or same client) with
    the evidence that points back."""
    record = AttendanceRecord.objects.select_related("user").get(pk=record_id)
    evidence = proxy_evidence(record, window=window, client=fresh)
    AttendanceRecord.objects.filter(pk=record_id).update(flag_evidence=evidence)
    for item in evidence:
        if item["signal"] != "device":  # the others' records may be innocent: named, not flagged
            continue
        other = AttendanceRecord.objects.filter(pk=item["record"]).first()
        if other is None:
            continue
        back = _evidence(item["signal"], record)
        if any(e.get("record") == record.pk for e in other.flag_evidence):
            continue
        other.flagged = True
        other.flag_evidence = [*other.flag_evidence, back]
        other.save(update_fields=["flagged", "flag_evidence", "updated_at"])
