"""Polled pages (issue 18 item 2, DESIGN.md §6): the live board and the venues' check-in screens
of the largest session, run by `manage.py bench --only polls`.

Seeds its own lecture-series session of 2,000 enrolled trainees over a main and three branch
venues (seed_series_session, also used by the rush benchmark), starts gunicorn (4 sync workers,
as the check-in bench does) and measures:

- changed: the poll whose answer changed (a check-in since the last poll), built from scratch
  each time (a record is written before each request, so neither the ETag nor the shared
  fragment cache can answer it): p50/p95 of the board and of a screen, sequentially;
- pollers: 20 screens (the four venues' check-in screens, four each, and four boards) each
  polling at the page's real interval, with If-None-Match as htmx sends it, for POLL_SECONDS
  while check-ins stream in (CHECKINS_PER_SECOND, written directly): p50/p95 of every poll, how
  many answered 304, and the CPU the gunicorn workers and this database's PostgreSQL backends
  spent, as a share of one core over the window and per poll.
"""

import datetime as dt
import os
import statistics
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

from django.contrib.auth.hashers import make_password
from django.contrib.sessions.models import Session as DjangoSession
from django.db import close_old_connections, connection
from django.urls import reverse
from django.utils import timezone

from accounts.models import OrgUnit, User
from attendance.models import AttendanceRecord, AttendanceStatus
from attendance.views.screens import BOARD_POLL_SECONDS, SCREEN_POLL_SECONDS
from devtools.bench.checkin import _gunicorn, _login_cookies, _require_postgres
from enrollment.models import Enrollment
from programs.models import Program, ProgramStaff, Session, Venue

SERIES_CODE = "BENCH-SERIES"
TRAINEES = 2000
BRANCHES = 3
POLLERS = 20
POLL_SECONDS = int(os.environ.get("LECTERN_BENCH_POLL_SECONDS", "60"))
CHECKINS_PER_SECOND = 10
CHANGED_SAMPLES = 30


def _unit(code, name, kind, parent=None):
    unit, _ = OrgUnit.objects.get_or_create(
        code=code, defaults={"name": name, "kind": kind, "parent": parent}
    )
    return unit


def seed_series_session(n: int = TRAINEES, *, start_in_minutes: float = 5):
    """A running lecture series with one session starting `start_in_minutes` from now (its
    check-in open), a main venue (the city's) and BRANCHES branch venues (one per county), and
    `n` enrolled trainees, a quarter seated at each venue by their unit; and its class manager.
    Idempotent; the session's records are deleted. Returns (session, venues, users, manager)."""
    city = _unit(f"{SERIES_CODE}-CITY", "基准测试市", OrgUnit.Kind.CITY)
    dept = _unit(f"{SERIES_CODE}-DEPT", "基准测试市直部门", OrgUnit.Kind.DEPARTMENT, city)
    counties = [
        _unit(f"{SERIES_CODE}-C{i}", f"基准测试县{i}", OrgUnit.Kind.COUNTY, city)
        for i in range(1, BRANCHES + 1)
    ]
    seats = [dept] + [
        _unit(f"{SERIES_CODE}-C{i}-D", f"基准测试县{i}部门", OrgUnit.Kind.DEPARTMENT, c)
        for i, c in enumerate(counties, 1)
    ]
    today = timezone.localdate()
    program, _ = Program.objects.get_or_create(
        code=SERIES_CODE,
        defaults={
            "title": "基准测试系列讲座",
            "level": Program.Level.CITY,
            "kind": Program.Kind.LECTURE_SERIES,
            "organizing_unit": city,
            "start_date": today,
            "end_date": today,
            "status": Program.Status.RUNNING,
        },
    )
    Program.objects.filter(pk=program.pk).update(
        start_date=min(program.start_date, today),
        end_date=max(program.end_date, today),
        status=Program.Status.RUNNING,
    )
    main, _ = Venue.objects.get_or_create(
        name="基准测试主会场", unit=city, defaults={"capacity": n}
    )
    branches = [
        Venue.objects.get_or_create(name=f"基准测试分会场{i}", unit=c, defaults={"capacity": n})[0]
        for i, c in enumerate(counties, 1)
    ]
    now = timezone.now()
    start = now + dt.timedelta(minutes=start_in_minutes)
    session, _ = Session.objects.get_or_create(
        program=program,
        topic="基准测试系列讲座·本场",
        defaults={"start": start, "end": start + dt.timedelta(hours=3), "venue": main},
    )
    Session.objects.filter(pk=session.pk).update(
        start=start, end=start + dt.timedelta(hours=3), venue=main, status="scheduled"
    )
    session.branch_venues.set(branches)
    password = make_password(None)
    manager, _ = User.objects.get_or_create(
        username="bench-series-manager",
        defaults={"full_name": "基准班主任", "unit": city, "password": password},
    )
    ProgramStaff.objects.get_or_create(
        program=program, user=manager, defaults={"role": ProgramStaff.Role.CLASS_MANAGER}
    )
    prefix = "bench-s-"
    have = User.objects.filter(username__startswith=prefix).count()
    if have < n:
        User.objects.bulk_create(
            [
                User(
                    username=f"{prefix}{i:05d}",
                    full_name=f"系列学员{i}",
                    unit=seats[i % len(seats)],
                    password=password,
                )
                for i in range(have, n)
            ],
            ignore_conflicts=True,
            batch_size=2000,
        )
    users = list(User.objects.filter(username__startswith=prefix).order_by("username")[:n])
    Enrollment.objects.bulk_create(
        [
            Enrollment(
                program=program,
                user=u,
                unit=seats[i % len(seats)],
                status=Enrollment.Status.ENROLLED,
                source=Enrollment.Source.MANUAL,
            )
            for i, u in enumerate(users)
        ],
        ignore_conflicts=True,
        batch_size=2000,
    )
    AttendanceRecord.objects.filter(session=session).delete()
    session.refresh_from_db()
    return session, [main, *branches], users, manager


def _get(url, cookie, etag=None):
    headers = {"Cookie": f"sessionid={cookie}", "HX-Request": "true"}
    if etag:
        headers["If-None-Match"] = etag
    request = urllib.request.Request(url, headers=headers)
    t0 = time.perf_counter()
    try:
        with urllib.request.urlopen(request, timeout=30) as resp:
            resp.read()
            code, tag = resp.status, resp.headers.get("ETag")
    except urllib.error.HTTPError as exc:
        code, tag = exc.code, exc.headers.get("ETag")
    except OSError:  # refused, reset or timed out: an error in the figures
        code, tag = 0, None
    return code, tag, (time.perf_counter() - t0) * 1000


def _cpu_seconds(pids) -> float:
    tick = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / tick


def _pids(match) -> list[int]:
    found = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            cmd = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if match(cmd):
            found.append(int(proc.name))
    return found


def server_pids(base: str) -> dict:
    """The gunicorn processes serving `base` and this database's PostgreSQL backends (for CPU
    accounting; a backend started later is missed, so measure after a warm-up)."""
    port = base.rsplit(":", 1)[1]
    db = connection.settings_dict["NAME"]
    return {
        "app": _pids(lambda c: "gunicorn" in c and f"127.0.0.1:{port}" in c),
        "db": _pids(lambda c: c.startswith("postgres:") and f" {db} " in c),
    }


def _stream_checkins(session, venues, users, stop: threading.Event, made: list) -> None:
    """Check-ins arriving at CHECKINS_PER_SECOND, each trainee at their own venue."""
    close_old_connections()
    i = 0
    try:
        while not stop.is_set() and i < len(users):
            t0 = time.monotonic()
            batch = users[i : i + CHECKINS_PER_SECOND]
            now = timezone.now()
            AttendanceRecord.objects.bulk_create(
                [
                    AttendanceRecord(
                        session=session,
                        user=u,
                        venue=venues[(i + k) % len(venues)],
                        status=AttendanceStatus.PRESENT,
                        source=AttendanceRecord.Source.QR,
                        checkin_at=now,
                    )
                    for k, u in enumerate(batch)
                ],
                ignore_conflicts=True,
            )
            i += len(batch)
            made.append(i)
            stop.wait(max(0.0, 1.0 - (time.monotonic() - t0)))
    finally:
        connection.close()


def _pct(values, q):
    if not values:
        return None
    values = sorted(values)
    return round(values[min(len(values) - 1, int(q * len(values)))], 1)


def bench_polls(opts) -> dict:
    _require_postgres()
    out = opts.get("stdout")
    session, venues, users, manager = seed_series_session(TRAINEES)
    cookie = _login_cookies([manager])[0]
    board = reverse("attendance:board", args=[session.pk])
    screens = [reverse("attendance:screen", args=[session.pk, v.pk]) for v in venues]
    try:
        with _gunicorn() as base:
            for path in (board, *screens):  # warm every worker a little
                for _ in range(4):
                    _get(base + path, cookie)
            # 1. The changed poll, built from scratch: a check-in before every request.
            changed = {"board": [], "screen": []}
            for k in range(CHANGED_SAMPLES):
                u = users[k]
                AttendanceRecord.objects.create(
                    session=session,
                    user=u,
                    venue=venues[0],
                    status=AttendanceStatus.PRESENT,
                    source=AttendanceRecord.Source.QR,
                    checkin_at=timezone.now(),
                )
                side = "board" if k % 2 == 0 else "screen"
                path = board if side == "board" else screens[k % len(screens)]
                code, _, ms = _get(base + path, cookie)
                assert code == 200, code
                changed[side].append(ms)
            AttendanceRecord.objects.filter(session=session).delete()
            if out:
                out.write(f"   changed polls: {changed}")
            # 2. Twenty pollers at the real interval while check-ins stream in.
            pids = server_pids(base)
            stop = threading.Event()
            made: list = []
            times, codes = [], []
            lock = threading.Lock()
            paths = [screens[k % len(screens)] for k in range(POLLERS - 4)] + [board] * 4

            def poller(k, path):
                interval = BOARD_POLL_SECONDS if path == board else SCREEN_POLL_SECONDS
                etag = None
                stop.wait(interval * k / POLLERS)  # screens are not switched on in step
                while not stop.is_set():
                    t0 = time.monotonic()
                    code, tag, ms = _get(base + path, cookie, etag)
                    etag = tag or etag
                    with lock:
                        times.append(ms)
                        codes.append(code)
                    stop.wait(max(0.0, interval - (time.monotonic() - t0)))

            threads = [threading.Thread(target=poller, args=(k, p)) for k, p in enumerate(paths)]
            stream = threading.Thread(
                target=_stream_checkins, args=(session, venues, users, stop, made)
            )
            cpu0 = {k: _cpu_seconds(v) for k, v in pids.items()}
            t0 = time.monotonic()
            for t in (*threads, stream):
                t.start()
            time.sleep(POLL_SECONDS)
            stop.set()
            for t in (*threads, stream):
                t.join()
            wall = time.monotonic() - t0
            cpu = {k: _cpu_seconds(v) - cpu0[k] for k, v in pids.items()}
    finally:
        DjangoSession.objects.filter(session_key=cookie).delete()
        AttendanceRecord.objects.filter(session=session).delete()
    polls = len(times)
    errors = sum(1 for c in codes if c not in (200, 304))
    share = {k: round(v / wall, 4) for k, v in cpu.items()}
    p95 = _pct(times, 0.95)
    return {
        "trainees": TRAINEES,
        "venues": len(venues),
        "changed_board_p50_ms": _pct(changed["board"], 0.5),
        "changed_board_p95_ms": _pct(changed["board"], 0.95),
        "changed_screen_p50_ms": _pct(changed["screen"], 0.5),
        "changed_screen_p95_ms": _pct(changed["screen"], 0.95),
        "pollers": POLLERS,
        "polls": polls,
        "not_modified": sum(1 for c in codes if c == 304),
        "errors": errors,
        "checkins_streamed": made[-1] if made else 0,
        "poll_p50_ms": _pct(times, 0.5),
        "poll_p95_ms": p95,
        "poll_mean_ms": round(statistics.fmean(times), 1) if times else None,
        "app_cpu_share_of_one_core": share["app"],
        "db_cpu_share_of_one_core": share["db"],
        "cpu_ms_per_poll": round(1000 * (cpu["app"] + cpu["db"]) / polls, 2) if polls else None,
        "setup": f"gunicorn 4 sync workers; {POLLERS} pollers ({POLLERS - 4} screens over "
        f"{len(venues)} venues, 4 boards) at {SCREEN_POLL_SECONDS}s/{BOARD_POLL_SECONDS}s with "
        f"If-None-Match for {POLL_SECONDS}s, {CHECKINS_PER_SECOND} check-ins/s streamed; CPU of "
        "the gunicorn workers and this database's backends over the window",
        "targets": {
            "polled pages p95 ≤ 100 ms (20 pollers, largest session)": p95 is not None
            and p95 <= 100,
            "20 pollers < 10% of one core": share["app"] + share["db"] < 0.10,
            "polls: 0 errors": errors == 0,
        },
    }
