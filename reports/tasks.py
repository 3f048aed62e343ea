"""Thin tasks: they take ids and call a service; file jobs run through core.jobs.run_file_job
(reports.services.export_run), so every export ends done or failed."""

from celery import shared_task
from django.utils import timezone

from reports import services


@shared_task(bind=True, acks_late=True, max_retries=3, default_retry_delay=10)
def export_run(self, file_id: str) -> str:
    return services.export_run(file_id=file_id, task=self)


@shared_task
def reminders_dispatch() -> int:
    """The beat job: send every due reminder that has not been sent yet (core.reminders)."""
    from core.reminders import dispatch

    return dispatch(timezone.now())


@shared_task
def rollups_refresh_changed() -> int:
    return services.rollup_refresh_changed()


@shared_task
def rollups_rebuild_all() -> dict:
    return services.rollup_rebuild_all()
