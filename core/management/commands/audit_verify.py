from django.core.management.base import BaseCommand, CommandError

from core import audit


class Command(BaseCommand):
    help = "Walk the audit log's hash chain; report the first altered or missing entry."

    def handle(self, *args, **options):
        result = audit.verify()
        if not result.ok:
            raise CommandError(
                f"audit chain broken at entry id={result.first_bad_id}: {result.problem} "
                f"({result.checked} entries before it verified)"
            )
        self.stdout.write(
            f"audit chain intact: {result.checked} entries, head {result.head_hash or '-'}"
        )
