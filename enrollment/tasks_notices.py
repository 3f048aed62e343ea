"""Beat task for nomination-notice reminders (催报). To be imported from enrollment/tasks.py and
scheduled in enrollment/schedule.py (see the notices developer's report)."""

from celery import shared_task


@shared_task
def notice_reminders_due() -> int:
    """Every 15 minutes: remind silent units of notices 48 and 24 hours before the deadline,
    exactly once per unit and occasion (NoticeReminder's unique constraint)."""
    from enrollment.services.notices import notice_reminders_due as due

    return due()
