from celery.schedules import crontab

BEAT_SCHEDULE = {
    # Nomination notices: remind units that have not replied, 48 and 24 hours before the deadline
    # (each occasion once per unit, whatever the number of beat processes).
    "enrollment-notice-reminders": {
        "task": "enrollment.tasks.notice_reminders_due",
        "schedule": 15 * 60,
    },
    # Uploaded rosters hold ID and phone numbers: previews nobody confirmed are dropped, and the
    # rows of old imports cleared (the summary stays). Idempotent.
    "enrollment-import-batches-purge": {
        "task": "enrollment.tasks.import_batches_purge",
        "schedule": crontab(minute=20, hour=3),
    },
}
