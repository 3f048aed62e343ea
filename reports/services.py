"""Writes of the reports app: export requests and runs, reminders sent exactly once.

Rollups live in reports.rollups (re-exported here for callers that only know services).
"""

import base64
import logging
import uuid
from collections import defaultdict
from dataclasses import dataclass, field

from django.db import connection, transaction
from django.db.models import F
from django.db.models.functions import Least
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from core.errors import DomainError
from core.models import GeneratedFile
from core.services import (
    generated_file_fail,
    generated_file_finish,
    generated_file_progress,
    generated_file_start,
    notify_many,
)
from reports import rendering
from reports.models import ReminderPreference, ReminderSent
from reports.rollups import (  # noqa: F401 - re-exported
    rollup_mark_dirty,
    rollup_rebuild_all,
    rollup_refresh,
    rollup_refresh_changed,
)

logger = logging.getLogger(__name__)


# --- Exports -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ExportKind:
    key: str
    label: str
    extension: str


EXPORT_KINDS = {
    k.key: k
    for k in [
        ExportKind("signin_pdf", "签到表", "pdf"),
        ExportKind("signin_xlsx", "签到表", "xlsx"),
        ExportKind("summary_pdf", "考勤汇总表", "pdf"),
        ExportKind("summary_xlsx", "考勤汇总表", "xlsx"),
        ExportKind("record_pdf", "个人培训档案", "pdf"),
        ExportKind("record_xlsx", "个人培训档案", "xlsx"),
    ]
}


def export_request(*, kind: str, by, program=None, session=None, trainee=None) -> GeneratedFile:
    """Record an export and queue its job once the transaction commits.

    Callers have checked access already (views via programs.access, the command as admin).
    If the broker cannot be reached the row stays pending with a message saying so, and core's
    beat sweep queues it once the broker is back (core.services.generated_file_start).
    """
    if kind not in EXPORT_KINDS:
        raise DomainError(_("未知的报表类型。"))
    spec = EXPORT_KINDS[kind]
    params: dict = {"kind": kind}
    if kind.startswith("signin"):
        if session is None:
            raise DomainError(_("请选择课程。"))
        params["session_id"] = session.pk
        subject = f"{session.program.title} · {session.topic}"
    elif kind.startswith("summary"):
        if program is None:
            raise DomainError(_("请选择培训项目。"))
        params["program_id"] = program.pk
        subject = program.title
    else:
        if trainee is None:
            raise DomainError(_("请选择学员。"))
        params["user_id"] = trainee.pk
        subject = trainee.full_name
    from reports.tasks import export_run

    return generated_file_start(
        owner=by,
        kind=f"reports.{kind}",
        title=f"{subject} {spec.label}({spec.extension.upper()})",
        params=params,
        task=export_run,
    )


def export_progress(*, file_id, progress: int, task=None) -> None:
    generated_file_progress(file_id=file_id, progress=progress)
    if task is not None and getattr(task, "request", None) and task.request.id:
        task.update_state(state="PROGRESS", meta={"progress": progress, "file_id": str(file_id)})


def _filename(gf: GeneratedFile, ext: str) -> str:
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    safe = "".join(c for c in gf.title if c not in '\\/:*?"<>|').replace(" ", "")
    return f"{safe[:80]}-{stamp}.{ext}"


def export_build(*, kind: str, params: dict, progress=lambda p: None, parallel: bool = False):
    """(content, extension, content type) of one export. Raises DomainError when the object is
    gone. `parallel` lets the summary PDF use a process pool (command path, not in workers)."""
    from programs.models import Program
    from reports import selectors

    try:
        if kind.startswith("signin"):
            session = selectors.session_for_report(pk=params["session_id"])
            progress(20)
            if kind == "signin_pdf":
                return rendering.signin_pdf(session=session), "pdf", rendering.PDF_TYPE
            return rendering.signin_xlsx(session=session), "xlsx", rendering.XLSX_TYPE
        if kind.startswith("summary"):
            program = Program.objects.select_related("organizing_unit").get(pk=params["program_id"])
            progress(10)
            if kind == "summary_pdf":
                pdf = rendering.summary_pdf(
                    program=program, workers=None if parallel else 1, progress=progress
                )
                return pdf, "pdf", rendering.PDF_TYPE
            return rendering.summary_xlsx(program=program), "xlsx", rendering.XLSX_TYPE
        trainee = selectors.trainee_get(pk=params["user_id"])
        progress(20)
        if kind == "record_pdf":
            return rendering.trainee_record_pdf(user=trainee), "pdf", rendering.PDF_TYPE
        return rendering.trainee_record_xlsx(user=trainee), "xlsx", rendering.XLSX_TYPE
    except (Program.DoesNotExist, LookupError) as exc:
        raise DomainError(_("报表所依据的数据已不存在。")) from exc
    except Exception as exc:
        if exc.__class__.__name__ == "Http404":
            raise DomainError(_("报表所依据的数据已不存在。")) from exc
        raise


def export_run(*, file_id, task=None) -> str:
    """Run one export. Idempotent: a retried or duplicated job finds the file done and stops;
    `generated_file_finish` stores the output at most once."""
    gf = GeneratedFile.objects.filter(pk=file_id).first()
    if gf is None:
        return "missing"
    if gf.status in (GeneratedFile.Status.DONE, GeneratedFile.Status.FAILED):
        return gf.status
    kind = gf.params.get("kind", "")
    export_progress(file_id=file_id, progress=5, task=task)
    try:
        if kind == "summary_pdf" and task is not None and not _eager():
            plan = _summary_plan_for(gf)
            if len(plan) > 1:
                _summary_chord(gf, plan)
                return "chunked"
        content, ext, ctype = export_build(
            kind=kind,
            params=gf.params,
            progress=lambda p: export_progress(file_id=file_id, progress=p, task=task),
        )
        generated_file_finish(
            file_id=file_id, content=content, filename=_filename(gf, ext), content_type=ctype
        )
        return "done"
    except DomainError as exc:
        generated_file_fail(file_id=file_id, error=str(exc))
        return "failed"
    except Exception as exc:
        logger.exception("export %s failed", file_id)
        generated_file_fail(
            file_id=file_id,
            error=_("生成报表时出错(%(error)s)。请重试;如仍失败,请联系系统管理员。")
            % {"error": exc.__class__.__name__},
        )
        return "failed"


def _eager() -> bool:
    from config.celery import app

    return bool(app.conf.task_always_eager)


def _summary_plan_for(gf: GeneratedFile) -> list[dict]:
    from programs.models import Program

    if "plan" not in gf.params:
        program = Program.objects.get(pk=gf.params["program_id"])
        gf.params["plan"] = rendering.summary_plan(program=program)
        GeneratedFile.objects.filter(pk=gf.pk).update(params=gf.params)
    return gf.params["plan"]


def _summary_chord(gf: GeneratedFile, plan: list[dict]) -> None:
    """Lay the chunks out in parallel worker tasks; the last step merges and numbers pages."""
    from celery import chord

    from reports.tasks import summary_chunk, summary_merge

    chord(summary_chunk.s(str(gf.pk), i) for i in range(len(plan)))(summary_merge.s(str(gf.pk)))


def summary_chunk_render(*, file_id, index: int) -> str:
    """One chunk of a summary as base64 (travels through the result backend to the merge)."""
    from programs.models import Program
    from reports import selectors

    gf = GeneratedFile.objects.get(pk=file_id)
    program = Program.objects.select_related("organizing_unit").get(pk=gf.params["program_id"])
    plan = gf.params["plan"]
    sessions = selectors.program_sessions(program=program)
    pdf = rendering.summary_chunk_pdf(program=program, sessions=sessions, plan=plan, index=index)
    step = max(1, 85 // len(plan))
    GeneratedFile.objects.filter(pk=file_id, status=GeneratedFile.Status.RUNNING).update(
        progress=Least(F("progress") + step, 95)
    )
    return base64.b64encode(pdf).decode("ascii")


def summary_merge_finish(*, file_id, parts: list[str]) -> None:
    gf = GeneratedFile.objects.get(pk=file_id)
    pdf = rendering.merge_with_page_numbers([base64.b64decode(p) for p in parts])
    generated_file_finish(
        file_id=file_id,
        content=pdf,
        filename=_filename(gf, "pdf"),
        content_type=rendering.PDF_TYPE,
    )


# --- Reminders ---------------------------------------------------------------------------------


@dataclass
class Reminder:
    """One message to some people on one occasion. Apps yield these from
    `<app>.reminders.due_reminders(now)`; reports sends each (kind, occasion, person) once."""

    kind: str
    occasion: str
    user_ids: list
    title: str
    body: str = ""
    url: str = ""
    extra: dict = field(default_factory=dict)


# Above this many recipients in one run, PostgreSQL inserts the sent-markers with one
# array-unnest statement per chunk instead of building model instances (300k in seconds), and
# recipients are loaded and notified (core.services.notify_many) a chunk at a time.
BULK_THRESHOLD = 2000
CHUNK = 50_000


def reminders_send(*, reminders: list[Reminder], notification_kind: str | None = None) -> int:
    """Send reminders, each at most once per (kind, person, occasion). Returns how many sent.

    Markers are inserted with ignore_conflicts under this run's id; only rows carrying the id
    were inserted by this run, so only those people are notified — in the same transaction, so
    a crash before commit leaves neither marker nor message, and the next run sends them.
    """
    if not reminders:
        return 0
    run = uuid.uuid4()
    with transaction.atomic():
        kinds = {r.kind for r in reminders}
        disabled = set(
            ReminderPreference.objects.filter(kind__in=kinds, enabled=False).values_list(
                "kind", "user_id"
            )
        )
        rows = [
            (r.kind, uid, r.occasion)
            for r in reminders
            for uid in dict.fromkeys(r.user_ids)
            if (r.kind, uid) not in disabled
        ]
        bulk = connection.vendor == "postgresql" and len(rows) >= BULK_THRESHOLD
        _markers_insert(rows, run, bulk=bulk)
        fresh = defaultdict(list)
        for kind, occasion, uid in (
            ReminderSent.objects.filter(run=run)
            .values_list("kind", "occasion", "user_id")
            .iterator(chunk_size=20000)
        ):
            fresh[(kind, occasion)].append(uid)
        if not fresh:
            return 0
        sent = 0
        only = ("id", "email", "email_notifications")
        users = {}
        if not bulk:  # small run: one query for everybody
            ids = list(set().union(*fresh.values()))
            users = {u.pk: u for u in User.objects.filter(pk__in=ids, is_active=True).only(*only)}
        for r in reminders:
            ids_now = fresh.pop((r.kind, r.occasion), None) or []
            for start in range(0, len(ids_now), CHUNK):
                part = ids_now[start : start + CHUNK]
                if bulk:  # large run: a chunk of people in memory at a time
                    users = {
                        u.pk: u
                        for u in User.objects.filter(pk__in=part, is_active=True).only(*only)
                    }
                recipients = [users[i] for i in part if i in users]
                if recipients:
                    # core's one notification path: inbox rows in one INSERT, e-mails queued
                    # after commit, a sweep for what a broker outage left unsent
                    sent += notify_many(
                        users=recipients,
                        title=r.title,
                        body=r.body,
                        url=r.url,
                        kind=notification_kind or f"reminder.{r.kind}",
                    )
    return sent


def _markers_insert(rows, run, *, bulk: bool) -> None:
    if not bulk:
        ReminderSent.objects.bulk_create(
            [ReminderSent(kind=k, user_id=u, occasion=o, run=run) for k, u, o in rows],
            ignore_conflicts=True,
            batch_size=5000,
        )
        return
    now = timezone.now()
    table = ReminderSent._meta.db_table
    with connection.cursor() as cursor:
        for start in range(0, len(rows), CHUNK):
            part = rows[start : start + CHUNK]
            cursor.execute(
                f"INSERT INTO {table} (kind, user_id, occasion, run, created_at) "
                "SELECT k, u, o, %s, %s FROM unnest(%s::varchar[], %s::bigint[], %s::varchar[]) "
                "AS t(k, u, o) ON CONFLICT DO NOTHING",
                [run, now, [r[0] for r in part], [r[1] for r in part], [r[2] for r in part]],
            )


def reminder_send_once(
    *, kind: str, occasion: str, users, title: str, body: str = "", url: str = ""
) -> int:
    """For other apps: notify these people once for this occasion (e.g. a leave decision)."""
    ids = [getattr(u, "pk", u) for u in users]
    return reminders_send(
        reminders=[
            Reminder(kind=kind, occasion=occasion, user_ids=ids, title=title, body=body, url=url)
        ]
    )


def reminder_preferences_set(*, user, enabled_kinds: set[str]) -> None:
    """Store which reminder kinds a person wants (the others are switched off)."""
    from reports.models import ReminderKind

    with transaction.atomic():
        for kind in ReminderKind.values:
            ReminderPreference.objects.update_or_create(
                user=user, kind=kind, defaults={"enabled": kind in enabled_kinds}
            )
