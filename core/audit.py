"""The audit trail's integrity: record format, hash chain, database guard, verification, archive.

Every entry is written through :func:`write` (core.services.audit_log / audit_log_many call it):

* the record carries time, actor (id and account name), the actor's roles at that moment, the
  client address and user agent of the request being served (core.links remembers it), action,
  object, result (success/refused), before/after and reason;
* entries form one SHA-256 chain: ``row_hash = sha256(prev_hash + canonical content)``, computed
  while holding a PostgreSQL transaction-level advisory lock, so concurrent writers append to one
  chain in id order (SQLite serialises writers itself);
* the database refuses UPDATE and DELETE of audit rows (triggers of migration core 0003, on
  PostgreSQL and SQLite). Two exceptions, both harmless to the chain: the actor's id may become
  NULL when the user row is deleted (the account name stays and is hashed), and rows may be
  deleted inside :func:`privileged_delete`, which only the archive job uses (PostgreSQL: the
  transaction-local setting ``lectern.audit_unlock``; SQLite: a connection function
  ``lectern_audit_unlocked()`` that is true only inside that block). Django's ``flush`` (tests)
  wipes whole databases and is let through the same way;
* :func:`verify` walks the chain (``manage.py audit_verify``) and names the first altered or
  missing row; :func:`archive` moves entries older than the online retention (≥ 180 days) into
  a gzip JSON-lines file whose SHA-256 is in its name and in the ``audit.archive`` entry that
  records it, then deletes them through the privileged path.
"""

import gzip
import hashlib
import io
import json
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import UTC, timedelta

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, transaction
from django.utils import timezone

from core import registry
from core.links import current_request

LOCK_KEY = 7_261_845_017  # the PostgreSQL advisory lock of the audit chain
MIN_RETENTION_DAYS = 180
ARCHIVE_ACTION = "audit.archive"
USER_AGENT_MAX = 300

_unlocked: ContextVar[bool] = ContextVar("lectern_audit_unlocked", default=False)


# --- who and from where ---------------------------------------------------------------------


def actor_roles(user) -> list[str]:
    """The roles the user holds now, as short codes ("admin", "organizer", "auditadmin", …).

    Asks the apps' `nav.user_roles(user)` hooks; without one, reads the user's role grants
    (the `role_grants` relation accounts defines) so core never imports accounts. Cached on the
    user object for the rest of the request."""
    if not getattr(user, "is_authenticated", False):
        return []
    cached = getattr(user, "_lectern_audit_roles", None)
    if cached is not None:
        return cached
    hooks = registry.app_hooks("nav", "user_roles")
    if hooks:
        roles = sorted({str(role) for hook in hooks for role in hook(user)})
    else:
        grants = getattr(user, "role_grants", None)
        roles = sorted(set(grants.values_list("role", flat=True))) if grants is not None else []
    if getattr(user, "is_superuser", False):
        roles.append("superuser")
    user._lectern_audit_roles = roles
    return roles


def is_audit_admin(user) -> bool:
    """Whether the user is the audit administrator (三员分立): the apps' `nav.user_is_audit_admin`
    hooks decide; without one, an `auditadmin` role grant does."""
    if not getattr(user, "is_authenticated", False):
        return False
    hooks = registry.app_hooks("nav", "user_is_audit_admin")
    if hooks:
        return any(hook(user) for hook in hooks)
    return "auditadmin" in actor_roles(user)


def request_origin(request=None) -> tuple[str, str]:
    """(client address, user agent) of the given request or the one being served now."""
    request = request if request is not None else current_request()
    if request is None:
        return "", ""
    meta = getattr(request, "META", {}) or {}
    return meta.get("REMOTE_ADDR", "") or "", (meta.get("HTTP_USER_AGENT", "") or "")[
        :USER_AGENT_MAX
    ]


# --- the chain ------------------------------------------------------------------------------


def _json(value):
    """A JSON value exactly as the database gives it back (tuples → lists, keys → str)."""
    if value is None:
        return None
    return json.loads(json.dumps(value, cls=DjangoJSONEncoder))


def _time(value) -> str:
    return value.astimezone(UTC).isoformat() if value is not None else ""


def content_of(entry) -> dict:
    """The hashed content of one entry (everything but the ids and the hashes themselves)."""
    return {
        "time": _time(entry.created_at),
        "actor": entry.actor_name,
        "roles": list(entry.actor_roles or []),
        "ip": entry.client_ip,
        "ua": entry.user_agent,
        "action": entry.action,
        "type": entry.target_type,
        "id": entry.target_id,
        "result": entry.result,
        "before": entry.before,
        "after": entry.after,
        "reason": entry.reason,
    }


def hash_of(entry, prev_hash: str) -> str:
    text = json.dumps(content_of(entry), sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256((prev_hash + "\n" + text).encode()).hexdigest()


def _lock_chain() -> None:
    """Hold the chain until this transaction ends: PostgreSQL's advisory lock; on SQLite a write
    statement that changes nothing takes the database's write lock before the last hash is read
    (two threads of a development server would otherwise both read the same last hash)."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [LOCK_KEY])
        elif connection.vendor == "sqlite":
            cursor.execute("UPDATE core_auditlog SET id = id WHERE 0")


def _last_hash() -> str:
    from core.models import AuditLog

    return AuditLog.objects.order_by("-id").values_list("row_hash", flat=True).first() or ""


def build(
    *,
    actor,
    action,
    target=None,
    target_type="",
    target_id="",
    before=None,
    after=None,
    reason="",
    result="success",
    request=None,
):
    """An unsaved AuditLog with every field of the record format filled in."""
    from core.models import AuditLog

    ip, agent = request_origin(request)
    user = actor if getattr(actor, "is_authenticated", False) else None
    if target is not None:
        target_type, target_id = target._meta.label_lower, str(target.pk)
    return AuditLog(
        actor=user,
        actor_name=(user.get_username() if user is not None else "")[:150],
        actor_roles=actor_roles(user) if user is not None else [],
        client_ip=ip[:45],
        user_agent=agent,
        action=action,
        target_type=target_type,
        target_id=str(target_id),
        before=_json(before),
        after=_json(after),
        reason=reason or "",
        result=result,
        created_at=timezone.now(),
    )


def write(entries: list) -> list:
    """Chain and insert unsaved entries (in list order) in one INSERT; returns them saved."""
    from core.models import AuditLog

    if not entries:
        return []
    # no savepoint: a failed audit write fails the action it records
    with transaction.atomic(savepoint=False):
        _lock_chain()
        prev = _last_hash()
        for entry in entries:
            entry.prev_hash = prev
            entry.row_hash = prev = hash_of(entry, prev)
        if len(entries) == 1:
            entries[0].save(force_insert=True, _chained=True)
            return entries
        return AuditLog.objects.bulk_create(entries)


@dataclass
class Verification:
    ok: bool
    checked: int
    first_bad_id: int | None = None
    problem: str = ""
    head_hash: str = ""


def verify(*, chunk: int = 2000) -> Verification:
    """Walk the chain in id order: each row's hash must match its content, and its prev_hash the
    hash of the row before (the first row: the start of the chain, or the last row of an
    archive recorded by an `audit.archive` entry). Reports the first row that fails."""
    from core.models import AuditLog

    anchors = {""}
    for after in AuditLog.objects.filter(action=ARCHIVE_ACTION).values_list("after", flat=True):
        if isinstance(after, dict) and after.get("last_hash"):
            anchors.add(after["last_hash"])
    prev = None
    checked = 0
    for row in AuditLog.objects.order_by("id").iterator(chunk_size=chunk):
        expected_prev_ok = row.prev_hash in anchors if prev is None else row.prev_hash == prev
        if not expected_prev_ok:
            return Verification(False, checked, row.pk, "missing", head_hash=prev or "")
        if hash_of(row, row.prev_hash) != row.row_hash:
            return Verification(False, checked, row.pk, "altered", head_hash=prev or "")
        prev = row.row_hash
        checked += 1
    return Verification(True, checked, head_hash=prev or "")


# --- the database guard ---------------------------------------------------------------------


def is_unlocked() -> int:
    """The SQLite guard's question: are we inside privileged_delete (or a flush)?"""
    return 1 if _unlocked.get() else 0


@contextmanager
def unlocked():
    token = _unlocked.set(True)
    try:
        yield
    finally:
        _unlocked.reset(token)


@contextmanager
def privileged_delete():
    """The one way audit rows may be deleted (the archive job): inside a transaction, the guard
    triggers let DELETE through; UPDATE stays refused."""
    with transaction.atomic(), unlocked():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT set_config('lectern.audit_unlock', 'on', true)")
        try:
            yield
        finally:
            if connection.vendor == "postgresql":
                with connection.cursor() as cursor:
                    cursor.execute("SELECT set_config('lectern.audit_unlock', 'off', true)")


def register_sqlite_guard(sender, connection, **kwargs):
    """connection_created: give each SQLite connection the guard triggers' function."""
    if connection.vendor == "sqlite":
        connection.connection.create_function("lectern_audit_unlocked", 0, is_unlocked)


def allow_flush():
    """Django's flush (used between transactional tests) empties every table; let it empty the
    audit table too. Nothing else changes: it runs only inside execute_sql_flush."""
    from django.db.backends.base.operations import BaseDatabaseOperations

    original = BaseDatabaseOperations.execute_sql_flush
    if getattr(original, "_lectern_audit", False):
        return

    def execute_sql_flush(self, sql_list):
        with unlocked():
            if self.connection.vendor == "postgresql":
                sql_list = [
                    "SELECT set_config('lectern.audit_unlock', 'on', false)",
                    *sql_list,
                    "SELECT set_config('lectern.audit_unlock', 'off', false)",
                ]
            return original(self, sql_list)

    execute_sql_flush._lectern_audit = True
    BaseDatabaseOperations.execute_sql_flush = execute_sql_flush


# --- retention and archive ------------------------------------------------------------------


def retention_days() -> int:
    return max(MIN_RETENTION_DAYS, int(getattr(settings, "LECTERN_AUDIT_RETENTION_DAYS", 180)))


@dataclass
class Archived:
    count: int
    path: str = ""
    sha256: str = ""


def _row_dict(row) -> dict:
    return {
        "id": row.pk,
        "actor_id": row.actor_id,
        **content_of(row),
        "prev_hash": row.prev_hash,
        "row_hash": row.row_hash,
    }


def archive(*, now=None, limit: int = 100_000) -> Archived:
    """Move entries older than the online retention to a gzip JSON-lines file (stored with its
    SHA-256 in the name), record it in the chain (`audit.archive`: count, ids, the last archived
    hash, the file and its SHA-256), then delete those entries through the privileged path."""
    from core.models import AuditLog

    now = now or timezone.now()
    cutoff = now - timedelta(days=retention_days())
    with transaction.atomic():
        _lock_chain()
        last_id = (
            AuditLog.objects.filter(created_at__lt=cutoff)
            .exclude(action=ARCHIVE_ACTION)
            .order_by("-id")
            .values_list("id", flat=True)
            .first()
        )
        if last_id is None:
            return Archived(0)
        rows = list(AuditLog.objects.filter(id__lte=last_id).order_by("id")[:limit])
        last = rows[-1]
        buffer = io.BytesIO()
        with gzip.GzipFile(fileobj=buffer, mode="wb", mtime=0) as gz:
            for row in rows:
                line = json.dumps(_row_dict(row), ensure_ascii=False, cls=DjangoJSONEncoder)
                gz.write(line.encode() + b"\n")
        content = buffer.getvalue()
        digest = hashlib.sha256(content).hexdigest()
        name = f"audit-archive/audit-{rows[0].pk}-{last.pk}-{digest}.jsonl.gz"
        path = default_storage.save(name, ContentFile(content))
        with privileged_delete():
            AuditLog.objects.filter(id__lte=last.pk).delete()
        write(
            [
                build(
                    actor=None,
                    action=ARCHIVE_ACTION,
                    target_type="core.auditlog",
                    target_id=f"{rows[0].pk}-{last.pk}",
                    after={
                        "count": len(rows),
                        "first_id": rows[0].pk,
                        "last_id": last.pk,
                        "last_hash": last.row_hash,
                        "file": path,
                        "sha256": digest,
                        "cutoff": cutoff.isoformat(),
                    },
                )
            ]
        )
    return Archived(len(rows), path, digest)
