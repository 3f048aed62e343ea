"""What the audit chain's lock costs (docs/SECURITY.md, item 7): N concurrent writers on
PostgreSQL, each running transactions like a check-in (one INSERT), with and without one audited
write, and with the audited write followed by 5 ms more work in the same transaction (the lock is
held until commit, so whatever follows the audit write inside the transaction is serialised too).

Not a test (pytest does not collect it). Run on a migrated database of its own:

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/lectern_h LECTERN_ENV=test \
        uv run python -m tests.core.audit_lock_measure --writers 1,4,16 --each 200
"""

import argparse
import multiprocessing
import os
import statistics
import time

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

django.setup()

from django.db import connection, connections, transaction  # noqa: E402

from accounts.models import User  # noqa: E402
from core.models import Notification  # noqa: E402
from core.services import audit_log  # noqa: E402

MODES = ("plain", "audited", "audited+5ms")


def _one(mode: str, user) -> None:
    with transaction.atomic():
        note = Notification.objects.create(user=user, title="签到", kind="measure")
        if mode != "plain":
            audit_log(actor=user, action="measure.checkin", target=note)
        if mode == "audited+5ms":
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_sleep(0.005)")


def _worker(args):
    mode, each, user_pk, barrier = args
    connections.close_all()
    user = User.objects.get(pk=user_pk)
    _one("plain", user)  # the connection is open before the clock starts
    barrier.wait()  # every writer starts at the same moment
    began = time.time()
    latencies = []
    for _ in range(each):
        started = time.perf_counter()
        _one(mode, user)
        latencies.append(time.perf_counter() - started)
    connections.close_all()
    return latencies, began, time.time()


def measure(mode: str, writers: int, each: int, user_pk: int) -> dict:
    ctx = multiprocessing.get_context("spawn")  # a fork would inherit the pool's threads
    connections.close_all()
    with ctx.Manager() as manager, ctx.Pool(writers) as pool:
        barrier = manager.Barrier(writers)
        results = pool.map(_worker, [(mode, each, user_pk, barrier)] * writers)
    elapsed = max(r[2] for r in results) - min(r[1] for r in results)
    flat = sorted(x for r in results for x in r[0])
    return {
        "mode": mode,
        "writers": writers,
        "tx_per_s": round(len(flat) / elapsed),
        "p50_ms": round(statistics.median(flat) * 1000, 1),
        "p95_ms": round(flat[int(len(flat) * 0.95) - 1] * 1000, 1),
    }


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--writers", default="1,4,16")
    parser.add_argument("--each", type=int, default=200)
    args = parser.parse_args()
    assert connection.vendor == "postgresql", "run on PostgreSQL (DATABASE_URL)"
    user, _ = User.objects.get_or_create(username="audit-measure", defaults={"full_name": "测量"})
    print(f"cores: {os.cpu_count()}")
    for writers in [int(w) for w in args.writers.split(",")]:
        for mode in MODES:
            print(measure(mode, writers, args.each, user.pk), flush=True)
    Notification.objects.filter(kind="measure").delete()


if __name__ == "__main__":
    main()
