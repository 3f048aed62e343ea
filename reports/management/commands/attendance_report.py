"""manage.py attendance_report --program CODE --format pdf|xlsx|csv --output PATH

For admins who script exports. Same builders as the web exports (reports.rendering)."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from core.errors import DomainError
from programs.models import Program
from reports import rendering, services


class Command(BaseCommand):
    help = "Export a program's attendance summary as PDF, Excel or CSV."

    def add_arguments(self, parser):
        parser.add_argument("--program", required=True, help="program code")
        parser.add_argument("--format", required=True, choices=["pdf", "xlsx", "csv"])
        parser.add_argument("--output", required=True, help="file to write ('-' for stdout, csv)")

    def handle(self, *args, program, format, output, **options):
        try:
            prog = Program.objects.select_related("organizing_unit").get(code=program)
        except Program.DoesNotExist:
            raise CommandError(f"No program with code {program!r}.") from None
        if format == "csv":
            if output == "-":
                for line in rendering.attendance_csv_lines(program=prog):
                    self.stdout.write(line, ending="")
                return
            with open(output, "w", encoding="utf-8", newline="") as fh:
                for line in rendering.attendance_csv_lines(program=prog):
                    fh.write(line)
        else:
            try:
                if format == "pdf":
                    content = rendering.summary_pdf(program=prog)
                else:
                    content, _ext, _ctype = services.export_build(
                        kind="summary_xlsx", params={"program_id": prog.pk}
                    )
            except DomainError as exc:
                raise CommandError(str(exc)) from exc
            Path(output).write_bytes(content)
        self.stdout.write(self.style.SUCCESS(f"Wrote {output}"))
