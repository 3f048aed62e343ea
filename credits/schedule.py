from celery.schedules import crontab

BEAT_SCHEDULE = {
    # Cadres whose attendance, enrolments, sessions or program credit policy changed since the
    # last run get their compliance rows recomputed.
    "credits-rollup-refresh": {
        "task": "credits.tasks.rollup_refresh_changed_task",
        "schedule": 300.0,
    },
    # Everything, every night (a moved unit, a renamed rank, anything the refresh cannot see).
    "credits-rollup-rebuild": {
        "task": "credits.tasks.rollup_rebuild_task",
        "schedule": crontab(minute=20, hour=3),
    },
}
