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
    # Retention (issue 17 item 11): what is past its period is purged, audited per kind; audit
    # entries past the online retention are archived to a hash-stamped file.
    "core-retention-purge": {
        "task": "core.tasks.retention_purge",
        "schedule": crontab(minute=37, hour=3),
    },
    "core-audit-archive": {
        "task": "core.tasks.audit_archive",
        "schedule": crontab(minute=7, hour=4),
    },
    "core-audit-verify": {
        "task": "core.tasks.audit_verify",
        "schedule": crontab(minute=47, hour=4),
    },
    "core-notification-email-sweep": {
        "task": "core.tasks.notification_email_sweep",
        "schedule": crontab(minute="*/10"),
    },
}
