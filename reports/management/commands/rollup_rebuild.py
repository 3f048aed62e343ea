from django.core.management.base import BaseCommand

from reports.services import rollup_rebuild_all


class Command(BaseCommand):
    help = "Rebuild the statistics rollup tables from the raw records."

    def handle(self, *args, **options):
        counts = rollup_rebuild_all()
        self.stdout.write(self.style.SUCCESS(f"Rollups rebuilt: {counts}"))
