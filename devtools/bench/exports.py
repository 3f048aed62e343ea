"""Every export of the largest program through the path a user takes (DESIGN.md §6, "exports
through the UI"): `manage.py bench --only exports`.

The largest program (most enrolled trainees) of the database is picked; when it has fewer than
2,000 trainees the province-scale PDF program (2,000 trainees × 10 sessions) is seeded beside it
(devtools.province). Each export is asked as an admin through the Django test client exactly as
the page asks it (the POST of the export form, or the GET of a direct download), its file job is
run (in-process: Celery runs eagerly without a broker; with a broker and no worker the job is run
here from the task the row names), and the time from the request to the file being ready is
recorded: roster and summary PDF ≤ 5 s, Excel and CSV ≤ 2 s.
"""

import logging
import os
import random
import time

from django.db.models import Count, Q
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import OrgUnit, User
from devtools.province import PDF_SUMMARY, _say
from programs.models import Program, Session

PDF_S = 5.0
TABULAR_S = 2.0
REASON = "基准测试"  # large exports of personal data need a reason (core.exports)

# (name, how it is asked, target in seconds)
EXPORTS = [
    ("roster_pdf", "roster_pdf", PDF_S),
    ("summary_pdf", "summary_pdf", PDF_S),
    ("roster_xlsx", "roster_xlsx", TABULAR_S),
    ("summary_xlsx", "summary_xlsx", TABULAR_S),
    ("attendance_csv", "attendance_csv", TABULAR_S),
    ("signin_pdf", "signin_pdf", PDF_S),
    ("signin_xlsx", "signin_xlsx", TABULAR_S),
]


def _largest_program():
    return (
        Program.objects.annotate(
            trainees=Count("enrollments", filter=Q(enrollments__status="enrolled"))
        )
        .select_related("organizing_unit")
        .order_by("-trainees", "pk")
        .first()
    )


def _ensure_large_program(opts):
    program = _largest_program()
    if program is not None and program.trainees >= 2000:
        return program
    from devtools import province

    code = f"{PDF_SUMMARY}-PROVINCE"
    if not Program.objects.filter(code=code).exists():
        _say(opts, "seeding a 2,000-trainee program for the exports benchmark")
        parent, _ = OrgUnit.objects.get_or_create(
            code="BENCH-EXPORTS", defaults={"name": "云江省(导出基准)", "kind": "province"}
        )
        province._seed_pdf_programs(
            "PROVINCE",
            parent,
            random.Random("lectern-exports"),
            province._ts(timezone.now()),
            timezone.get_current_timezone(),
        )
    return _largest_program()


def _admin():
    from accounts.scoping import roles_of

    for user in User.objects.filter(is_active=True, is_superuser=True).order_by("pk")[:5]:
        if roles_of(user).is_admin:
            return user
    user, _ = User.objects.get_or_create(
        username="bench-exports-admin",
        defaults={"full_name": "导出基准管理员", "is_superuser": True, "is_staff": True},
    )
    return user


def _run_job(file_id) -> str:
    """The file job of the row, run here unless the request already ran it (eager Celery)."""
    from celery import current_app

    from core.models import GeneratedFile

    gf = GeneratedFile.objects.get(pk=file_id)
    if gf.status not in (GeneratedFile.Status.DONE, GeneratedFile.Status.FAILED):
        task = current_app.tasks[gf.params["_task"]]
        task.apply(args=(str(gf.pk), *gf.params.get("_task_args", [])))
        gf.refresh_from_db()
    return gf.status


def _one(client, how: str, program, session) -> tuple[float, int, str]:
    """Ask one export as the page does; (seconds to the file, bytes, status)."""
    from core.models import GeneratedFile

    latest = GeneratedFile.objects.order_by("-created_at").values_list("pk", flat=True).first()
    started = time.perf_counter()
    if how in ("roster_xlsx", "attendance_csv"):
        name = "enrollment:export_xlsx" if how == "roster_xlsx" else "reports:program_csv"
        response = client.get(reverse(name, args=[program.pk]), {"export_reason": REASON})
        body = b"".join(response.streaming_content) if response.streaming else response.content
        elapsed = time.perf_counter() - started
        ok = response.status_code == 200 and "attachment" in response.get("Content-Disposition", "")
        return elapsed, len(body), "done" if ok else f"HTTP {response.status_code}"
    if how == "roster_pdf":
        response = client.post(
            reverse("enrollment:export_pdf", args=[program.pk]), {"export_reason": REASON}
        )
    else:
        data = {"kind": how, "export_reason": REASON}
        if how.startswith("signin"):
            data["session"] = session.pk
        response = client.post(reverse("reports:program_export", args=[program.pk]), data)
    if response.status_code != 302:
        return time.perf_counter() - started, 0, f"HTTP {response.status_code}"
    gf = GeneratedFile.objects.order_by("-created_at").first()
    if gf is None or gf.pk == latest:
        return time.perf_counter() - started, 0, "no file"
    status = _run_job(gf.pk)
    elapsed = time.perf_counter() - started
    gf.refresh_from_db()
    size = gf.file.size if gf.file else 0
    return elapsed, size, status


def bench_exports(opts) -> dict:
    logging.getLogger("weasyprint").setLevel(logging.WARNING)
    logging.getLogger("fontTools").setLevel(logging.WARNING)
    program = _ensure_large_program(opts)
    session = (
        Session.objects.filter(program=program)
        .annotate(n=Count("attendance"))
        .order_by("-n", "start")
        .first()
    )
    admin = _admin()
    client = Client(raise_request_exception=True)
    client.force_login(admin)
    runs = int(opts.get("runs") or (3 if opts.get("scale") == "province" else 2))
    figures: dict = {
        "load_average_1m": round(os.getloadavg()[0], 2),
        "program": program.code,
        "trainees": program.trainees,
        "sessions": program.sessions.count(),
        "runs": runs,
        "targets": {},
    }
    for name, how, target in EXPORTS:
        times, size, status = [], 0, "done"
        for _ in range(runs):
            elapsed, size, status = _one(client, how, program, session)
            if status != "done":
                break
            times.append(elapsed)
        best = min(times) if times else None
        figures[f"{name}_runs_s"] = [round(t, 2) for t in times]
        figures[f"{name}_s"] = round(best, 2) if best is not None else None
        figures[f"{name}_bytes"] = size
        if status != "done":
            figures[f"{name}_error"] = status
        figures["targets"][f"exports: {name} ≤ {target:g} s"] = best is not None and best <= target
        _say(opts, f"{name}: {figures[f'{name}_runs_s']} s ({size // 1024} KB) {status}")
    return figures
