"""Retention (issue 17 item 11): credits' purger, run by core.retention's daily purge.

An upload of the online college's yearly export is kept as an import (every row as read and
matched) for its preview and confirmation; past the policy's period (core.retention.DEFAULT_DAYS
"online_import_batches", LECTERN_RETENTION_DAYS) it is deleted. The credit entries it made stay."""

from credits.models import OnlineImport


def purge_online_import_batches(*, before) -> int:
    return OnlineImport.objects.filter(created_at__lt=before).delete()[0]


PURGERS = {"online_import_batches": purge_online_import_batches}
