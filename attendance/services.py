"""Every write to attendance: scans, manual marks, leave, the scheduled closing of windows.

The scan path (checkin_scan) is the hot path. The rules (attendance.rules) decide in Python
whether the scan may check in and with which status, from the session and policy kept a few
seconds in a per-process cache; then one statement (prepared on PostgreSQL) inserts the record
if the trainee is enrolled (INSERT ... SELECT ... ON CONFLICT DO NOTHING), deciding the proxy
flag. It never touches Django's cache or the broker, and relies on the (session, user) unique
constraint for idempotency.
"""

import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from django.db import IntegrityError, connection, transaction
from django.urls import reverse
from django.utils import dateformat, timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from attendance import selectors, tokens
from attendance.models import (
    AttendanceRecord,
    AttendanceStatus,
    AttendanceWarning,
    LeaveRequest,
    SessionClosure,
)
from attendance.rules import ATTENDED, POLICY_FIELDS, Policy, compute_status, minutes_late
from attendance.selectors import rates_for
from core.db import prepared_cursor
from core.errors import DomainError, self_decision_guard
from core.services import audit_log, notify, notify_many
from core.uploads import check_upload_detail
from enrollment.models import Enrollment
from programs.access import ensure_program_open
from programs.models import Program, ProgramStaff, Session

# One device checking in a different trainee within this many minutes is flagged as a proxy.
PROXY_WINDOW_MINUTES = 5
# A cookie-less browser with the same address and user agent as another trainee's check-in this
# close to it (see checkin_scan): long enough to log out and in as someone else and scan again.
CLIENT_WINDOW_SECONDS = 90
# How long a verified scan waits in a logged-out browser's session for its owner to log in.
PENDING_SCAN_SECONDS = 300
# The scheduled job looks back this far for sessions whose windows closed (covers outages).
CLOSE_LOOKBACK = timedelta(days=7)

# A leave attachment (a doctor's note, a meeting notice): a PDF or a photo, checked by its content
# (core.uploads), stored under a random name with the extension its bytes say.
MAX_ATTACHMENT_BYTES = 5 * 1024 * 1024
ATTACHMENT_KINDS = {"pdf", "image"}


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

# The proxy rule (see checkin_scan for what it means and how often it errs): the device cookie
# was used by another trainee (ever), or a browser without a device cookie, on an account whose
# own phone is known and is another browser, shares its address and user agent with another
# trainee's check-in of this session a moment before. Each EXISTS walks an index (device; the
# trainee's records; the session's records) and the client checks are only evaluated for
# cookie-less browsers.
_PROXY_SQL_TEMPLATE = """((%(has_device)s AND EXISTS (
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
_PROXY_SQL = _PROXY_SQL_TEMPLATE.format(t=_T, addr="%(addr)s")
_PROXY_SQL_PG = _PROXY_SQL_TEMPLATE.format(t=_T, addr="CAST(%(addr)s AS inet)")

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
    t=_T, e=_E, enrolled=_ENROLLED, addr="%(addr)s", proxy=_PROXY_SQL
)
_CHECKIN_SQL_PG = _CHECKIN_SQL_TEMPLATE.format(
    t=_T, e=_E, enrolled=_ENROLLED, addr="CAST(%(addr)s AS inet)", proxy=_PROXY_SQL_PG
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
        _flag_others(record_id=result.record_id, at=at, window=window, fresh=params["fresh"])
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
        before = _snapshot(record)
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
                after=_snapshot(record),
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


def _flag_others(*, record_id: int, at: datetime, window: timedelta, fresh: bool) -> None:
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


# --- Manual marks ------------------------------------------------------------------------
MARKABLE = (
    AttendanceStatus.PRESENT,
    AttendanceStatus.LATE,
    AttendanceStatus.LEFT_EARLY,
    AttendanceStatus.LATE_LEFT_EARLY,
    AttendanceStatus.ABSENT,
    AttendanceStatus.ON_LEAVE,
)


def _snapshot(record: AttendanceRecord) -> dict:
    def iso(v):
        return timezone.localtime(v).isoformat(timespec="seconds") if v else None

    return {
        "status": record.status,
        "checkin_at": iso(record.checkin_at),
        "checkout_at": iso(record.checkout_at),
        "source": record.source,
        "flagged": record.flagged,
    }


@transaction.atomic
def records_mark(
    *, session: Session, user_ids, status: str, reason: str, by, venue_ids=None
) -> int:
    """Set the status of one or many enrolled trainees by hand, with a reason.

    Every change is logged (who, when, before, after, why). A trainee marked present or late
    without a check-in gets the time the mark was entered as check-in time (the roster shows it
    as 手工), never the session start. `venue_ids` limits the marks to the trainees seated at or
    checked in at those venues (a branch-venue manager's; selectors.session_scope): a selection
    reaching beyond them is refused whole. Nobody marks themselves. Returns how many changed.
    """
    reason = (reason or "").strip()
    if status not in MARKABLE:
        raise DomainError(_("请选择有效的考勤状态。"), field="status")
    if not reason:
        raise DomainError(_("手工标记必须填写原因。"), field="reason")
    ensure_program_open(session.program)
    if session.status == Session.Status.CANCELLED:
        raise DomainError(_("本次课程已取消,不记考勤。"))
    enrolled = set(
        Enrollment.objects.filter(
            program_id=session.program_id,
            status=Enrollment.Status.ENROLLED,
            user_id__in=[int(u) for u in user_ids if str(u).isdigit()],
        ).values_list("user_id", flat=True)
    )
    if not enrolled:
        raise DomainError(_("请至少选择一名本班学员。"), field="users")
    if by.pk in enrolled:
        self_decision_guard(subject=by, by=by)
    if venue_ids is not None:
        outside = enrolled - selectors.trainees_in_venues(session=session, venue_ids=venue_ids)
        if outside:
            raise DomainError(
                _("只能标记在您管理的会场就座或签到的学员(%(n)s 名学员不在其中)。")
                % {"n": len(outside)},
                field="users",
            )
    existing = {
        r.user_id: r
        for r in AttendanceRecord.objects.select_for_update().filter(
            session=session, user_id__in=enrolled
        )
    }
    missing = [
        AttendanceRecord(
            session=session,
            user_id=uid,
            status=AttendanceStatus.ABSENT,
            source=AttendanceRecord.Source.MANUAL,
        )
        for uid in enrolled - existing.keys()
    ]
    AttendanceRecord.objects.bulk_create(missing, ignore_conflicts=True)
    if missing:
        for r in AttendanceRecord.objects.select_for_update().filter(
            session=session, user_id__in=[m.user_id for m in missing]
        ):
            existing[r.user_id] = r
            r._new = True
    changed = 0
    now = timezone.now()
    for record in existing.values():
        before = None if getattr(record, "_new", False) else _snapshot(record)
        if before and before["status"] == status:
            continue
        record.status = status
        record.source = AttendanceRecord.Source.MANUAL
        if status in ATTENDED:
            # "was there" always comes with a check-in time, so every count that asks "checked
            # in?" agrees with the status: the time the mark was entered (source 手工), not the
            # session start, and no venue (the board counts it at the trainee's own venue)
            if not record.checkin_at:
                record.checkin_at = now
        else:
            # absent or on leave: not there, whatever a scan said (a proxy check-in found out);
            # the scan's times and flag stay in the audit entry's "before"
            record.checkin_at = record.checkout_at = None
            record.flagged = False
        record.save(
            update_fields=[
                "status",
                "source",
                "checkin_at",
                "checkout_at",
                "flagged",
                "venue",
                "updated_at",
            ]
        )
        audit_log(
            actor=by,
            action="attendance.mark",
            target=record,
            before=before,
            after=_snapshot(record),
            reason=reason,
        )
        changed += 1
    rate_warnings_check(program=session.program, user_ids=enrolled)
    return changed


def record_clear_flag(
    *, record: AttendanceRecord, reason: str, by, venue_ids=None
) -> AttendanceRecord:
    """The class manager has looked into a suspected proxy check-in and found it in order (the
    trainee was there): the flag goes, the record and its times stay, and the log says who
    cleared it and why. A check-in found to be a proxy is marked absent instead (records_mark).
    A branch-venue manager (`venue_ids`) decides only for trainees seated or checked in at their
    venues; nobody clears their own flag."""
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(_("取消疑似代签标记必须填写核实情况。"), field="reason")
    self_decision_guard(subject=record, by=by)
    ensure_program_open(record.session.program)
    if venue_ids is not None and record.user_id not in selectors.trainees_in_venues(
        session=record.session, venue_ids=venue_ids
    ):
        raise DomainError(_("该学员不在您管理的会场,请由班主任核实。"))
    with transaction.atomic():
        record = AttendanceRecord.objects.select_for_update().get(pk=record.pk)
        if not record.flagged:
            raise DomainError(_("这条记录没有疑似代签标记。"))
        before = _snapshot(record)
        record.flagged = False
        record.save(update_fields=["flagged", "updated_at"])
        audit_log(
            actor=by,
            action="attendance.clear_flag",
            target=record,
            before=before,
            after=_snapshot(record),
            reason=reason,
        )
    return record


# --- Leave -------------------------------------------------------------------------------
def session_names(sessions, *, neutral: bool = False) -> str:
    """Sessions as people name them in an error: "11月21日 14:30 乡村振兴专题、…"; `neutral`
    for a notice's parameter, read later in any language: "11/21 14:30 乡村振兴专题, …"."""
    fmt = "n/j H:i" if neutral else _("n月j日 H:i")
    sep = ", " if neutral else "、"
    return sep.join(
        f"{dateformat.format(timezone.localtime(s.start), fmt)} {s.topic}" for s in sessions
    )


def _class_managers(program_id):
    return [
        s.user
        for s in ProgramStaff.objects.filter(
            program_id=program_id, role=ProgramStaff.Role.CLASS_MANAGER
        ).select_related("user")
    ]


@transaction.atomic
def leave_request_create(
    *, user, program: Program, session_ids, reason: str, attachment=None, now=None
) -> LeaveRequest:
    """A trainee asks leave from sessions of a program they are enrolled in. Sessions that have
    ended (by `now`, the time of asking), already attended or already covered by a pending or
    approved request are refused, named (selectors.leave_blockers)."""
    reason = (reason or "").strip()
    ensure_program_open(program)
    if not Enrollment.objects.filter(
        program=program, user=user, status=Enrollment.Status.ENROLLED
    ).exists():
        raise DomainError(_("您不是本班学员,不能请假。"))
    if not reason:
        raise DomainError(_("请填写请假事由。"), field="reason")
    sessions = list(
        program.sessions.filter(pk__in=[int(s) for s in session_ids if str(s).isdigit()]).exclude(
            status=Session.Status.CANCELLED
        )
    )
    if not sessions:
        raise DomainError(_("请至少选择一节课程。"), field="sessions")
    blocked = selectors.leave_blockers(user=user, sessions=sessions, now=now)
    for kind, message in (
        (selectors.LEAVE_PAST, _("已结束的课程不能请假:%(sessions)s")),
        (selectors.LEAVE_ATTENDED, _("已签到的课程不能请假:%(sessions)s")),
        (selectors.LEAVE_REQUESTED, _("已有待审批或已批准请假的课程:%(sessions)s")),
    ):
        named = [s for s in sessions if blocked.get(s.pk) == kind]
        if named:
            raise DomainError(message % {"sessions": session_names(named)}, field="sessions")
    if attachment:
        detected = check_upload_detail(
            attachment, kinds=ATTACHMENT_KINDS, max_bytes=MAX_ATTACHMENT_BYTES, field="attachment"
        )
        attachment.name = f"{uuid.uuid4().hex}.{detected.extension}"
    leave = LeaveRequest.objects.create(
        program=program, user=user, reason=reason, attachment=attachment or ""
    )
    leave.sessions.set(sessions)
    audit_log(
        actor=user,
        action="attendance.leave_request",
        target=leave,
        after={"sessions": [s.pk for s in sessions]},
        reason=reason,
    )
    url = reverse("attendance:leave_detail", args=[leave.pk])
    notify_many(
        users=_class_managers(program.pk),
        title=gettext_lazy("%(name)s 申请请假:%(sessions)s"),
        params={"name": user.full_name, "sessions": session_names(sessions, neutral=True)},
        body=reason,
        url=url,
        kind="attendance.leave",
    )
    return leave


@transaction.atomic
def leave_request_decide(*, leave: LeaveRequest, approve: bool, note: str, by) -> LeaveRequest:
    """Approve or reject a pending request, once. Approval makes its sessions "on leave" for the
    trainee (a new record, or an existing one without a check-in); the trainee is notified."""
    leave = LeaveRequest.objects.select_for_update().select_related("program").get(pk=leave.pk)
    self_decision_guard(subject=leave, by=by)
    if leave.status != LeaveRequest.Status.PENDING:
        raise DomainError(_("该请假申请已处理。"))
    ensure_program_open(leave.program)
    note = (note or "").strip()
    if not approve and not note:
        raise DomainError(_("不批准时请填写意见。"), field="note")
    before = {"status": leave.status}
    leave.status = LeaveRequest.Status.APPROVED if approve else LeaveRequest.Status.REJECTED
    leave.decided_by, leave.decided_at, leave.decision_note = by, timezone.now(), note
    leave.save(update_fields=["status", "decided_by", "decided_at", "decision_note", "updated_at"])
    audit_log(
        actor=by,
        action="attendance.leave_decide",
        target=leave,
        before=before,
        after={"status": leave.status},
        reason=note,
    )
    if approve:
        _apply_leave(leave=leave, by=by)
    verdict = gettext_lazy("已批准") if approve else gettext_lazy("未批准")
    sessions = session_names(leave.sessions.order_by("start"), neutral=True)
    notify(
        user=leave.user,
        title=gettext_lazy("您的请假申请%(verdict)s:%(sessions)s"),
        params={"verdict": verdict, "sessions": sessions},
        body=note,
        url=reverse("attendance:leave_detail", args=[leave.pk]),
        kind="attendance.leave",
    )
    return leave


def _apply_leave(*, leave: LeaveRequest, by) -> None:
    sessions = list(leave.sessions.all())
    AttendanceRecord.objects.bulk_create(
        [
            AttendanceRecord(
                session=s,
                user_id=leave.user_id,
                status=AttendanceStatus.ON_LEAVE,
                source=AttendanceRecord.Source.LEAVE,
            )
            for s in sessions
        ],
        ignore_conflicts=True,
    )
    reason = _("请假审批通过") + (f":{leave.decision_note}" if leave.decision_note else "")
    for record in (
        AttendanceRecord.objects.select_for_update()
        .filter(user_id=leave.user_id, session__in=sessions, checkin_at__isnull=True)
        .exclude(status=AttendanceStatus.ON_LEAVE)
    ):
        before = _snapshot(record)
        record.status, record.source = AttendanceStatus.ON_LEAVE, AttendanceRecord.Source.LEAVE
        record.save(update_fields=["status", "source", "updated_at"])
        audit_log(
            actor=by,
            action="attendance.leave_apply",
            target=record,
            before=before,
            after=_snapshot(record),
            reason=reason,
        )
    rate_warnings_check(program=leave.program, user_ids=[leave.user_id])


@transaction.atomic
def leave_request_cancel(*, leave: LeaveRequest, by) -> LeaveRequest:
    leave = LeaveRequest.objects.select_for_update().get(pk=leave.pk)
    if leave.user_id != by.pk or leave.status != LeaveRequest.Status.PENDING:
        raise DomainError(_("只能撤回自己待审批的请假申请。"))
    leave.status = LeaveRequest.Status.CANCELLED
    leave.save(update_fields=["status", "updated_at"])
    audit_log(actor=by, action="attendance.leave_cancel", target=leave)
    return leave


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


# --- Rates and warnings --------------------------------------------------------------------
def rate_warnings_check(*, program: Program, user_ids, now=None) -> int:
    """Warn trainees (and, in one digest, the class managers) whose rate is below the program's
    warning line by attendance.rules (Tally.warn), once while they stay below; a trainee who
    recovers may be warned again later. A fixed number of queries however many trainees: two
    for the rates, one delete, one insert, one read back, then the notices."""
    user_ids = set(user_ids)
    if not user_ids:
        return 0
    line = program.attendance_warning_rate
    tallies = rates_for(program=program, user_ids=user_ids, now=now)
    below = {uid: t for uid, t in tallies.items() if t.warn(line)}
    AttendanceWarning.objects.filter(program=program, user_id__in=user_ids - below.keys()).delete()
    if not below:
        return 0
    run = uuid.uuid4()
    AttendanceWarning.objects.bulk_create(
        [
            AttendanceWarning(program=program, user_id=uid, rate=Decimal(str(t.rate)), run=run)
            for uid, t in below.items()
        ],
        ignore_conflicts=True,
    )
    fresh = list(
        AttendanceWarning.objects.filter(program=program, run=run)
        .select_related("user")
        .order_by("user__full_name", "user_id")
    )
    if not fresh:
        return 0
    args = {"program": program.title, "line": str(line)}
    notify_many(
        users=[w.user for w in fresh],
        title=gettext_lazy("出勤预警:%(program)s"),
        body=gettext_lazy(
            "您在本班的出勤率已低于要求的 %(line)s%%,请注意按时参加学习;如有特殊情况请及时请假。"
        ),
        params=args,
        url=reverse("attendance:index"),
        kind="attendance.warning",
    )
    managers = _class_managers(program.pk)
    if managers:
        names = ", ".join(f"{w.user.full_name} {w.rate}%" for w in fresh)
        notify_many(
            users=managers,
            title=gettext_lazy("学员出勤预警:%(program)s,%(n)s 名学员低于 %(line)s%%"),
            params={**args, "n": len(fresh)},
            body=names,
            url=reverse("attendance:program", args=[program.pk]),
            kind="attendance.warning",
        )
    return len(fresh)
