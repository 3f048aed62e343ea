"""Scanning: check-in and check-out from a verified QR scan, and the scan a logged-out phone
keeps until its owner logs in. One cohesive workflow (the hot path and its gate), hence its length.

The scan path (checkin_scan) is the hot path. The rules (attendance.rules) decide in Python
whether the scan may check in and with which status, from the session and policy kept a few
seconds in a per-process cache; then one statement (prepared on PostgreSQL) inserts the record
if the trainee is enrolled (INSERT ... SELECT ... ON CONFLICT DO NOTHING), deciding the proxy
flag. It never touches Django's cache or the broker, and relies on the (session, user) unique
constraint for idempotency.
"""

import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.db import connection
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from attendance import tokens
from attendance.models import (
    AttendanceRecord,
    AttendanceStatus,
)
from attendance.rules import POLICY_FIELDS, Policy, compute_status, minutes_late
from attendance.services.common import record_snapshot
from attendance.services.proxy import (
    CLIENT_WINDOW_SECONDS,
    PROXY_SQL,
    PROXY_SQL_PG,
    PROXY_WINDOW_MINUTES,
    flag_others,
)
from core.db import prepared_cursor
from core.services import audit_log
from enrollment.models import Enrollment
from programs.models import Program, Session

# How long a verified scan waits in a logged-out browser's session for its owner to log in.
PENDING_SCAN_SECONDS = 300


class Outcome:
    ON_TIME = "on_time"
    LATE = "late"
    ALREADY_IN = "already_in"
    CHECKED_OUT = "checked_out"
    ALREADY_OUT = "already_out"
    NOT_CHECKED_IN = "not_checked_in"
    NOT_ENROLLED = "not_enrolled"
    NOT_OPEN = "not_open"
    CLOSED = "closed"
    EXPIRED = "expired"
    FORGED = "forged"
    CANCELLED = "cancelled"
    MARKED_ABSENT = "marked_absent"

    SUCCESS = (ON_TIME, LATE, CHECKED_OUT)


@dataclass
class ScanResult:
    outcome: str
    purpose: str = tokens.CHECKIN
    session: "ScanSession | None" = None
    record_id: int | None = None
    status: str = ""
    at: datetime | None = None
    minutes_late: int = 0
    flagged: bool = False
    opens_at: datetime | None = None

    @property
    def ok(self) -> bool:
        return self.outcome in Outcome.SUCCESS


_S, _P, _E = Session._meta.db_table, Program._meta.db_table, Enrollment._meta.db_table
_T = AttendanceRecord._meta.db_table
_ENROLLED = Enrollment.Status.ENROLLED.value
# Hand-written and read with a plain cursor because it runs on every scan: building the
# equivalent queryset (select_related, only, an Exists annotation), or even model instances from
# a RawQuerySet, cost more CPU than running the query.
_SCAN_SESSION_SQL = f"""
SELECT s.id, s.topic, s.start, s."end", s.status, s.venue_id, s.program_id, p.title,
       {", ".join(f"p.{f}" for f in POLICY_FIELDS)},
       EXISTS (SELECT 1 FROM {_E} e WHERE e.program_id = s.program_id AND e.user_id = %(user)s
               AND e.status = '{_ENROLLED}') AS enrolled
FROM {_S} s JOIN {_P} p ON p.id = s.program_id
WHERE s.id = %(session)s
"""


# The check-in's one statement: insert the record, with the status the rules decided in Python
# (attendance.rules.compute_status, from the session and policy of _cached_session), when the
# trainee is enrolled, unless they have one already, deciding the proxy flag in the same breath.
# Nothing of the rules is written here: no window, no lateness. On PostgreSQL it runs as a
# prepared statement (core.db.prepared_cursor), planned once per connection.
_CHECKIN_SQL_TEMPLATE = """
INSERT INTO {t} (created_at, updated_at, session_id, user_id, venue_id, status, checkin_at,
                 source, device_id, client_addr, user_agent, flagged, flag_evidence, note)
SELECT %(now)s, %(now)s, %(session)s, %(user)s, %(venue)s, CAST(%(status)s AS VARCHAR), %(at)s,
       'qr', CAST(%(device)s AS VARCHAR), {addr}, CAST(%(agent)s AS VARCHAR), {proxy}, '[]', ''
WHERE EXISTS (SELECT 1 FROM {e} e WHERE e.program_id = %(program)s AND e.user_id = %(user)s
              AND e.status = '{enrolled}')
ON CONFLICT (session_id, user_id) DO NOTHING
RETURNING id, flagged
"""
_CHECKIN_SQL = _CHECKIN_SQL_TEMPLATE.format(
    t=_T, e=_E, enrolled=_ENROLLED, addr="%(addr)s", proxy=PROXY_SQL
)
_CHECKIN_SQL_PG = _CHECKIN_SQL_TEMPLATE.format(
    t=_T, e=_E, enrolled=_ENROLLED, addr="CAST(%(addr)s AS inet)", proxy=PROXY_SQL_PG
)


@dataclass(frozen=True, slots=True)
class ScanProgram:
    """What a scan needs of a program: its title (for the result page) and its policy."""

    id: int
    title: str
    policy: Policy


@dataclass(frozen=True, slots=True)
class ScanSession:
    """What a scan needs of a session (read-only; not a model instance, see _SCAN_SESSION_SQL)."""

    id: int
    topic: str
    start: datetime
    end: datetime
    status: str
    venue_id: int
    program_id: int
    program: ScanProgram
    enrolled: bool

    @property
    def pk(self) -> int:
        return self.id


def _aware(value) -> datetime:
    """A datetime as the cursor gave it: aware from PostgreSQL, an ISO string from SQLite."""
    if isinstance(value, str):
        value = parse_datetime(value)
    if timezone.is_naive(value):
        value = timezone.make_aware(value, UTC)
    return value


def _scan_session_from(row) -> ScanSession:
    sid, topic, start, end, status, venue_id, program_id, title, *policy, enrolled = row
    policy = Policy(**dict(zip(POLICY_FIELDS, policy, strict=True)))
    program = ScanProgram(program_id, title, policy)
    return ScanSession(
        sid,
        topic,
        _aware(start),
        _aware(end),
        status,
        venue_id,
        program_id,
        program,
        bool(enrolled),
    )


def _scan_session(*, session_id: int, user) -> ScanSession | None:
    """The session with its program's policy and whether `user` is enrolled: one query."""
    with connection.cursor() as cursor:
        cursor.execute(_SCAN_SESSION_SQL, {"user": user.pk, "session": session_id})
        row = cursor.fetchone()
    return None if row is None else _scan_session_from(row)


# The check-in reads a session and its policy from a short-lived per-process cache, so a scan is
# one statement (the insert) at the start of a lecture. A session changed (moved, cancelled) is
# seen by the check-in at most SESSION_CACHE_SECONDS later.
SESSION_CACHE_SECONDS = 5
_session_cache: dict[int, tuple[float, ScanSession]] = {}


def _cached_session(*, session_id: int, user) -> ScanSession | None:
    """The session and policy of a check-in (its `enrolled` is not this user's: the insert
    checks the enrolment)."""
    now = time.monotonic()
    hit = _session_cache.get(session_id)
    if hit is not None and hit[0] > now:
        return hit[1]
    session = _scan_session(session_id=session_id, user=user)
    if session is not None:
        if len(_session_cache) > 512:
            _session_cache.clear()
        _session_cache[session_id] = (now + SESSION_CACHE_SECONDS, session)
    return session


def scan_session_cache_clear() -> None:
    _session_cache.clear()


def _dt(value):
    return connection.ops.adapt_datetimefield_value(value)


def _gate(session: ScanSession | None, *, scan: tokens.Scan, at: datetime, enrolled=True):
    """What check-in and check-out both decide first: does the session exist and run, is the
    user enrolled, is its window open at `at`. Returns (policy, result); the result's outcome is
    set when the scan stops here, None when it may go on."""
    result = ScanResult(outcome=Outcome.FORGED, purpose=scan.purpose, session=session, at=at)
    if session is None:
        return None, result
    if session.status == Session.Status.CANCELLED:
        result.outcome = Outcome.CANCELLED
        return None, result
    if enrolled and not session.enrolled:  # (the check-in's insert asks it itself)
        result.outcome = Outcome.NOT_ENROLLED
        return None, result
    policy = session.program.policy
    if scan.purpose == tokens.CHECKOUT:
        opens, closes = policy.checkout_window(session.end)
    else:
        opens, closes = policy.checkin_window(session.start)
    if at < opens:
        result.outcome, result.opens_at = Outcome.NOT_OPEN, opens
    elif at > closes:
        result.outcome = Outcome.CLOSED
    else:
        result.outcome = None
    return policy, result


def _checkin_status(session: ScanSession, policy: Policy, at: datetime) -> str:
    return compute_status(
        start=session.start,
        end=session.end,
        policy=policy,
        checkin_at=at,
        checkout_at=None,
        now=at,
    )


@dataclass(frozen=True, slots=True)
class Client:
    """Where a scan came from: the client address as the server resolved it, the browser's user
    agent, and whether the browser came without a device cookie (fresh: a cleared cookie, a
    private tab, a new phone)."""

    addr: str | None = None
    agent: str = ""
    fresh: bool = False


def checkin_params(
    *, session_id, user_id, venue_id, at, device_id="", client: Client | None = None
) -> dict:
    """The parameters of the check-in statement (_CHECKIN_SQL) but the session's program and
    the status, which checkin_scan adds from the rules."""
    client = client or Client()
    near = timedelta(seconds=CLIENT_WINDOW_SECONDS)
    return {
        "session": session_id,
        "user": user_id,
        "venue": venue_id,
        "now": _dt(timezone.now()),
        "at": _dt(at),
        "device": device_id,
        "has_device": bool(device_id),
        "fresh": bool(client.fresh and client.addr and client.agent),
        "addr": client.addr or None,
        "agent": (client.agent or "")[:255],
        "client_from": _dt(at - near),
    }


def checkin_scan(
    *, user, scan: tokens.Scan, at: datetime, device_id: str = "", client: Client | None = None
) -> ScanResult:
    """Check `user` in from a verified scan taken at `at`.

    Guarantees: at most one record per trainee and session whatever the number of concurrent
    requests (the unique constraint decides, not a prior read); status from `at` and the
    program's policy. Never touches the cache or the broker.

    Suspected proxy check-ins (代签) are flagged in the same statement, on three signals, and
    the evidence is written on the flag (proxy_evidence, shown on the record page):
    - "device": the device cookie checked in another trainee within PROXY_WINDOW_MINUTES (both
      records are flagged);
    - "device_history": the device cookie was used by another trainee's account before;
    - "client": a browser without a device cookie (cleared, private tab) checks in a trainee
      whose own phone is known and is another browser (earlier check-ins, none with this user
      agent), with the same client address and user agent as another trainee's check-in of
      this session in the CLIENT_WINDOW_SECONDS before: one phone, logged in as a second
      account. Only this record is flagged; the evidence names the other trainee.
      The address alone never flags: a lecture hall shares one NAT address, and a phone model
      shares its browser's user agent with many others. A trainee whose own phone lost its
      cookie keeps its user agent, so is not flagged. Measured on the demo's check-in data
      (tests/attendance/test_proxy.py: six sessions of 71 trainees replayed through this code,
      all behind one NAT address, phones drawn from a mix of 20 WeChat user agents, every
      trainee's first check-in cookie-less, 3 % of later ones from a cleared cookie, 2 % of
      phones updating their browser between sessions): 0 false flags in 417 check-ins
      (ceiling asserted: under 1 %), while a phone checking in a second account after
      clearing its cookie is flagged whenever that account's own phone is known. Not caught:
      a proxy on day one (no phone known yet), or one whose phone has the same user agent.
    """
    window = timedelta(minutes=PROXY_WINDOW_MINUTES)
    params = checkin_params(
        session_id=scan.session_id,
        user_id=user.pk,
        venue_id=scan.venue_id,
        at=at,
        device_id=device_id,
        client=client,
    )
    session = _cached_session(session_id=scan.session_id, user=user)
    policy, result = _gate(session, scan=scan, at=at, enrolled=False)
    if result.outcome is not None:
        return result
    status = _checkin_status(session, policy, at)
    params = {**params, "program": session.program_id, "status": status}
    with prepared_cursor() as cursor:
        cursor.execute(
            _CHECKIN_SQL_PG if connection.vendor == "postgresql" else _CHECKIN_SQL, params
        )
        inserted = cursor.fetchone()
    if inserted is None:  # a record exists already, or the user is not enrolled
        found = _checkin_over_existing(
            user=user,
            session=session,
            scan=scan,
            at=at,
            status=status,
            device_id=device_id,
            result=result,
        )
        if found is None:
            result.outcome = Outcome.NOT_ENROLLED
            return result
        return found
    result.record_id, result.flagged, result.status = inserted[0], bool(inserted[1]), status
    result.outcome = Outcome.LATE if status == AttendanceStatus.LATE else Outcome.ON_TIME
    result.minutes_late = minutes_late(start=session.start, checkin_at=at)
    if result.flagged:
        flag_others(record_id=result.record_id, at=at, window=window, fresh=params["fresh"])
    return result


def _marked_absent(record: AttendanceRecord) -> bool:
    return (
        record.source == AttendanceRecord.Source.MANUAL and record.status == AttendanceStatus.ABSENT
    )


def _checkin_over_existing(
    *, user, session, scan, at, status, device_id, result
) -> ScanResult | None:
    """A record exists: either the trainee already checked in (a double tap, a retry) or it was
    made without a check-in (approved leave, a manual "on leave", the closing job's absent):
    then the scan fills it in, conditionally, so two racing requests still update it once.

    A class manager's "absent" stands: it is how a confirmed proxy check-in is undone (see
    records_mark), and a scan from the same phone must not check the trainee in again. A
    trainee so marked who is in fact there is marked present by the manager."""
    record = AttendanceRecord.objects.filter(session_id=session.pk, user=user).first()
    if record is None:
        return None  # the caller writes one
    if record.checkin_at is None and not _marked_absent(record):
        before = record_snapshot(record)
        fillable = AttendanceRecord.objects.filter(pk=record.pk, checkin_at__isnull=True).exclude(
            source=AttendanceRecord.Source.MANUAL, status=AttendanceStatus.ABSENT
        )
        updated = fillable.update(
            checkin_at=at,
            status=status,
            venue_id=scan.venue_id,
            device_id=device_id,
            source=AttendanceRecord.Source.QR,
            updated_at=timezone.now(),
        )
        if updated:
            record.refresh_from_db()
            audit_log(
                actor=user,
                action="attendance.checkin",
                target=record,
                before=before,
                after=record_snapshot(record),
                reason=_("学员扫码签到"),
            )
            result.outcome = Outcome.LATE if status == AttendanceStatus.LATE else Outcome.ON_TIME
            result.record_id, result.status = record.pk, status
            result.minutes_late = minutes_late(start=session.start, checkin_at=at)
            return result
        record.refresh_from_db()
    if _marked_absent(record):
        result.outcome = Outcome.MARKED_ABSENT
        result.record_id, result.status, result.at = record.pk, record.status, None
        return result
    result.outcome = Outcome.ALREADY_IN
    result.record_id, result.status, result.flagged = record.pk, record.status, record.flagged
    result.at = record.checkin_at
    result.minutes_late = minutes_late(start=session.start, checkin_at=record.checkin_at)
    return result


def checkout_scan(*, user, scan: tokens.Scan, at: datetime) -> ScanResult:
    """Check `user` out. Refused before a check-in; once only (a conditional UPDATE)."""
    session = _scan_session(session_id=scan.session_id, user=user)
    policy, result = _gate(session, scan=scan, at=at)
    if result.outcome is not None:
        return result
    record = AttendanceRecord.objects.filter(session_id=session.pk, user=user).first()
    if record is None or record.checkin_at is None:
        result.outcome = Outcome.NOT_CHECKED_IN
        return result
    result.record_id = record.pk
    if record.checkout_at is not None:
        result.outcome, result.status, result.at = (
            Outcome.ALREADY_OUT,
            record.status,
            record.checkout_at,
        )
        return result
    status = compute_status(
        start=session.start,
        end=session.end,
        policy=policy,
        checkin_at=record.checkin_at,
        checkout_at=at,
        now=at,
        on_leave=False,
    )
    if record.source == AttendanceRecord.Source.MANUAL:
        status = record.status  # a manual mark stands; the check-out time is still kept
    updated = AttendanceRecord.objects.filter(pk=record.pk, checkout_at__isnull=True).update(
        checkout_at=at, status=status, updated_at=timezone.now()
    )
    if not updated:
        record.refresh_from_db()
        result.outcome, result.status, result.at = (
            Outcome.ALREADY_OUT,
            record.status,
            record.checkout_at,
        )
        return result
    result.outcome, result.status = Outcome.CHECKED_OUT, status
    return result


def scan_apply(
    *, user, scan: tokens.Scan, at: datetime, device_id: str = "", client: Client | None = None
) -> ScanResult:
    if scan.purpose == tokens.CHECKOUT:
        return checkout_scan(user=user, scan=scan, at=at)
    return checkin_scan(user=user, scan=scan, at=at, device_id=device_id, client=client)


# --- Scans from a logged-out phone ---------------------------------------------------------
PENDING_KEY = "attendance_pending_scan"


def pending_scan_store(*, session_store, scan: tokens.Scan, at: datetime) -> None:
    """Keep a verified scan in the browser's server-side session until its owner logs in."""
    session_store[PENDING_KEY] = {
        "s": scan.session_id,
        "v": scan.venue_id,
        "p": scan.purpose,
        "i": scan.issued_at,
        "at": at.timestamp(),
    }


def pending_scan_peek(*, session_store, now: datetime) -> tuple[tokens.Scan, datetime] | None:
    """The stored scan without using it up (the page that posts it)."""
    return _pending_scan(session_store.get(PENDING_KEY), now)


def pending_scan_take(*, session_store, now: datetime) -> tuple[tokens.Scan, datetime] | None:
    """Pop the stored scan (single use). None when there is none or it is too old."""
    return _pending_scan(session_store.pop(PENDING_KEY, None), now)


def _pending_scan(data, now):
    if not data:
        return None
    at = datetime.fromtimestamp(data["at"], tz=timezone.get_current_timezone())
    if (now - at).total_seconds() > PENDING_SCAN_SECONDS:
        return None
    return tokens.Scan(data["s"], data["v"], data["p"], data["i"]), at
