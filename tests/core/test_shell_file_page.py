"""The file page shows a job's progress, stops polling when it ends, says why it failed, leads
back to where the export started; in the demo (in-process Celery) a job never holds the request."""

import threading
import time

import pytest
from celery import shared_task
from django.db import transaction
from django.test import RequestFactory
from django.urls import reverse

from core.jobs import run_file_job
from core.links import remembering_request
from core.models import GeneratedFile
from core.services import generated_file_start, jobs_run_after_response
from tests.factories import UserFactory

RELEASE = threading.Event()


@shared_task(name="tests.core.test_shell_file_page.slow_export")
def slow_export(file_id):
    def work(gf, progress):
        progress(40)
        assert RELEASE.wait(10), "the test never released the job"
        return b"a,b\n", "名单.csv", "text/csv"

    return run_file_job(file_id, work)


def _file(owner, status, **extra):
    return GeneratedFile.objects.create(
        owner=owner, kind="enrollment.roster_pdf", title="花名册", status=status, **extra
    )


@pytest.mark.django_db
def test_a_running_job_shows_a_spinner_progress_and_keeps_polling(client):
    owner = UserFactory()
    gf = _file(owner, GeneratedFile.Status.RUNNING, progress=40, params={"_return": "/programs/7/"})
    client.force_login(owner)
    page = client.get(reverse("generated_file", args=[gf.pk])).content.decode()
    assert 'class="spinner"' in page and 'hx-trigger="every 1s"' in page
    assert "正在生成,已完成 40%" in page
    assert 'href="/programs/7/"' in page  # the way back
    poll = client.get(reverse("generated_file", args=[gf.pk]), headers={"HX-Request": "true"})
    assert poll.status_code == 200 and "every 1s" in poll.content.decode()


@pytest.mark.django_db
def test_polling_stops_when_done_and_offers_the_download(
    world, client_for, django_capture_on_commit_callbacks
):
    client = client_for(world.manager)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("enrollment:export_pdf", args=[world.program.pk]))
    gf = GeneratedFile.objects.get(kind="enrollment.roster_pdf", status="done")
    poll = client.get(reverse("generated_file", args=[gf.pk]), headers={"HX-Request": "true"})
    assert poll.status_code == 286  # htmx: stop polling
    text = poll.content.decode()
    assert reverse("generated_file_download", args=[gf.pk]) in text and "every 1s" not in text


@pytest.mark.django_db
def test_a_failed_job_says_why_and_stops_polling(client):
    owner = UserFactory()
    gf = _file(owner, GeneratedFile.Status.FAILED, error="生成文件时出错(ValueError)。")
    client.force_login(owner)
    poll = client.get(reverse("generated_file", args=[gf.pk]), headers={"HX-Request": "true"})
    assert poll.status_code == 286
    assert "生成失败" in poll.content.decode() and "ValueError" in poll.content.decode()
    page = client.get(reverse("generated_file", args=[gf.pk])).content.decode()
    assert 'href="/"' in page  # no origin stored: home


@pytest.mark.django_db
def test_the_page_an_export_was_started_from_is_remembered(world, client_for):
    client = client_for(world.manager)
    program_page = f"/programs/{world.program.pk}/"
    client.post(
        reverse("enrollment:export_pdf", args=[world.program.pk]),
        headers={"Referer": f"http://testserver{program_page}"},
    )
    gf = GeneratedFile.objects.get(kind="enrollment.roster_pdf")
    assert gf.params["_return"] == program_page
    assert gf.params["_base"] == "http://testserver"
    page = client.get(reverse("generated_file", args=[gf.pk])).content.decode()
    assert f'href="{program_page}"' in page


@pytest.mark.django_db
def test_a_foreign_referer_is_not_a_way_back():
    owner = UserFactory()
    request = RequestFactory().get("/", HTTP_REFERER="https://evil.example/x")
    with remembering_request(request), transaction.atomic():
        gf = generated_file_start(owner=owner, kind="x.y", title="t", params={}, task=slow_export)
    assert gf.params["_return"] == ""


def test_jobs_run_after_the_response_only_in_development_while_serving_a_request(settings):
    request = RequestFactory().get("/")
    settings.LECTERN_ENV = "test"
    with remembering_request(request):
        assert not jobs_run_after_response()
    settings.LECTERN_ENV = "development"
    with remembering_request(request):
        assert jobs_run_after_response()  # tests run Celery eagerly, as the demo does
    assert not jobs_run_after_response()  # a command: no thread that could outlive it


@pytest.mark.django_db(transaction=True)
def test_in_the_demo_a_job_does_not_hold_the_request_that_started_it(settings):
    settings.LECTERN_ENV = "development"
    RELEASE.clear()
    owner = UserFactory()
    started = time.monotonic()
    with remembering_request(RequestFactory().get("/")), transaction.atomic():
        gf = generated_file_start(
            owner=owner, kind="x.y", title="名单", params={}, task=slow_export
        )
    assert time.monotonic() - started < 2  # returned while the job still waits
    deadline = time.monotonic() + 10
    while GeneratedFile.objects.get(pk=gf.pk).status == GeneratedFile.Status.PENDING:
        assert time.monotonic() < deadline
        time.sleep(0.05)
    gf.refresh_from_db()
    assert gf.status == GeneratedFile.Status.RUNNING and gf.progress == 40
    assert gf.task_id == "in-process"
    RELEASE.set()
    while GeneratedFile.objects.get(pk=gf.pk).status == GeneratedFile.Status.RUNNING:
        assert time.monotonic() < deadline
        time.sleep(0.05)
    gf.refresh_from_db()
    assert gf.status == GeneratedFile.Status.DONE and gf.filename == "名单.csv"
