"""core.jobs.run_file_job: every file job ends done or failed with a message, whatever happens;
jobs that stop reporting are failed by the sweep; the file page stops polling then."""

import datetime as dt

import pytest
from celery import shared_task
from django.db import OperationalError
from django.urls import reverse
from django.utils import timezone

from core.errors import DomainError
from core.jobs import file_jobs_fail_stale, run_file_job
from core.models import GeneratedFile

pytestmark = pytest.mark.django_db


def _job(owner, **extra):
    return GeneratedFile.objects.create(
        owner=owner, kind="core.test", title="测试导出", params={}, **extra
    )


def _ok(gf, progress):
    progress(40)
    return b"%PDF-1.4\n", "结果.pdf", "application/pdf"


def test_a_job_that_works_is_stored_once(world):
    gf = _job(world.manager)
    assert run_file_job(gf.pk, _ok) == "done"
    gf.refresh_from_db()
    assert gf.status == GeneratedFile.Status.DONE and gf.progress == 100
    assert gf.filename == "结果.pdf" and gf.file.read() == b"%PDF-1.4\n"
    # a duplicated or retried job finds it done and does nothing
    assert run_file_job(gf.pk, lambda g, p: pytest.fail("ran twice")) == "done"


def test_progress_marks_running_and_is_a_sign_of_life(world):
    gf = _job(world.manager)
    GeneratedFile.objects.filter(pk=gf.pk).update(updated_at=timezone.now() - dt.timedelta(hours=1))
    seen = {}

    def work(g, progress):
        progress(55)
        seen.update(
            GeneratedFile.objects.filter(pk=g.pk).values("status", "progress", "updated_at")[0]
        )
        return b"x", "x.txt", "text/plain"

    run_file_job(gf.pk, work)
    assert seen["status"] == GeneratedFile.Status.RUNNING and seen["progress"] == 55
    assert seen["updated_at"] > timezone.now() - dt.timedelta(minutes=1)


@pytest.mark.parametrize(
    "error", [ValueError("bad value"), KeyError("missing"), ZeroDivisionError(), RuntimeError()]
)
def test_any_exception_ends_the_job_failed_with_a_message(world, error):
    gf = _job(world.manager)

    def work(g, progress):
        progress(10)
        raise error

    assert run_file_job(gf.pk, work) == "failed"
    gf.refresh_from_db()
    assert gf.status == GeneratedFile.Status.FAILED
    assert error.__class__.__name__ in gf.error
    assert "生成文件时出错" in gf.error


def test_a_domain_error_fails_with_its_own_message(world):
    gf = _job(world.manager)

    def work(g, progress):
        raise DomainError("报表所依据的数据已不存在。")

    assert run_file_job(gf.pk, work) == "failed"
    gf.refresh_from_db()
    assert gf.status == GeneratedFile.Status.FAILED and gf.error == "报表所依据的数据已不存在。"


def test_the_job_runs_and_fails_in_the_owners_language(world):
    from django.utils import translation

    world.manager.language = "en"
    world.manager.save(update_fields=["language"])
    gf = _job(world.manager)
    seen = []

    def work(g, progress):
        seen.append(translation.get_language())
        raise ValueError

    run_file_job(gf.pk, work)
    gf.refresh_from_db()
    assert seen == ["en"]  # its messages (DomainError, the failure text) are written in English
    assert gf.status == GeneratedFile.Status.FAILED and "ValueError" in gf.error


def test_a_transient_error_in_process_fails_instead_of_hanging(world):
    gf = _job(world.manager)

    def work(g, progress):
        raise OperationalError("server closed the connection unexpectedly")

    assert run_file_job(gf.pk, work) == "failed"
    gf.refresh_from_db()
    assert gf.status == GeneratedFile.Status.FAILED and gf.error


@shared_task(bind=True, max_retries=2)
def _flaky_task(self, file_id):
    def work(g, progress):
        raise OperationalError("connection refused")

    return run_file_job(file_id, work, task=self)


def test_a_celery_task_with_retries_left_is_retried_on_a_transient_error(world, settings):
    from celery.exceptions import Retry

    from config.celery import app

    gf = _job(world.manager)
    eager = app.conf.task_always_eager
    app.conf.task_always_eager = False  # the retry goes to the (in-memory) broker
    # as a worker runs it: a real request id, not eager, no retries used yet
    _flaky_task.push_request(
        id="t-1", retries=0, is_eager=False, called_directly=False, args=[str(gf.pk)], kwargs={}
    )
    try:
        with pytest.raises(Retry):
            _flaky_task.run(str(gf.pk))
        gf.refresh_from_db()
        assert gf.status == GeneratedFile.Status.RUNNING and "重试" in gf.error
    finally:
        _flaky_task.pop_request()
        app.conf.task_always_eager = eager
    # the last attempt fails the job for good
    _flaky_task.push_request(
        id="t-1", retries=2, is_eager=False, called_directly=False, args=[str(gf.pk)], kwargs={}
    )
    try:
        assert _flaky_task.run(str(gf.pk)) == "failed"
    finally:
        _flaky_task.pop_request()
    gf.refresh_from_db()
    assert gf.status == GeneratedFile.Status.FAILED


def test_a_missing_or_finished_file_is_left_alone(world):
    import uuid

    assert run_file_job(uuid.uuid4(), _ok) == "missing"
    gf = _job(world.manager, status=GeneratedFile.Status.FAILED, error="earlier")
    assert run_file_job(gf.pk, _ok) == "failed"
    gf.refresh_from_db()
    assert gf.error == "earlier"


def test_the_sweep_fails_a_running_job_that_stopped_reporting(world, settings):
    settings.LECTERN_FILE_JOB_STALE_MINUTES = 30
    now = timezone.now()
    stale = _job(world.manager, status=GeneratedFile.Status.RUNNING, progress=10)
    alive = _job(world.manager, status=GeneratedFile.Status.RUNNING, progress=60)
    waiting = _job(world.manager)  # pending, young: the queue may be down for a while
    old_pending = _job(world.manager)
    done = _job(world.manager, status=GeneratedFile.Status.DONE)
    GeneratedFile.objects.filter(pk__in=[stale.pk, done.pk]).update(
        updated_at=now - dt.timedelta(minutes=31)
    )
    GeneratedFile.objects.filter(pk=alive.pk).update(updated_at=now - dt.timedelta(minutes=29))
    GeneratedFile.objects.filter(pk=old_pending.pk).update(
        created_at=now - dt.timedelta(days=1), updated_at=now - dt.timedelta(days=1)
    )

    assert file_jobs_fail_stale(now=now) == 2
    status = dict(GeneratedFile.objects.values_list("pk", "status"))
    assert status[stale.pk] == status[old_pending.pk] == GeneratedFile.Status.FAILED
    assert status[alive.pk] == GeneratedFile.Status.RUNNING
    assert status[waiting.pk] == GeneratedFile.Status.PENDING
    assert status[done.pk] == GeneratedFile.Status.DONE
    stale.refresh_from_db()
    assert "没有响应" in stale.error
    assert file_jobs_fail_stale(now=now) == 0


def test_the_sweep_is_scheduled_and_its_task_runs(world):
    from config.celery import app
    from core.tasks import file_jobs_fail_stale as task

    names = {entry["task"] for entry in app.conf.beat_schedule.values()}
    assert "core.tasks.file_jobs_fail_stale" in names
    assert task.delay().get() == 0


def test_the_file_page_stops_polling_once_failed(world, client_for):
    gf = _job(world.manager)
    client = client_for(world.manager)
    url = reverse("generated_file", args=[gf.pk])
    assert client.get(url, headers={"HX-Request": "true"}).status_code == 200  # keeps polling
    run_file_job(gf.pk, lambda g, p: {}["boom"])
    response = client.get(url, headers={"HX-Request": "true"})
    assert response.status_code == 286  # htmx: stop polling
    assert "hx-trigger" not in response.content.decode()
    assert "KeyError" in response.content.decode()


@pytest.mark.parametrize(
    "task_path",
    [
        "evaluation.tasks.round_export_task",
        "evaluation.tasks.reflection_collection_task",
        "evaluation.tasks.certificate_pdf_task",
        "enrollment.tasks.roster_pdf_render",
    ],
)
def test_app_file_tasks_end_failed_when_their_object_is_gone(world, task_path):
    """Issue 12 item 13: the evaluation export stayed "running, 10 %" forever on an
    unexpected error; every app's file task now runs through run_file_job."""
    import importlib

    module, name = task_path.rsplit(".", 1)
    task = getattr(importlib.import_module(module), name)
    gf = _job(world.manager)
    task.delay(str(gf.pk), 987654321).get()
    gf.refresh_from_db()
    assert gf.status == GeneratedFile.Status.FAILED
    assert "已不存在" in gf.error
