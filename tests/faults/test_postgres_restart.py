"""PostgreSQL restarted under load: the web app recovers by itself (no restart of its own)."""

import glob
import os
import subprocess
import threading
import time

import pytest
from django.db import connections

from tests.faults.helpers import current_database_url, get, gunicorn

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.disruptive,
    pytest.mark.serial,
    pytest.mark.django_db(transaction=True),
]


def _cluster_version() -> str:
    versions = sorted(os.path.basename(p) for p in glob.glob("/etc/postgresql/*"))
    return versions[-1] if versions else ""


def test_app_recovers_after_postgres_restart_under_load():
    version = _cluster_version()
    if not version or os.geteuid() != 0:
        pytest.fail("needs a local PostgreSQL cluster and root to restart it", pytrace=False)
    with gunicorn({"DATABASE_URL": current_database_url(), "REDIS_URL": ""}) as base:
        assert get(base + "/healthz") == 200
        codes: list[int] = []
        stop = threading.Event()

        def load():
            while not stop.is_set():
                codes.append(get(base + "/healthz", timeout=5))
                time.sleep(0.02)

        threads = [threading.Thread(target=load) for _ in range(4)]
        for t in threads:
            t.start()
        time.sleep(1)
        subprocess.run(
            ["pg_ctlcluster", "--skip-systemctl-redirect", version, "main", "restart"],
            check=True,
            timeout=120,
        )
        # Give the server a moment to accept connections, then keep the load on.
        deadline = time.monotonic() + 30
        while (
            time.monotonic() < deadline
            and subprocess.run(["pg_isready", "-q", "-h", "127.0.0.1"]).returncode != 0
        ):
            time.sleep(0.3)
        time.sleep(2)
        stop.set()
        for t in threads:
            t.join()
        during = len(codes)
        assert during > 20 and codes.count(200) > 0
        # After the restart every request succeeds again: broken pooled connections were replaced.
        after = [get(base + "/healthz") for _ in range(40)]
        assert after == [200] * 40, after
    for conn in connections.all():
        conn.close()  # this test process's own connections died with the server too
