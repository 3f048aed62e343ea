"""A real Celery worker over Redis renders a summary: progress is observed on the way, one file
is made, and redelivery adds nothing."""

import threading
import time

import pytest
from celery.result import AsyncResult

from config.celery import app
from core.models import GeneratedFile
from reports import services
from reports.tasks import export_run
from tests.reports.conftest import needs_poppler, pdf_page_count, pdf_pages_text, squash
from tests.reports.factories import build_program


@needs_poppler
@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_real_worker_renders_summary_with_progress(world, monkeypatch, tmp_path):
    from celery.contrib.testing.worker import start_worker

    build_program(trainees=60, sessions=4, units=4, program=world.program, parent=world.city_a)
    app.conf.task_always_eager = False
    assert app.conf.broker_url.startswith("redis://")
    seen: list[tuple[str, int]] = []
    states: set[str] = set()
    with start_worker(
        app,
        pool="threads",
        concurrency=2,
        perform_ping_check=False,
        loglevel="WARNING",
        shutdown_timeout=30,
    ):
        gf = services.export_request(kind="summary_pdf", by=world.manager, program=world.program)
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            row = GeneratedFile.objects.values_list("status", "progress", "task_id").get(pk=gf.pk)
            if not seen or seen[-1] != row[:2]:
                seen.append(row[:2])
            if row[2]:
                states.add(AsyncResult(row[2], app=app).state)
            if row[0] in ("done", "failed"):
                break
            time.sleep(0.02)
        # The broker redelivers the first job: the file is done, nothing is rendered again.
        assert export_run.delay(str(gf.pk)).get(timeout=30) == "done"
    gf.refresh_from_db()
    assert gf.status == "done", (gf.error, seen)
    statuses = [s for s, _p in seen]
    assert "running" in statuses
    progresses = [p for _s, p in seen]
    assert any(0 < p < 100 for p in progresses), seen
    assert progresses == sorted(progresses)
    assert states & {"PROGRESS", "SUCCESS"}
    path = tmp_path / "s.pdf"
    path.write_bytes(gf.file.read())
    pages = pdf_pages_text(path)
    assert len(pages) == pdf_page_count(path)
    assert f"第{len(pages)}页/共{len(pages)}页" in squash(pages[-1])
    assert GeneratedFile.objects.count() == 1
    assert threading.active_count() >= 1
