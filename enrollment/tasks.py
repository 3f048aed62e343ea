from celery import shared_task

from core import services as core_services


@shared_task(bind=True, max_retries=2, default_retry_delay=10)
def roster_pdf_render(self, file_id: str, program_id: int) -> None:
    """Render the roster PDF into a generated file (the page polls it)."""
    from enrollment.exports import roster_pdf
    from programs.models import Program

    core_services.generated_file_progress(file_id=file_id, progress=10)
    try:
        program = Program.objects.get(pk=program_id)
        content = roster_pdf(program)
    except Exception as exc:  # report to the page, then let Celery decide on a retry
        core_services.generated_file_fail(file_id=file_id, error=str(exc))
        raise
    core_services.generated_file_finish(
        file_id=file_id,
        content=content,
        filename=f"roster-{program.code}.pdf",
        content_type="application/pdf",
    )


@shared_task
def import_batches_purge() -> dict:
    """Nightly: drop abandoned roster previews, clear the rows of old imports."""
    from enrollment.services import import_batches_purge as purge

    return purge()
