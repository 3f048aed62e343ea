"""A worker killed mid-export: the job is handed to another worker and exactly one file results."""

import os
import signal
import subprocess
import sys
import time

import pytest
from django.conf import settings

from config.celery import app
from core.models import GeneratedFile
from reports import services
from tests.factories import UserFactory
from tests.faults.helpers import ROOT, current_database_url
from tests.reports.factories import build_program

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.redis,
    pytest.mark.serial,
    pytest.mark.django_db(transaction=True),
]

QUEUE = "lectern-fault-test"


def start_worker(name: str, media_root) -> subprocess.Popen:
    env = {
        **os.environ,
        "LECTERN_ENV": "test",
        "DATABASE_URL": current_database_url(),
        "REDIS_URL": settings.REDIS_URL,
        # the broker hands an unacknowledged job to another worker after this many seconds
        "CELERY_VISIBILITY_TIMEOUT": "3",
        "DB_POOL": "0",
        "MEDIA_ROOT": str(media_root),
    }
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "config",
            "worker",
            "--pool=solo",
            "--concurrency=1",
            "-Q",
            QUEUE,
            "-n",
            f"{name}@%h",
            "--loglevel=WARNING",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )


def wait_for(predicate, timeout: float, step: float = 0.1):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(step)
    return None


def test_killed_worker_job_is_retried_and_yields_exactly_one_file(tmp_path, settings):
    import redis

    redis.Redis.from_url(settings.REDIS_URL).delete(
        QUEUE, "unacked", "unacked_index", "unacked_mutex"
    )
    program, sessions, users, units = build_program(trainees=250, sessions=10, units=6)
    owner = UserFactory(is_superuser=True)
    gf = GeneratedFile.objects.create(
        owner=owner,
        kind="reports.summary_xlsx",
        title="考勤汇总表(故障测试)",
        params={"kind": "summary_xlsx", "program_id": program.pk},
    )
    from reports.tasks import export_run

    app.conf.task_always_eager = False
    first = start_worker("doomed", tmp_path)
    second = None
    try:
        export_run.apply_async((str(gf.pk),), queue=QUEUE)
        started = wait_for(
            lambda: GeneratedFile.objects.filter(pk=gf.pk, status="running").exists(), 60, 0.02
        )
        assert started, "the first worker never started the export"
        os.killpg(first.pid, signal.SIGKILL)  # mid-export: no ack, no cleanup
        first.wait(timeout=10)
        gf.refresh_from_db()
        assert gf.status == GeneratedFile.Status.RUNNING and not gf.file
        second = start_worker("rescuer", tmp_path)
        done = wait_for(
            lambda: GeneratedFile.objects.filter(pk=gf.pk, status="done").exists(), 90, 0.2
        )
        assert done, "the job was not handed to the second worker"
        # Give any duplicate delivery time to arrive: it must find the file done and stop.
        time.sleep(4)
    finally:
        for proc in (first, second):
            if proc and proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
                proc.wait(timeout=20)
    gf.refresh_from_db()
    assert gf.status == GeneratedFile.Status.DONE
    assert gf.filename.endswith(".xlsx")
    assert GeneratedFile.objects.filter(kind="reports.summary_xlsx").count() == 1
    settings.MEDIA_ROOT = tmp_path
    stored = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert len(stored) == 1, stored  # one file, no orphan copy from the killed run
    assert stored[0].name == os.path.basename(gf.file.name)
    assert services.export_run(file_id=gf.pk) == "done"  # a late duplicate changes nothing
