"""Retention and purge (issue 17 item 11): per kind of data a retention period as policy, and a
scheduled purge (core.tasks.retention_purge, daily) of what is past it, audited with counts.

Policy: :data:`DEFAULT_DAYS`, overridden per kind by ``settings.LECTERN_RETENTION_DAYS`` (a dict
``{kind: days}``; ``None`` keeps that kind for good).

Apps offer purgers in ``<app>/retention.py`` (discovered by core.registry)::

    PURGERS = {
        "leave_attachments": purge_leave_attachments,   # (before: datetime) -> int deleted
    }

A purger deletes (or blanks) what was made before ``before`` and returns how many it removed.
Each runs in its own transaction; one that fails is audited as refused and the others still run.
core's own purgers (generated files, notifications) are below.
"""

import logging
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from core.registry import app_hooks

logger = logging.getLogger(__name__)

DEFAULT_DAYS: dict[str, int | None] = {
    "generated_files": 7,  # download links expire after a day; this is the safety net
    "notifications": 365,
    "leave_attachments": 365,  # attendance: the proof uploaded with a decided leave request
    "reflection_attachments": 3 * 365,  # evaluation: files attached to reflections
    "roster_import_batches": 90,  # enrollment: uploaded rosters (preview rows, names, IDs)
    "online_import_batches": 365,  # credits: the online college's yearly export as uploaded
}


def delete_files_on_commit(names, storage) -> None:
    """Delete stored files once the purge's transaction has committed (a rolled-back purge
    keeps them, so no row points at a file that is gone)."""
    from django.db import transaction

    names = [n for n in names if n]

    def _delete():
        for name in names:
            try:
                storage.delete(name)
            except OSError:
                logger.warning("retention: could not delete %s", name, exc_info=True)

    if names:
        transaction.on_commit(_delete)


def policy() -> dict[str, int | None]:
    return {**DEFAULT_DAYS, **(getattr(settings, "LECTERN_RETENTION_DAYS", None) or {})}


def registered() -> list[tuple[str, object]]:
    """(kind, purger) pairs every app offers, in app order."""
    found = []
    for purgers in app_hooks("retention", "PURGERS"):
        found.extend(purgers.items())
    return found


@dataclass
class Purged:
    kind: str
    days: int | None
    count: int
    error: str = ""


def purge(*, now=None) -> list[Purged]:
    """Run every registered purger against the policy; one audit entry per kind."""
    from core.services import audit_log_target

    now = now or timezone.now()
    days_of = policy()
    results = []
    for kind, purger in registered():
        days = days_of.get(kind)
        if days is None:
            results.append(Purged(kind, None, 0))
            continue
        before = now - timedelta(days=days)
        try:
            with transaction.atomic():
                count = int(purger(before=before) or 0)
                audit_log_target(
                    action="retention.purge",
                    target_type="core.retention",
                    target_id=kind,
                    after={
                        "kind": kind,
                        "days": days,
                        "before": before.isoformat(),
                        "count": count,
                    },
                )
            results.append(Purged(kind, days, count))
        except Exception as exc:  # noqa: BLE001 — one kind failing must not stop the others
            logger.exception("retention purge of %s failed", kind)
            audit_log_target(
                action="retention.purge",
                target_type="core.retention",
                target_id=kind,
                after={"kind": kind, "days": days, "before": before.isoformat(), "count": 0},
                reason=str(exc)[:500],
                result="refused",
            )
            results.append(Purged(kind, days, 0, str(exc)))
    return results


# --- core's own data --------------------------------------------------------------------------


def purge_generated_files(*, before) -> int:
    from core.models import GeneratedFile

    old = GeneratedFile.objects.filter(created_at__lt=before)
    field = GeneratedFile._meta.get_field("file")
    delete_files_on_commit(list(old.exclude(file="").values_list("file", flat=True)), field.storage)
    return old.delete()[0]


def purge_notifications(*, before) -> int:
    from core.models import Notification

    return Notification.objects.filter(created_at__lt=before).delete()[0]


PURGERS = {
    "generated_files": purge_generated_files,
    "notifications": purge_notifications,
}
