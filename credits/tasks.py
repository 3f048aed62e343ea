"""Thin jobs over credits' services: the record's files (through core.jobs.run_file_job), the
compliance rollup (refresh of what changed, the nightly rebuild) and the year-end reminders."""

from celery import shared_task

from core.jobs import run_file_job

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@shared_task(bind=True, acks_late=True, max_retries=2, default_retry_delay=10)
def record_file_task(self, file_id: str, cadre_id: int, year: int, fmt: str) -> bool:
    def make(gf, progress):
        from accounts.models import User
        from credits.services.exports import record_filename, record_pdf, record_xlsx

        cadre = User.objects.select_related("unit").get(pk=cadre_id)
        progress(10)
        if fmt == "pdf":
            return (
                record_pdf(cadre=cadre, year=year),
                record_filename(cadre, year, "pdf"),
                ("application/pdf"),
            )
        return record_xlsx(cadre=cadre, year=year), record_filename(cadre, year, "xlsx"), XLSX

    return run_file_job(file_id, make, task=self) == "done"


@shared_task
def rollup_refresh_changed_task() -> int:
    from credits.services import rollup_refresh_changed

    return rollup_refresh_changed()


@shared_task
def rollup_rebuild_task() -> int:
    from credits.services import rollup_rebuild

    return rollup_rebuild()
