"""The Celery application. Apps declare periodic jobs in <app>/schedule.py as BEAT_SCHEDULE."""

import importlib
import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("lectern")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


def _collect_beat_schedule() -> dict:
    from django.conf import settings

    schedule: dict = {}
    for label in settings.LECTERN_APPS:
        try:
            module = importlib.import_module(f"{label}.schedule")
        except ModuleNotFoundError as exc:
            if exc.name != f"{label}.schedule":
                raise
            continue
        schedule.update(getattr(module, "BEAT_SCHEDULE", {}))
    return schedule


@app.on_after_finalize.connect
def _setup_periodic_tasks(sender, **kwargs):
    sender.conf.beat_schedule = _collect_beat_schedule()
