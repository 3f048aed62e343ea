"""`pages`: every GET page of the URLconf on the province-year (DESIGN.md §6 "every page").

The URLconf is walked automatically: every URL name of the permission tables
(tests/<app>/permissions_table.py, the same tables tests/test_url_permissions.py proves complete)
that some role may GET, opened as its usual role (the first role of
tests/test_query_counts.PREFERRED_ROLES that gets 200, as the query budgets count it), with the
URL arguments those tables give the test world; and the pages of the Django admin (`admin:*`:
the index, each model's list and add form, measured once, and the change form and delete
confirmation of the world's own object or the latest row tied to it, at both sizes) as a
superuser.

Each page is opened on two worlds of the seeded year side by side, with the same roles:
- large: the program with the most trainees, its busiest session, the busiest trainee (the cadre
  with the most enrollments, enrolled in that program too);
- small: the program with the fewest trainees, its first session, a trainee of it with one
  enrollment.
Per URL name it records the role, p50/p95 of the response time (in process, through the whole
middleware stack), the bytes sent and the queries made, at both sizes, and lists the misses:
p95 over 300 ms on the large world, a median more than 2× the small one's (ignored below 20 ms of
difference: timer noise), an HTML page over 300 KB, a different query count, an error status.

LECTERN_BENCH_PAGES=<regex> limits the walk to the URL names it matches (while working on one).
"""

import logging
import os
import re
import statistics
import time

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from devtools.province import _say, seed

P95_MS = 300
RATIO = 2.0
NOISE_MS = 20
MAX_BYTES = 300 * 1024
RUNS = 6  # timed requests per page and size (after one warm-up)
ADMIN_RUNS = 3  # the admin's pages: ~300 of them
SLOW_S = 1.5  # a page slower than this is timed twice only
ADMIN_ACTIONS = ("changelist", "add", "change", "delete")


def bench_pages(opts) -> dict:
    scale_name = opts.get("scale", "quick")
    seed(scale_name, opts)
    from devtools.bench.worlds import bench_worlds

    logging.getLogger("axes").setLevel(logging.WARNING)  # one line per force_login otherwise

    worlds = bench_worlds(scale_name)
    pattern = re.compile(os.environ.get("LECTERN_BENCH_PAGES", ""))
    pages = [p for p in _app_pages() + _admin_pages(worlds) if pattern.search(p["name"])]
    results, skipped = {}, {}
    started = time.perf_counter()
    for page in pages:
        row = {"role": page["role"]}
        for size in ("large", "small"):
            world = worlds[size]
            if size == "small" and not page.get("sized", True):
                row["small"] = row["large"]  # the same page whatever the world (admin lists)
                continue
            try:
                url = page["url"](world)
            except Exception as exc:  # the table's arguments need what this world lacks
                skipped[page["name"]] = f"{size}: {type(exc).__name__}: {exc}"[:200]
                row = None
                break
            row[size] = measure(
                page["user"](world),
                url,
                htmx=page.get("htmx", False),
                runs=page.get("runs", RUNS),
            )
        if row is None:
            continue
        if page["name"].startswith("admin:") and row["large"]["status"] == 403:
            skipped[page["name"]] = "refused by the admin (a read-only model)"
            continue
        row["misses"] = misses(row)
        results[page["name"]] = row
        _say(opts, _line(page["name"], row))
    missed = {name: r["misses"] for name, r in results.items() if r["misses"]}
    sizes = {k: w.sizes for k, w in worlds.items()}
    _say(opts, f"{len(results)} pages in {time.perf_counter() - started:.0f}s, {len(missed)} miss")
    return {
        "sizes": sizes,
        "walked": len(results),
        "missed": len(missed),
        "thresholds": {
            "p95_ms": P95_MS,
            "ratio": RATIO,
            "noise_ms": NOISE_MS,
            "max_html_bytes": MAX_BYTES,
            "runs": RUNS,
        },
        "skipped": skipped,
        "misses": missed,
        "urls": results,
        "targets": {
            "pages: every GET page p95 ≤ 300 ms on the largest objects": not any(
                "p95" in m for ms in missed.values() for m in ms
            ),
            "pages: ≤ 2× slower on the largest object than on the small one": not any(
                "slower" in m for ms in missed.values() for m in ms
            ),
            "pages: no HTML page over 300 KB": not any(
                "KB" in m for ms in missed.values() for m in ms
            ),
            "pages: the same query count at both sizes": not any(
                "queries" in m for ms in missed.values() for m in ms
            ),
            "pages: no error status": not any("status" in m for ms in missed.values() for m in ms),
        },
    }


def _line(name, row) -> str:
    lg, sm = row["large"], row["small"]
    flag = f"  MISS: {'; '.join(row['misses'])}" if row["misses"] else ""
    return (
        f"{name:<42} {row['role']:<10} p50 {lg['p50_ms']:>7.1f}/{sm['p50_ms']:<6.1f} "
        f"p95 {lg['p95_ms']:>7.1f} {lg['bytes'] // 1024:>5} KB q {lg['queries']}/{sm['queries']}"
        f"{flag}"
    )


def measure(user, url: str, *, htmx: bool = False, runs: int = RUNS) -> dict:
    """Open `url` as `user`: one warm-up, `runs` timed requests, one counted for queries."""
    client = Client(raise_request_exception=False)
    if user is not None:
        client.force_login(user)
    headers = {"HX-Request": "true"} if htmx else {}

    def get():
        response = client.get(url, headers=headers)
        body = b"".join(response.streaming_content) if response.streaming else response.content
        return response, body

    started = time.perf_counter()
    response, body = get()
    first = time.perf_counter() - started
    if first > SLOW_S:
        runs = min(runs, 2)
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        get()
        times.append((time.perf_counter() - started) * 1000)
    with CaptureQueriesContext(connection) as captured:
        get()
    ctype = response.get("Content-Type", "")
    return {
        "status": response.status_code,
        "p50_ms": round(statistics.median(times), 1),
        "p95_ms": round(_p95(times), 1),
        "bytes": len(body),
        "html": ctype.startswith("text/html"),
        "queries": len(captured.captured_queries),
        "url": url,
    }


def _p95(times: list[float]) -> float:
    if len(times) < 2:
        return times[0]
    return statistics.quantiles(times, n=20, method="inclusive")[18]


def misses(row) -> list[str]:
    lg, sm = row["large"], row["small"]
    found = []
    for size, m in (("large", lg), ("small", sm)):
        if m["status"] >= 400 or m["status"] < 200:
            found.append(f"status {m['status']} ({size})")
    if lg["p95_ms"] > P95_MS:
        found.append(f"p95 {lg['p95_ms']:.0f} ms > {P95_MS}")
    if lg["p50_ms"] > RATIO * sm["p50_ms"] and lg["p50_ms"] - sm["p50_ms"] > NOISE_MS:
        found.append(f"{lg['p50_ms'] / max(sm['p50_ms'], 0.1):.1f}× slower on the largest object")
    for size, m in (("large", lg), ("small", sm)):
        if m["html"] and m["bytes"] > MAX_BYTES:
            found.append(f"{m['bytes'] // 1024} KB of HTML ({size})")
            break
    if lg["queries"] != sm["queries"]:
        found.append(f"queries {lg['queries']} large vs {sm['queries']} small")
    return found


# --- What is walked ----------------------------------------------------------------------------


def _app_pages() -> list[dict]:
    """Every GET URL name of our apps some role may open, as its usual role."""
    from tests.test_query_counts import PREFERRED_ROLES
    from tests.test_url_permissions import ENTRIES

    pages = []
    for name, entry in sorted(ENTRIES.items()):
        if entry.method != "get":
            continue
        role = next((r for r in PREFERRED_ROLES if entry.expect.get(r) == 200), None)
        if role is None:
            continue

        def url(w, name=name, entry=entry):
            return reverse(name, kwargs=entry.kwargs(w)) + entry.query

        pages.append(
            {
                "name": name,
                "role": role,
                "user": lambda w, role=role: w.by_role()[role],
                "url": url,
                "htmx": entry.htmx,
            }
        )
    return pages


def _admin_pages(worlds) -> list[dict]:
    """The Django admin: index, each app's index, and every action page of every model."""
    from django.contrib import admin

    def page(name, url, *, sized=False):
        return {
            "name": name,
            "role": "superuser",
            "user": lambda w: w.superuser,
            "url": url,
            "sized": sized,
            "runs": ADMIN_RUNS,
        }

    pages = [page("admin:index", lambda w: reverse("admin:index"))]
    for model in sorted(admin.site._registry, key=lambda m: m._meta.label):
        opts = model._meta
        for action in ADMIN_ACTIONS:
            name = f"admin:{opts.app_label}_{opts.model_name}_{action}"
            if action in ("changelist", "add"):
                pages.append(page(name, lambda w, name=name: reverse(name)))
            else:
                url = lambda w, name=name, model=model: reverse(  # noqa: E731
                    name, args=[w.object_of(model)]
                )
                pages.append(page(name, url, sized=True))
    return pages
