from celery import shared_task

from attendance import services


@shared_task
def attendance_close_windows() -> dict:
    """Mark absentees once check-in has closed, missed check-outs once check-out has closed."""
    return services.sessions_close_due()
