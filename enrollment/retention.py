"""Retention (issue 17 item 11): enrollment's purger, run by core.retention's daily purge.

An uploaded roster is kept as an import batch (every row as read: names, units, ID and phone
numbers) for its preview and confirmation; past the policy's period (core.retention.DEFAULT_DAYS
"roster_import_batches", LECTERN_RETENTION_DAYS) the batch is deleted. The enrollments it made
stay, and the import itself stays in the audit log."""

from enrollment.models import ImportBatch


def purge_roster_import_batches(*, before) -> int:
    return ImportBatch.objects.filter(created_at__lt=before).delete()[0]


PURGERS = {"roster_import_batches": purge_roster_import_batches}
