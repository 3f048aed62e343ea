BEAT_SCHEDULE = {
    # Every minute: idempotent (a marker row per session), so overlaps and retries are harmless.
    "attendance-close-windows": {
        "task": "attendance.tasks.attendance_close_windows",
        "schedule": 60.0,
        "options": {"expires": 50},
    },
}
