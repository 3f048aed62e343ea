from celery import shared_task

from core.jobs import run_file_job


@shared_task(bind=True, acks_late=True, max_retries=2, default_retry_delay=10)
def roster_pdf_render(self, file_id: str, program_id: int) -> str:
    """Render the roster PDF into a generated file (the page polls it); core.jobs.run_file_job
    ends it done or failed with a message, whatever happens."""

    def work(gf, progress):
        from enrollment.exports import roster_filename, roster_pdf
        from programs.models import Program

        program = Program.objects.get(pk=program_id)
        progress(10)
        return roster_pdf(program), roster_filename(program, "pdf"), "application/pdf"

    return run_file_job(file_id, work, task=self)


@shared_task(bind=True, acks_late=True, max_retries=2, default_retry_delay=10)
def roster_xlsx_render(self, file_id: str, program_id: int, full: bool = False) -> str:
    """Write the roster workbook into a generated file; `full` (full phone numbers) only when the
    view's core.pii.full_export_check allowed it."""

    def work(gf, progress):
        from enrollment.exports import roster_filename, roster_xlsx
        from programs.models import Program

        program = Program.objects.get(pk=program_id)
        progress(10)
        return (
            roster_xlsx(program, full=full),
            roster_filename(program, "xlsx"),
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )

    return run_file_job(file_id, work, task=self)


@shared_task
def import_batches_purge() -> dict:
    """Nightly: drop abandoned roster previews, clear the rows of old imports."""
    from enrollment.services import import_batches_purge as purge

    return purge()


@shared_task
def notice_reminders_due() -> int:
    """Every 15 minutes (beat): remind silent units of nomination notices 48 and 24 hours before
    the reply deadline, exactly once per unit and occasion (NoticeReminder's unique constraint)."""
    from enrollment.services.notices import notice_reminders_due as due

    return due()
