from django.core.management.base import BaseCommand

from core import audit


class Command(BaseCommand):
    help = (
        "Move audit entries older than LECTERN_AUDIT_RETENTION_DAYS (at least 180) to a "
        "hash-stamped archive file and remove them online (the scheduled job does the same)."
    )

    def handle(self, *args, **options):
        done = audit.archive()
        if not done.count:
            self.stdout.write("nothing to archive")
            return
        self.stdout.write(f"archived {done.count} entries to {done.path} (sha256 {done.sha256})")
