"""Check-in benchmarks (DESIGN.md §4, §6), run by `manage.py bench --only checkin duplicates`.

checkin: gunicorn (4 sync workers) serving config.wsgi on the configured PostgreSQL; wrk drives
  the real scan endpoint with one logged-in session cookie per trainee, and, side by side in the
  same run, the bare `devtools:ping` view behind the same middleware and session auth.
duplicates: 200 concurrent identical scan requests (same trainee, same code) over HTTP.

Over 500 lines because it is one workflow: seed the check-in world, start and stop gunicorn, drive
it with wrk and threads, and read the figures.

Both sides run on the same gunicorn, through the same middleware and session auth, with the same
wrk threads, connections and durations, in short adjacent windows (a round is one window of each
side, the order alternating between rounds), so the host's other load, which on this shared
machine moves the figures of both sides by a factor of two within seconds, hits both alike; the
ratio is the median of the rounds' ratios.

Connections: 4 sync workers serve 4 requests at a time, so wrk's connections beyond that only wait
in gunicorn's backlog. By Little's law the mean latency is connections / throughput: with -c16 at
~250/s that is ~64 ms of mostly queueing before any request is slow, so p99 measured the queue
depth chosen by the benchmark rather than the endpoint. -c8 (two per worker: one in service, one
queued, so no worker ever waits for its next request and throughput is unchanged) keeps the
server saturated while p99 still includes one request of queueing. LECTERN_BENCH_CONNECTIONS
overrides it (e.g. 16, the earlier setting) for comparison; both sides always use the same value.
"""

import datetime as dt
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from contextlib import contextmanager
from pathlib import Path

from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.auth.hashers import make_password
from django.contrib.sessions.backends.db import SessionStore
from django.contrib.sessions.models import Session as DjangoSession
from django.db import connection
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import get_random_string

from accounts.models import OrgUnit, User
from attendance import tokens
from attendance.models import AttendanceRecord
from enrollment.models import Enrollment
from programs.models import Program, Session, Venue

PROGRAM_CODE = "BENCH-CHECKIN"
TRAINEES = 6000
WRK_THREADS = 2
WRK_CONNECTIONS = int(os.environ.get("LECTERN_BENCH_CONNECTIONS", "8"))  # see the docstring
ROUND_SECONDS = 4  # well inside the token's 30 s window; the token is issued just before
ROUNDS = 8
DUPLICATES = 200
# Earlier sessions of the bench class, each with a record per trainee (see _seed_history).
HISTORY_SESSIONS = 30
HISTORY_TOPIC = "签到基准测试·往期第"
# A fixed CSRF secret for the load generator (cookie and header carry the same 32 characters,
# which Django accepts unmasked); the check-in is a CSRF-checked POST since the scan page posts.
BENCH_CSRF = "lecternbenchcsrf" * 2

LUA = r"""
local threads = {}
local counter = 0
function setup(thread)
  table.insert(threads, thread)
  thread:set("tid", #threads - 1)
end
function init(args)
  cookies = {}
  for line in io.lines(args[1]) do cookies[#cookies + 1] = line end
  path = args[2]
  nthreads = tonumber(args[3])
  csrf = args[4]
end
function request()
  local idx = (counter * nthreads + tid) % #cookies + 1
  counter = counter + 1
  -- the scan is a same-site POST with the CSRF token (cookie and header), as the scan page
  -- sends it; the bare view is posted the same way so both pay the same middleware
  return wrk.format("POST", path, {
    ["Cookie"] = "sessionid=" .. cookies[idx] .. "; csrftoken=" .. csrf,
    ["X-CSRFToken"] = csrf,
    ["Content-Type"] = "application/x-www-form-urlencoded",
  }, "")
end
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'WRKJSON {"requests": %d, "duration_us": %d, "p99_us": %d, "p50_us": %d, "errors": %d}\n',
    summary.requests, summary.duration, latency:percentile(99), latency:percentile(50),
    e.connect + e.read + e.write + e.status + e.timeout))
end
"""


def _require_postgres():
    if connection.vendor != "postgresql":
        raise RuntimeError("the check-in benchmarks need PostgreSQL (set DATABASE_URL)")


def _seed(n: int):
    """The bench program with `n` enrolled trainees and a session whose check-in is open now."""
    unit, _ = OrgUnit.objects.get_or_create(
        code="BENCH", defaults={"name": "基准测试单位", "kind": OrgUnit.Kind.DEPARTMENT}
    )
    today = timezone.localdate()
    program, _ = Program.objects.get_or_create(
        code=PROGRAM_CODE,
        defaults={
            "title": "签到基准测试班",
            "level": Program.Level.CITY,
            "kind": Program.Kind.TRAINING_CLASS,
            "organizing_unit": unit,
            "start_date": today,
            "end_date": today,
            "status": Program.Status.RUNNING,
        },
    )
    Program.objects.filter(pk=program.pk).update(
        start_date=min(program.start_date, today), end_date=max(program.end_date, today)
    )
    venue, _ = Venue.objects.get_or_create(
        name="基准测试报告厅", unit=unit, defaults={"capacity": n}
    )
    now = timezone.now()
    session, _ = Session.objects.get_or_create(
        program=program,
        topic="签到基准测试",
        defaults={"start": now, "end": now + dt.timedelta(hours=3), "venue": venue},
    )
    Session.objects.filter(pk=session.pk).update(
        start=now - dt.timedelta(minutes=1), end=now + dt.timedelta(hours=3)
    )
    have = User.objects.filter(username__startswith="bench-").count()
    if have < n:
        password = make_password(None)
        User.objects.bulk_create(
            [
                User(
                    username=f"bench-{i:05d}",
                    full_name=f"基准学员{i}",
                    unit=unit,
                    password=password,
                )
                for i in range(have, n)
            ],
            ignore_conflicts=True,
            batch_size=2000,
        )
    users = list(User.objects.filter(username__startswith="bench-").order_by("username")[:n])
    Enrollment.objects.bulk_create(
        [
            Enrollment(
                program=program,
                user=u,
                unit=unit,
                status=Enrollment.Status.ENROLLED,
                source=Enrollment.Source.MANUAL,
            )
            for u in users
        ],
        ignore_conflicts=True,
        batch_size=2000,
    )
    session.refresh_from_db()
    _seed_history(program=program, venue=venue, users=users)
    return session, venue, users


def _seed_history(*, program, venue, users) -> None:
    """Earlier sessions of the bench class with every trainee's record: the attendance table
    the check-ins go into holds history, as a real one does (a province-year holds ~3M rows).

    Into an empty table PostgreSQL plans the proxy check (this device's other check-ins in the
    last minutes) as a scan of the whole table, which is right while it is empty; a connection
    keeps that plan while a round fills the table, so each check-in scanned every record made
    so far. A lived-in table is planned with the device index, as production's is."""
    have = Session.objects.filter(program=program, topic__startswith=HISTORY_TOPIC).count()
    first = timezone.now() - dt.timedelta(days=HISTORY_SESSIONS + 1)
    for k in range(have, HISTORY_SESSIONS):
        start = first + dt.timedelta(days=k)
        Session.objects.create(
            program=program,
            topic=f"{HISTORY_TOPIC}{k + 1}",
            start=start,
            end=start + dt.timedelta(hours=3),
            venue=venue,
        )
    history = AttendanceRecord.objects.filter(
        session__program=program, session__topic__startswith=HISTORY_TOPIC
    )
    if history.count() >= HISTORY_SESSIONS * len(users):
        return
    table = AttendanceRecord._meta.db_table
    named = ["created_at", "updated_at", "session_id", "user_id", "venue_id", "status"]
    named += ["checkin_at", "source", "device_id", "flagged", "note"]

    # columns added to the model since (flag evidence, client…): their defaults, as Django saves them
    def _default(f):
        if f.has_default():
            return f.get_default()
        return None if f.null else ""  # a text column with no default (user agent…)

    extra = [
        (f.column, f.get_db_prep_save(_default(f), connection))
        for f in AttendanceRecord._meta.concrete_fields
        if not f.primary_key and f.column not in named
    ]
    extra_cols = "".join(f", {column}" for column, _ in extra)
    extra_vals = "".join(", %s" for _ in extra)
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            INSERT INTO {table} ({", ".join(named)}{extra_cols})
            SELECT s.start, s.start, s.id, u.id, %s,
                   CASE WHEN (u.id + s.id) %% 12 = 0 THEN 'late' ELSE 'present' END,
                   s.start + ((u.id * 7 + s.id) %% 900) * interval '1 second', 'qr',
                   'history-' || u.id, false, ''{extra_vals}
            FROM {Session._meta.db_table} s CROSS JOIN unnest(%s::bigint[]) AS u(id)
            WHERE s.program_id = %s AND s.topic LIKE %s
            ON CONFLICT (session_id, user_id) DO NOTHING
            """,
            [
                venue.pk,
                *[v for _, v in extra],
                [u.pk for u in users],
                program.pk,
                f"{HISTORY_TOPIC}%",
            ],
        )
        cursor.execute(f"ANALYZE {table}")


def _login_cookies(users) -> list[str]:
    """One server-side login session per trainee, made directly in the session table."""
    backend = settings.AUTHENTICATION_BACKENDS[-1]
    store = SessionStore()
    expire = timezone.now() + dt.timedelta(hours=2)
    rows = []
    for u in users:
        key = get_random_string(32, "abcdefghijklmnopqrstuvwxyz0123456789")
        data = {
            SESSION_KEY: str(u.pk),
            BACKEND_SESSION_KEY: backend,
            HASH_SESSION_KEY: u.get_session_auth_hash(),
        }
        rows.append(
            DjangoSession(session_key=key, session_data=store.encode(data), expire_date=expire)
        )
    DjangoSession.objects.bulk_create(rows, batch_size=2000)
    return [r.session_key for r in rows]


def _free_port(preferred: int) -> int:
    for port in (preferred, 0):
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return s.getsockname()[1]
    raise RuntimeError("no free port")


@contextmanager
def _gunicorn():
    port = _free_port(int(os.environ.get("LECTERN_BENCH_PORT", "8115")))
    env = {**os.environ, "LECTERN_ENV": "development", "DEBUG": "0", "AXES_ENABLED": "1"}
    gunicorn = Path(sys.executable).with_name("gunicorn")
    proc = subprocess.Popen(
        [
            str(gunicorn),
            "config.wsgi:application",
            "--workers",
            "4",
            "--worker-class",
            "sync",
            "--bind",
            f"127.0.0.1:{port}",
            "--log-level",
            "warning",
            "--backlog",
            "2048",
            # a worker must boot within this (gunicorn kills it otherwise): on a host loaded
            # beyond its cores Django's import alone can take longer than the default 30 s
            "--timeout",
            os.environ.get("LECTERN_BENCH_GUNICORN_TIMEOUT", "30"),
            # our own control socket, so benchmarks of other apps never share one
            "--control-socket",
            str(Path(tempfile.gettempdir()) / f"lectern-bench-{port}.ctl"),
        ],
        cwd=settings.BASE_DIR,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        # workers import Django: slow on a busy machine (LECTERN_BENCH_START_SECONDS)
        deadline = time.time() + int(os.environ.get("LECTERN_BENCH_START_SECONDS", "300"))
        while True:
            try:
                urllib.request.urlopen(base + "/healthz", timeout=10)
                break
            except (urllib.error.URLError, ConnectionError, OSError) as exc:
                if time.time() > deadline or proc.poll() is not None:
                    detail = proc.stderr.read().decode() if proc.poll() is not None else ""
                    raise RuntimeError(f"gunicorn did not start: {detail}") from exc
                time.sleep(0.5)
        yield base
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:  # a worker stuck in a request on a loaded host
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=30)


def _wrk(url: str, script: Path, cookie_file: Path, path: str, seconds: int) -> dict:
    wrk = shutil.which("wrk") or "/usr/bin/wrk"
    out = subprocess.run(
        [
            wrk,
            f"-t{WRK_THREADS}",
            f"-c{WRK_CONNECTIONS}",
            f"-d{seconds}s",
            "--timeout",
            "5s",
            "-s",
            str(script),
            url,
            "--",
            str(cookie_file),
            path,
            str(WRK_THREADS),
            BENCH_CSRF,
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    line = next(ln for ln in out.splitlines() if ln.startswith("WRKJSON "))
    data = json.loads(line[len("WRKJSON ") :])
    return {
        "rps": data["requests"] / (data["duration_us"] / 1e6),
        "p99_ms": data["p99_us"] / 1000,
        "requests": data["requests"],
        "errors": data["errors"],
    }


def _clear_records(session) -> None:
    """Delete the bench session's records (the history stays) and vacuum the table, so that
    each round's check-ins go into a table like production's. Without the VACUUM every round
    re-inserted the keys the previous round had just deleted, and each insert's unique check
    walked their dead index entries, a cost a real class, which never deletes its records,
    does not pay."""
    AttendanceRecord.objects.filter(session=session).delete()
    with connection.cursor() as cursor:
        cursor.execute(f"VACUUM (ANALYZE) {AttendanceRecord._meta.db_table}")


def _scan_path(session, venue) -> str:
    token = tokens.issue(session_id=session.pk, venue_id=venue.pk, purpose=tokens.CHECKIN)
    return reverse("attendance:scan", args=[token])


def bench_checkin(opts) -> dict:
    _require_postgres()
    out = opts.get("stdout")
    session, venue, users = _seed(TRAINEES)
    _clear_records(session)
    cookies = _login_cookies(users)
    with connection.cursor() as cursor:  # the login sessions of earlier runs were deleted
        cursor.execute(f"VACUUM (ANALYZE) {DjangoSession._meta.db_table}")
    bare_path = reverse("devtools:ping")
    tmp = Path(tempfile.mkdtemp(prefix="lectern-bench-"))
    try:
        script = tmp / "checkin.lua"
        script.write_text(LUA)
        cookie_file = tmp / "cookies.txt"
        cookie_file.write_text("\n".join(cookies) + "\n")
        bare_runs, checkin_runs = [], []
        with _gunicorn() as base:
            # Warm up every worker on both sides (imports, pooled connections, prepared
            # statement, PostgreSQL's caches): a server in use is warm, and an unwarmed first
            # round measured the start-up instead of the check-in.
            _wrk(base, script, cookie_file, bare_path, 2)
            _wrk(base, script, cookie_file, _scan_path(session, venue), 2)
            for i in range(ROUNDS):
                _clear_records(session)
                path = _scan_path(session, venue)
                # Each round is a pair of adjacent windows; which side goes first alternates,
                # so a load that builds up or dies down during a pair favours neither side.
                for side in ("bare", "checkin") if i % 2 == 0 else ("checkin", "bare"):
                    if side == "bare":
                        bare_runs.append(_wrk(base, script, cookie_file, bare_path, ROUND_SECONDS))
                    else:
                        checkin_runs.append(_wrk(base, script, cookie_file, path, ROUND_SECONDS))
                made = AttendanceRecord.objects.filter(session=session).count()
                checkin_runs[-1]["records"] = made
                if out:
                    out.write(f"   bare {bare_runs[-1]} / checkin {checkin_runs[-1]}")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
        DjangoSession.objects.filter(session_key__in=cookies).delete()
        AttendanceRecord.objects.filter(session=session).delete()

    def mean(runs, key):
        return sum(r[key] for r in runs) / len(runs)

    rps, bare_rps = mean(checkin_runs, "rps"), mean(bare_runs, "rps")
    p99 = max(r["p99_ms"] for r in checkin_runs)
    # The ratio is the median of the rounds' ratios: each compares two adjacent windows, and the
    # median keeps one round caught by a burst of the host's other load from deciding it.
    pairs = [c["rps"] / b["rps"] for b, c in zip(bare_runs, checkin_runs, strict=True)]
    ratio = statistics.median(pairs) if pairs else 0.0
    errors = sum(r["errors"] for r in checkin_runs + bare_runs)
    records = min(r["records"] for r in checkin_runs)
    return {
        "rps": round(rps, 1),
        "p99_ms": round(p99, 1),
        "bare_rps": round(bare_rps, 1),
        "bare_p99_ms": round(max(r["p99_ms"] for r in bare_runs), 1),
        "ratio": round(ratio, 3),
        "round_ratios": [round(r, 3) for r in pairs],
        "ratio_of_means": round(rps / bare_rps, 3) if bare_rps else 0.0,
        "errors": errors,
        "records_per_round": records,
        "setup": f"gunicorn 4 sync workers, wrk -t{WRK_THREADS} -c{WRK_CONNECTIONS} for both sides "
        f"(2 connections per worker: saturated, p99 = service + one queued request), "
        f"{ROUNDS} rounds of {ROUND_SECONDS}s per side, order alternating, ratio = median of "
        f"the rounds' ratios, {len(users)} trainees",
        "targets": {
            "checkin ≥ 60% of bare view": ratio >= 0.6,
            "checkin ≥ 300/s": rps >= 300,
            "checkin p99 ≤ 100 ms": p99 <= 100,
        },
    }


def bench_duplicates(opts) -> dict:
    """200 identical requests released at once over HTTP: one record, no errors."""
    _require_postgres()
    session, venue, users = _seed(1)
    user = users[0]
    cookie = _login_cookies([user])[0]
    AttendanceRecord.objects.filter(session=session).delete()
    statuses, failures = [], []
    try:
        with _gunicorn() as base:
            token = tokens.issue(session_id=session.pk, venue_id=venue.pk, purpose=tokens.CHECKIN)
            url = base + reverse("attendance:scan", args=[token])
            barrier = threading.Barrier(DUPLICATES)
            lock = threading.Lock()

            def hit():
                request = urllib.request.Request(
                    url,
                    data=b"",
                    method="POST",
                    headers={
                        "Cookie": f"sessionid={cookie}; csrftoken={BENCH_CSRF}",
                        "X-CSRFToken": BENCH_CSRF,
                    },
                )
                barrier.wait()
                try:
                    with urllib.request.urlopen(request, timeout=30) as resp:
                        body = resp.read().decode()
                        code = resp.status
                except Exception as exc:  # any failure is an error in the figures
                    with lock:
                        failures.append(repr(exc))
                    return
                with lock:
                    statuses.append((code, "签到成功" in body))

            threads = [threading.Thread(target=hit) for _ in range(DUPLICATES)]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
        records = AttendanceRecord.objects.filter(session=session, user=user).count()
    finally:
        DjangoSession.objects.filter(session_key=cookie).delete()
        AttendanceRecord.objects.filter(session=session).delete()
    errors = len(failures) + sum(1 for code, _ in statuses if code != 200)
    return {
        "requests": DUPLICATES,
        "records": records,
        "errors": errors,
        "checked_in_responses": sum(1 for _, ok in statuses if ok),
        "targets": {"duplicates: exactly 1 record, 0 errors": records == 1 and errors == 0},
    }
