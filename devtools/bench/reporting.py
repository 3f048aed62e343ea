"""Benchmarks of the reports app (DESIGN.md §4, §6): `manage.py bench --only pdf stats reminders`.

pdf        sign-in sheet for 200 trainees; attendance summary for 2,000 trainees × 10 sessions
           through our pipeline (database reads, HTML, one WeasyPrint render numbered by CSS
           page counters) and, side by side, one bare WeasyPrint render of the same HTML.
stats      the admin statistics page (rollups) against the raw SQL aggregate over attendance
           records that the same figures need without rollups.
reminders  300k due reminders through the sent-marker path; a second run must send none.

Each seeds the year of its scale first (devtools.province: `--scale province` or `quick`).
"""

import datetime as dt
import io
import os
import statistics as pystats
import time

from django.db import connection
from django.utils import timezone

from accounts.models import User
from devtools.province import PDF_SIGNIN, PDF_SUMMARY, _say, seed
from enrollment.models import Enrollment
from programs.models import Program, Session


def _median(fn, runs: int, times: list | None = None) -> float:
    times = [] if times is None else times
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return pystats.median(times)


def bench_pdf(opts) -> dict:
    import logging

    from core.pdf import html_to_pdf
    from reports import rendering

    logging.getLogger("weasyprint").setLevel(logging.WARNING)
    scale_name = opts.get("scale", "quick")
    seed(scale_name, opts)
    tag = scale_name.upper()
    signin_program = Program.objects.get(code=f"{PDF_SIGNIN}-{tag}")
    session = Session.objects.filter(program=signin_program).order_by("start").first()
    from reports.selectors import session_for_report

    rendering.signin_pdf(session=session_for_report(pk=session.pk))  # warm fonts and templates
    cpu_started = time.process_time()
    signin_runs: list[float] = []
    signin_s = _median(
        lambda: rendering.signin_pdf(session=session_for_report(pk=session.pk)), 5, signin_runs
    )
    signin_cpu = (time.process_time() - cpu_started) / 5
    _say(opts, f"sign-in sheet (200): {signin_s:.2f}s")

    program = Program.objects.select_related("organizing_unit").get(code=f"{PDF_SUMMARY}-{tag}")
    trainees = program.enrollments.count()
    n_sessions = program.sessions.count()
    # Side by side, alternating: our pipeline (DB reads, HTML, render) and one bare WeasyPrint
    # call on the same HTML.
    bare_html = rendering.summary_html(program=program)
    bare_css = rendering._summary_css(n_sessions)
    ours, bare = [], []
    ours_cpu, bare_cpu = [], []
    for _ in range(3 if scale_name == "province" else 1):
        started, cpu = time.perf_counter(), _cpu()
        pdf = rendering.summary_pdf(program=program)
        ours.append(time.perf_counter() - started)
        ours_cpu.append(_cpu() - cpu)
        started, cpu = time.perf_counter(), _cpu()
        bare_pdf = html_to_pdf(bare_html, extra_css=bare_css)
        bare.append(time.perf_counter() - started)
        bare_cpu.append(_cpu() - cpu)
        _say(
            opts, f"summary {trainees}×{n_sessions}: pipeline {ours[-1]:.1f}s, bare {bare[-1]:.1f}s"
        )
    summary_s, bare_s = min(ours), min(bare)
    overhead = summary_s / bare_s
    full = trainees >= 2000 and n_sessions >= 10
    figures = {
        "load_average_1m": round(os.getloadavg()[0], 2),
        "signin_200_s": round(signin_s, 2),
        "signin_200_cpu_s": round(signin_cpu, 2),
        "signin_runs_s": [round(t, 2) for t in signin_runs],
        "summary_runs_s": [round(t, 2) for t in ours],
        "bare_runs_s": [round(t, 2) for t in bare],
        "summary_runs_cpu_s": [round(t, 2) for t in ours_cpu],
        "bare_runs_cpu_s": [round(t, 2) for t in bare_cpu],
        "summary_2000x10_s": round(summary_s, 2),
        "bare_s": round(bare_s, 2),
        "overhead": round(overhead, 2),
        "summary_cpu_s": round(min(ours_cpu), 2),
        "bare_cpu_s": round(min(bare_cpu), 2),
        "summary_trainees": trainees,
        "summary_sessions": n_sessions,
        "summary_pages": _pages(pdf),
        "bare_pages": _pages(bare_pdf),
        "pipeline_faster_than_bare": summary_s < bare_s,
        "targets": {"pdf: sign-in sheet 200 trainees ≤ 1.5 s": signin_s <= 1.5},
    }
    if full:
        figures["targets"]["pdf: summary 2,000×10 ≤ 10 s on 2 cores"] = summary_s <= 10
        figures["targets"]["pdf: pipeline overhead ≤ 1.1× bare render"] = overhead <= 1.1
    return figures


def _cpu() -> float:
    """CPU seconds of this process and its finished children (the layout pool)."""
    import resource

    me = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def _pages(pdf: bytes) -> int:
    from pypdf import PdfReader

    return len(PdfReader(io.BytesIO(pdf)).pages)


RAW_STATS_SQL = """
SELECT substr(o.path, 1, 14) AS unit_prefix, u.rank, p.level,
  COUNT(*) FILTER (WHERE r.status IN ('present', 'late', 'left_early', 'late_left_early')),
  COUNT(*) FILTER (WHERE r.status = 'on_leave'), COUNT(*) FILTER (WHERE r.status = 'absent'),
  COUNT(*), COUNT(DISTINCT r.user_id)
FROM attendance_attendancerecord r
JOIN programs_session s ON s.id = r.session_id
JOIN programs_program p ON p.id = s.program_id
JOIN enrollment_enrollment e ON e.program_id = p.id AND e.user_id = r.user_id
JOIN accounts_orgunit o ON o.id = e.unit_id
JOIN accounts_user u ON u.id = r.user_id
WHERE p.start_date >= %s AND p.start_date < %s
GROUP BY 1, 2, 3
"""


def bench_stats(opts) -> dict:
    from django.db import reset_queries
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse

    scale_name = opts.get("scale", "quick")
    seed(scale_name, opts)
    from reports.services import rollup_rebuild_all, rollup_refresh

    started = time.perf_counter()
    rollup_rebuild_all()
    rebuild_s = time.perf_counter() - started
    one = Program.objects.filter(code__startswith=f"BENCH-{scale_name.upper()}-").first()
    refresh_s = _median(lambda: rollup_refresh(program_ids=[one.pk]), 3)

    admin = User.objects.get(username=f"bench-{scale_name}-admin")
    client = Client(raise_request_exception=True)
    client.force_login(admin)
    url = reverse("reports:statistics")
    year = timezone.localdate().year
    for _ in range(3):
        assert client.get(url).status_code == 200
    page_s = _median(lambda: client.get(url), 15)
    with CaptureQueriesContext(connection) as captured:
        client.get(url)
    rollup_sql = [
        q["sql"]
        for q in captured.captured_queries
        if q["sql"].lstrip().upper().startswith("SELECT")
        and ("reports_" in q["sql"] or "accounts_orgunit" in q["sql"])
    ]

    def run_rollup_sql():
        with connection.cursor() as cur:
            for sql in rollup_sql:
                cur.execute(sql)
                cur.fetchall()

    rollup_sql_s = _median(run_rollup_sql, 9)
    page_queries = len(captured.captured_queries)

    def raw():
        with connection.cursor() as cur:
            cur.execute(RAW_STATS_SQL, [dt.date(year, 1, 1), dt.date(year + 1, 1, 1)])
            cur.fetchall()

    raw()
    sql_s = _median(raw, 3)
    reset_queries()
    ms, sql_ms = page_s * 1000, sql_s * 1000
    load = round(os.getloadavg()[0], 2)
    _say(
        opts,
        f"page {ms:.0f} ms, raw aggregate {sql_ms:.0f} ms, "
        f"rollup queries {rollup_sql_s * 1000:.1f} ms",
    )
    records = _count("attendance_attendancerecord")
    return {
        "load_average_1m": load,
        "ms": round(ms, 1),
        "sql_ms": round(sql_ms, 1),
        "ratio": round(ms / sql_ms, 2),
        "rollup_sql_ms": round(rollup_sql_s * 1000, 1),
        "page_queries": page_queries,
        "rollup_rebuild_s": round(rebuild_s, 1),
        "rollup_refresh_one_program_ms": round(refresh_s * 1000, 1),
        "attendance_records": records,
        "programs": Program.objects.count(),
        "enrollments": _count("enrollment_enrollment"),
        "targets": {
            "stats: page ≤ 300 ms at this scale": ms <= 300,
            "stats: page ≤ 1.5× the raw SQL aggregate": ms <= 1.5 * sql_ms,
        },
    }


def _count(table: str) -> int:
    with connection.cursor() as cur:
        cur.execute(f"SELECT COUNT(*) FROM {table}")
        return cur.fetchone()[0]


def bench_reminders(opts) -> dict:
    from core.models import Notification
    from reports.models import ReminderKind, ReminderSent
    from reports.services import Reminder, reminders_send

    scale_name = opts.get("scale", "quick")
    seed(scale_name, opts)
    target = 300_000 if scale_name == "province" else 10_000
    first_session = {}
    for pid, sid in (
        Session.objects.filter(program__code__startswith=f"BENCH-{scale_name.upper()}-")
        .order_by("program_id", "-start")
        .values_list("program_id", "pk")
    ):
        first_session[pid] = sid
    members: dict[int, list[int]] = {}
    for total, (pid, uid) in enumerate(
        Enrollment.objects.filter(program_id__in=list(first_session))
        .values_list("program_id", "user_id")
        .iterator(chunk_size=20000)
    ):
        if total >= target:
            break
        members.setdefault(pid, []).append(uid)
    reminders = [
        Reminder(
            kind=ReminderKind.SESSION_HOUR_BEFORE,
            occasion=f"bench:session:{first_session[p]}",
            user_ids=uids,
            title=f"一小时后开课(基准 {first_session[p]})",
        )
        for p, uids in members.items()
    ]
    _cleanup_reminders()
    try:
        started = time.perf_counter()
        count = reminders_send(reminders=reminders, notification_kind="bench")
        seconds = time.perf_counter() - started
        again = reminders_send(reminders=reminders, notification_kind="bench")
        from django.db.models import Count

        twice = (
            Notification.objects.filter(kind="bench")
            .values("user_id", "title")
            .annotate(n=Count("id"))
            .filter(n__gt=1)
            .count()
        )
        markers = ReminderSent.objects.filter(occasion__startswith="bench:").count()
    finally:
        _cleanup_reminders()
    _say(opts, f"{count} reminders in {seconds:.1f}s; second run sent {again}")
    return {
        "count": count,
        "s": round(seconds, 1),
        "sent_twice": twice + again,
        "markers": markers,
        "targets": {
            "reminders: 300k queued ≤ 20 s": count >= 300_000 and seconds <= 20,
            "reminders: none sent twice": twice + again == 0,
        }
        if scale_name == "province"
        else {"reminders: none sent twice": twice + again == 0},
    }


def _cleanup_reminders():
    from core.models import Notification
    from reports.models import ReminderSent

    with connection.cursor() as cur:
        cur.execute(f"DELETE FROM {Notification._meta.db_table} WHERE kind = 'bench'")
        cur.execute(f"DELETE FROM {ReminderSent._meta.db_table} WHERE occasion LIKE 'bench:%%'")
