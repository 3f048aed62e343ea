from celery.schedules import crontab

BEAT_SCHEDULE = {
    "core-generated-files-cleanup": {
        "task": "core.tasks.generated_files_cleanup",
        "schedule": crontab(minute=17, hour=3),
    },
}
