"""Any app's file job survives a broker outage: it waits, says so, and runs when Redis is back."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from config.celery import app
from core.models import GeneratedFile
from core.services import generated_files_requeue

pytestmark = pytest.mark.django_db


def _reset_producers():
    app._pool = None
    app.amqp._producer_pool = None


def test_roster_pdf_asked_for_while_redis_is_down_runs_when_it_returns(
    world, client_for, django_capture_on_commit_callbacks
):
    previous = (app.conf.broker_url, app.conf.task_always_eager)
    app.conf.task_always_eager = False
    app.conf.broker_url = "redis://127.0.0.1:1/0"  # nothing listens there
    _reset_producers()
    try:
        client = client_for(world.manager)
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(reverse("enrollment:export_pdf", args=[world.program.pk]))
    finally:
        app.conf.broker_url, app.conf.task_always_eager = previous
        _reset_producers()
    assert response.status_code == 302
    gf = GeneratedFile.objects.get(kind="enrollment.roster_pdf")
    assert gf.status == GeneratedFile.Status.PENDING and gf.task_id == ""
    page = client.get(reverse("generated_file", args=[gf.pk]))
    assert "任务队列暂时不可用" in page.content.decode()

    assert generated_files_requeue() == 0  # too fresh: its own job may still be on the way
    GeneratedFile.objects.filter(pk=gf.pk).update(
        created_at=timezone.now() - dt.timedelta(minutes=2)
    )
    assert generated_files_requeue() == 1  # broker back (eager stands in for the worker)
    gf.refresh_from_db()
    assert gf.status == GeneratedFile.Status.DONE and gf.file and gf.task_id
    assert generated_files_requeue() == 0


def test_a_started_job_records_its_task_and_runs(
    world, client_for, django_capture_on_commit_callbacks
):
    client = client_for(world.manager)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("enrollment:export_pdf", args=[world.program.pk]))
    gf = GeneratedFile.objects.get(kind="enrollment.roster_pdf")
    assert gf.params["_task"] == "enrollment.tasks.roster_pdf_render"
    assert gf.status == GeneratedFile.Status.DONE and gf.task_id
