"""Re-encrypt personal data (ID and phone numbers) with the newest key of LECTERN_PII_KEYS.

Rotation: put the new key first in LECTERN_PII_KEYS (keep the old ones after it), restart, run
`manage.py pii_rotate_key`, then drop the old keys. Batched and resumable: each batch commits on
its own and a rerun skips rows already on the newest key (`--after <id>` starts further on).
After changing LECTERN_PII_INDEX_KEY run it with `--reindex` (every blind index recomputed;
lookups by ID or phone miss rows not yet reindexed until it finishes).
"""

from django.core.management.base import BaseCommand

from core.crypto import rotate_all
from core.services import audit_log_target


class Command(BaseCommand):
    help = (
        "Re-encrypt ID and phone numbers with the newest LECTERN_PII_KEYS key (batched, resumable)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--batch", type=int, default=1000)
        parser.add_argument("--after", type=int, default=0, help="start after this primary key")
        parser.add_argument("--reindex", action="store_true", help="recompute every blind index")

    def handle(self, *args, batch, after, reindex, **options):
        result = rotate_all(
            batch=max(batch, 1), after=after, reindex=reindex, say=self.stdout.write
        )
        audit_log_target(
            actor=None,
            action="pii.rotate_key",
            target_type="pii",
            target_id="keys",
            after={label: {"rows": r, "changed": c} for label, (r, c) in result.items()}
            | {"reindex": reindex, "after": after},
        )
        for label, (rows, changed) in result.items():
            self.stdout.write(f"{label}: {rows} rows read, {changed} re-encrypted")
