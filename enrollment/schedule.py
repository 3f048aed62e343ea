from celery.schedules import crontab

BEAT_SCHEDULE = {
    # Uploaded rosters hold ID and phone numbers: previews nobody confirmed are dropped, and the
    # rows of old imports cleared (the summary stays). Idempotent.
    "enrollment-import-batches-purge": {
        "task": "enrollment.tasks.import_batches_purge",
        "schedule": crontab(minute=20, hour=3),
    },
}
