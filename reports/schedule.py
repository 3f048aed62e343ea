from celery.schedules import crontab

BEAT_SCHEDULE = {
    # Reminder sources look ahead (day before, hour before); markers make every tick idempotent.
    "reports-reminders-dispatch": {
        "task": "reports.tasks.reminders_dispatch",
        "schedule": 300.0,
    },
    # Statistics rollups: programs changed since the last run, every two minutes.
    "reports-rollups-refresh": {
        "task": "reports.tasks.rollups_refresh_changed",
        "schedule": 120.0,
    },
    # A full rebuild at night catches anything the incremental refresh could not see.
    "reports-rollups-rebuild": {
        "task": "reports.tasks.rollups_rebuild_all",
        "schedule": crontab(minute=40, hour=2),
    },
}
