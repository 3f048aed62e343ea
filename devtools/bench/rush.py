"""The start-of-session rush (issue 18 item 3, DESIGN.md §6), run by `manage.py bench --only rush`.

Against gunicorn (4 sync workers, as the check-in bench starts it), on the session of
devtools.bench.polls.seed_series_session: 2,000 enrolled trainees of one lecture-series session
over a main and three branch venues scan within RUSH_SECONDS on an arrival curve that bunches
around the start (a normal curve centred two thirds into the window, plus an early trickle), not
at a constant rate:

- three quarters are logged in on their phone: GET the scanned link (the confirm page, with its
  signed "seen" stamp) then POST it, as static/js/attendance.js does;
- a quarter are logged out: the scan is kept in the browser's session and the phone is sent to
  the login page; GET it, POST the credentials, land on scan_resume, POST it: checked in, timed
  at the scan;
- every venue's check-in screen and the live board poll at their real interval (If-None-Match);
- one class manager asks for the session's sign-in sheet (PDF) at the moment the rush peaks.

Reported: errors (any answer that is not the expected page), duplicates (records per trainee
beyond one), lost scans (trainees whose scan answered but who have no record), p50/p95/p99 of
the check-in request (the POST that checks in) and of the whole flow per trainee, and whether
every board showed the true figures within one poll interval after the last scan.
"""

import http.cookiejar
import random
import re
import threading
import time
import urllib.error
import urllib.parse
import urllib.request

from django.contrib.auth.hashers import make_password
from django.contrib.sessions.models import Session as DjangoSession
from django.db.models import Count
from django.urls import reverse

from attendance import tokens
from attendance.models import AttendanceRecord
from attendance.selectors import session_board
from attendance.views.screens import BOARD_POLL_SECONDS, SCREEN_POLL_SECONDS
from devtools.bench.checkin import BENCH_CSRF, _gunicorn, _login_cookies, _require_postgres
from devtools.bench.polls import seed_series_session

TRAINEES = 2000
RUSH_SECONDS = 60
LOGGED_OUT_SHARE = 0.25
PASSWORD = "rush-bench-2026"
SEED = 20261202
SCAN_TARGET_MS = 300
_SEEN = re.compile(r'name="seen" value="([^"]+)"')
_CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
_VENUE_COUNTS = re.compile(r'<span class="huge">(\d+)</span><span class="big muted">/(\d+)</span>')
_OK = "签到成功"


def arrivals(n: int, seconds: float, rng: random.Random) -> list[float]:
    """When each of `n` trainees scans, in seconds from the start of the rush: 85 % on a normal
    curve around two thirds of the window (the minutes around the start, compressed), 15 % an
    early trickle spread evenly; all inside the window."""
    times = []
    for _ in range(n):
        if rng.random() < 0.15:
            t = rng.uniform(0, seconds)
        else:
            t = rng.gauss(seconds * 2 / 3, seconds / 6)
        times.append(min(max(t, 0.0), seconds - 0.5))
    return sorted(times)


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def _opener(jar=None):
    handlers = [_NoRedirect()]
    if jar is not None:
        handlers.append(urllib.request.HTTPCookieProcessor(jar))
    return urllib.request.build_opener(*handlers)


def _call(opener, url, *, data=None, headers=None):
    """(status, body, ms, location) of one request; redirects are not followed."""
    body = urllib.parse.urlencode(data).encode() if data is not None else None
    request = urllib.request.Request(url, data=body, headers=headers or {})
    t0 = time.perf_counter()
    try:
        with opener.open(request, timeout=60) as resp:
            text = resp.read().decode(errors="replace")
            status, location = resp.status, resp.headers.get("Location", "")
    except urllib.error.HTTPError as exc:
        text = exc.read().decode(errors="replace")
        status, location = exc.code, exc.headers.get("Location", "")
    return status, text, (time.perf_counter() - t0) * 1000, location


class Rush:
    def __init__(self, base, session, venues, users, cookies, logged_out):
        self.base, self.session, self.venues = base, session, venues
        self.users, self.cookies, self.logged_out = users, cookies, logged_out
        self.lock = threading.Lock()
        self.scan_ms: list[float] = []
        self.flow_ms: list[float] = []
        self.errors: list[str] = []
        self.answered: set[int] = set()

    def _error(self, user, what):
        with self.lock:
            self.errors.append(f"{user.username}: {what}")

    def scan(self, k: int) -> None:
        user = self.users[k]
        venue = self.venues[k % len(self.venues)]  # their own venue (see seed_series_session)
        token = tokens.issue(session_id=self.session.pk, venue_id=venue.pk, purpose=tokens.CHECKIN)
        url = self.base + reverse("attendance:scan", args=[token])
        t0 = time.perf_counter()
        try:
            if user.pk in self.logged_out:
                ms = self._logged_out(user, url)
            else:
                ms = self._logged_in(user, url)
        except Exception as exc:  # a failed connection is an error in the figures
            self._error(user, repr(exc))
            return
        if ms is None:
            return
        with self.lock:
            self.scan_ms.append(ms)
            self.flow_ms.append((time.perf_counter() - t0) * 1000)
            self.answered.add(user.pk)

    def _logged_in(self, user, url):
        opener = _opener()
        cookie = f"sessionid={self.cookies[user.pk]}; csrftoken={BENCH_CSRF}"
        status, page, _, _ = _call(opener, url, headers={"Cookie": cookie})
        seen = _SEEN.search(page)
        if status != 200 or not seen:
            self._error(user, f"confirm page {status}")
            return None
        status, page, ms, _ = _call(
            opener,
            url,
            data={"seen": seen.group(1)},
            headers={"Cookie": cookie, "X-CSRFToken": BENCH_CSRF, "Referer": url},
        )
        if status != 200 or _OK not in page:
            self._error(user, f"scan {status}")
            return None
        return ms

    def _logged_out(self, user, url):
        jar = http.cookiejar.CookieJar()
        opener = _opener(jar)
        status, _, _, location = _call(opener, url)
        if status != 302 or "login" not in location:
            self._error(user, f"logged-out scan {status}")
            return None
        login_url = urllib.parse.urljoin(url, location)
        status, page, _, _ = _call(opener, login_url)
        csrf = _CSRF.search(page)
        if status != 200 or not csrf:
            self._error(user, f"login page {status}")
            return None
        status, _, _, location = _call(
            opener,
            login_url,
            data={
                "csrfmiddlewaretoken": csrf.group(1),
                "username": user.username,
                "password": PASSWORD,
            },
            headers={"Referer": login_url},
        )
        if status != 302:
            self._error(user, f"login {status}")
            return None
        resume = urllib.parse.urljoin(login_url, location)
        status, page, _, _ = _call(opener, resume)
        csrf = _CSRF.search(page)
        if status != 200 or not csrf:
            self._error(user, f"resume page {status}")
            return None
        status, page, ms, _ = _call(
            opener, resume, data={"csrfmiddlewaretoken": csrf.group(1)}, headers={"Referer": resume}
        )
        if status != 200 or _OK not in page:
            self._error(user, f"resume {status}")
            return None
        return ms


class Poller(threading.Thread):
    """A screen or board polling at its interval with If-None-Match; keeps the last fragment."""

    def __init__(self, url, cookie, interval, stop, offset):
        super().__init__(daemon=True)
        self.url, self.cookie, self.interval, self.stop, self.offset = (
            url,
            cookie,
            interval,
            stop,
            offset,
        )
        self.etag, self.body, self.seen_at = None, "", 0.0
        self.times: list[float] = []
        self.errors = 0

    def run(self):
        opener = _opener()
        self.stop.wait(self.offset)
        while not self.stop.is_set():
            t0 = time.monotonic()
            headers = {"Cookie": f"sessionid={self.cookie}", "HX-Request": "true"}
            if self.etag:
                headers["If-None-Match"] = self.etag
            try:
                request = urllib.request.Request(self.url, headers=headers)
                t1 = time.perf_counter()
                try:
                    with opener.open(request, timeout=30) as resp:
                        body, etag = resp.read().decode(), resp.headers.get("ETag")
                        self.body, self.etag = body, etag or self.etag
                except urllib.error.HTTPError as exc:
                    if exc.code != 304:
                        raise
                self.times.append((time.perf_counter() - t1) * 1000)
                self.seen_at = time.monotonic()
            except Exception:
                self.errors += 1
            self.stop.wait(max(0.0, self.interval - (time.monotonic() - t0)))


def _pct(values, q):
    if not values:
        return None
    values = sorted(values)
    return round(values[min(len(values) - 1, int(q * len(values)))], 1)


def bench_rush(opts) -> dict:
    _require_postgres()
    out = opts.get("stdout")
    rng = random.Random(SEED)
    session, venues, users, manager = seed_series_session(TRAINEES, start_in_minutes=0.75)
    logged_out = {u.pk for u in rng.sample(users, int(len(users) * LOGGED_OUT_SHARE))}
    type(users[0]).objects.filter(pk__in=logged_out).update(password=make_password(PASSWORD))
    logged_in = [u for u in users if u.pk not in logged_out]
    keys = _login_cookies([*logged_in, manager])
    cookies = {u.pk: k for u, k in zip([*logged_in, manager], keys, strict=True)}
    schedule = arrivals(len(users), RUSH_SECONDS, rng)
    order = list(range(len(users)))
    rng.shuffle(order)
    board_path = reverse("attendance:board", args=[session.pk])
    export = {"status": None, "ms": None}
    try:
        with _gunicorn() as base:
            stop = threading.Event()
            pollers = [
                Poller(
                    base + reverse("attendance:screen", args=[session.pk, v.pk]),
                    cookies[manager.pk],
                    SCREEN_POLL_SECONDS,
                    stop,
                    i,
                )
                for i, v in enumerate(venues)
            ] + [Poller(base + board_path, cookies[manager.pk], BOARD_POLL_SECONDS, stop, 2.5)]
            for p in pollers:
                p.start()
            rush = Rush(base, session, venues, users, cookies, logged_out)

            def export_signin():
                opener = _opener()
                cookie = f"sessionid={cookies[manager.pk]}; csrftoken={BENCH_CSRF}"
                t1 = time.perf_counter()
                try:
                    status, _, ms, _ = _call(
                        opener,
                        base + reverse("reports:program_export", args=[session.program_id]),
                        data={
                            "kind": "signin_pdf",
                            "session": session.pk,
                            "export_reason": "开班签到表",
                        },
                        headers={"Cookie": cookie, "X-CSRFToken": BENCH_CSRF},
                    )
                except OSError as exc:  # a timed-out export is an error in the figures, not a crash
                    status, ms = repr(exc), (time.perf_counter() - t1) * 1000
                export.update(status=status, ms=round(ms, 1))

            # The trainees' phones: one thread each, started at its arrival time (phones do not
            # queue behind one another; the server's four workers and backlog do).
            threads = []
            t0 = time.monotonic()
            exporter = threading.Thread(target=export_signin)
            exported = False
            for k, at in zip(order, schedule, strict=True):
                delay = at - (time.monotonic() - t0)
                if delay > 0:
                    time.sleep(delay)
                if not exported and at >= RUSH_SECONDS * 2 / 3:
                    exporter.start()
                    exported = True
                t = threading.Thread(target=rush.scan, args=(k,))
                t.start()
                threads.append(t)
            for t in threads:
                t.join()
            if exported:
                exporter.join()
            last = time.monotonic()
            rush_wall = last - t0
            # every board, one poll interval (and a request's time) after the last scan
            interval = max(SCREEN_POLL_SECONDS, BOARD_POLL_SECONDS)
            time.sleep(interval + 1.5)
            stop.set()
            for p in pollers:
                p.join(timeout=30)
            truth = session_board(session=session)
            expected = [(vb.checked_in, vb.expected) for vb in truth.venues]
            board_seen = [(int(a), int(b)) for a, b in _VENUE_COUNTS.findall(pollers[-1].body)]
            screens_ok = all(
                f"{vb.checked_in}/{vb.expected}" in p.body
                for p, vb in zip(pollers[:-1], truth.venues, strict=True)
            )
            boards_ok = board_seen == expected and screens_ok
            fresh = all(p.seen_at > last for p in pollers)
    finally:
        DjangoSession.objects.filter(session_key__in=keys).delete()
    records = AttendanceRecord.objects.filter(session=session)
    made = set(records.values_list("user_id", flat=True))
    duplicates = (
        records.values("user_id").annotate(n=Count("id")).filter(n__gt=1).count()
    )  # the unique constraint makes this 0 unless it is gone
    lost = len(rush.answered - made)
    missing = len(users) - len(made)
    poll_times = [t for p in pollers for t in p.times]
    poll_errors = sum(p.errors for p in pollers)
    p99 = _pct(rush.scan_ms, 0.99)
    errors = len(rush.errors) + poll_errors + (0 if export["status"] in (200, 302) else 1)
    if out and rush.errors:
        out.write(f"   first errors: {rush.errors[:5]}")
    AttendanceRecord.objects.filter(session=session).delete()
    return {
        "trainees": len(users),
        "logged_out": len(logged_out),
        "venues": len(venues),
        "rush_seconds": RUSH_SECONDS,
        "rush_wall_s": round(rush_wall, 1),
        "checked_in": len(made),
        "not_checked_in": missing,
        "errors": errors,
        "scan_errors": len(rush.errors),
        "poll_errors": poll_errors,
        "duplicates": duplicates,
        "lost": lost,
        "scan_p50_ms": _pct(rush.scan_ms, 0.5),
        "scan_p95_ms": _pct(rush.scan_ms, 0.95),
        "scan_p99_ms": p99,
        "flow_p50_ms": _pct(rush.flow_ms, 0.5),
        "flow_p99_ms": _pct(rush.flow_ms, 0.99),
        "poll_p95_ms": _pct(poll_times, 0.95),
        "polls": len(poll_times),
        "export_status": export["status"],
        "export_ms": export["ms"],
        "boards_correct_after_one_interval": bool(boards_ok and fresh),
        "setup": f"gunicorn 4 sync workers; {len(users)} trainees over {len(venues)} venues "
        f"arriving within {RUSH_SECONDS}s (85% normal around 2/3 of the window, 15% uniform), "
        f"{int(LOGGED_OUT_SHARE * 100)}% logged out (scan → login → resume), "
        f"{len(pollers) - 1} screens + 1 board polling, a sign-in sheet PDF requested at the peak",
        "targets": {
            "rush: 0 errors": errors == 0,
            "rush: 0 duplicates": duplicates == 0,
            "rush: 0 lost scans": lost == 0 and missing == 0,
            f"rush: scan p99 ≤ {SCAN_TARGET_MS} ms": p99 is not None and p99 <= SCAN_TARGET_MS,
            "rush: boards correct within one poll interval": bool(boards_ok and fresh),
        },
    }
