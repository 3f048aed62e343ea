"""Thin tasks: they take ids, call a service and report progress."""

from celery import shared_task
from django.utils import timezone

from reports import services


@shared_task(bind=True, acks_late=True, max_retries=3, default_retry_delay=10)
def export_run(self, file_id: str) -> str:
    return services.export_run(file_id=file_id, task=self)


@shared_task(bind=True, acks_late=True, max_retries=2, default_retry_delay=5)
def summary_chunk(self, file_id: str, index: int) -> str:
    try:
        return services.summary_chunk_render(file_id=file_id, index=index)
    except Exception as exc:
        services.generated_file_fail(
            file_id=file_id,
            error=f"生成报表时出错(第 {index + 1} 部分:{exc.__class__.__name__})。请重试。",
        )
        raise


@shared_task(acks_late=True)
def summary_merge(parts: list[str], file_id: str) -> str:
    services.summary_merge_finish(file_id=file_id, parts=parts)
    return "done"


@shared_task
def reminders_dispatch() -> int:
    """The beat job: send every due reminder that has not been sent yet."""
    from reports.reminders import due_reminders

    return services.reminders_send(reminders=due_reminders(timezone.now()))


@shared_task
def rollups_refresh_changed() -> int:
    return services.rollup_refresh_changed()


@shared_task
def rollups_rebuild_all() -> dict:
    return services.rollup_rebuild_all()
