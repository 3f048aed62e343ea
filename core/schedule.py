from celery.schedules import crontab

BEAT_SCHEDULE = {
    "core-generated-files-cleanup": {
        "task": "core.tasks.generated_files_cleanup",
        "schedule": crontab(minute=17, hour=3),
    },
    "core-generated-files-requeue": {
        "task": "core.tasks.generated_files_requeue",
        "schedule": 60.0,
    },
    # Jobs that stopped reporting (worker killed, message lost) end failed, never "running".
    "core-file-jobs-fail-stale": {
        "task": "core.tasks.file_jobs_fail_stale",
        "schedule": crontab(minute="*/5"),
    },
    "core-notification-email-sweep": {
        "task": "core.tasks.notification_email_sweep",
        "schedule": crontab(minute="*/10"),
    },
}
