"""Writes of the reports app: export requests and runs, reminder preferences.

Rollups live in reports.rollups and the reminder engine in core.reminders (both re-exported
here for callers that only know reports.services).
"""

import logging
import re
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.http import Http404
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.errors import DomainError
from core.jobs import file_job_progress, run_file_job
from core.models import GeneratedFile
from core.reminders import (  # noqa: F401 - the engine, for callers that know reports
    BULK_THRESHOLD,
    CHUNK,
    Reminder,
    reminder_send_once,
    reminders_send,
)
from core.services import generated_file_start
from reports import rendering
from reports.models import ReminderPreference
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
    label: object  # a lazy translation
    extension: str


EXPORT_KINDS = {
    k.key: k
    for k in [
        ExportKind("signin_pdf", gettext_lazy("签到表"), "pdf"),
        ExportKind("signin_xlsx", gettext_lazy("签到表"), "xlsx"),
        ExportKind("summary_pdf", gettext_lazy("考勤汇总表"), "pdf"),
        ExportKind("summary_xlsx", gettext_lazy("考勤汇总表"), "xlsx"),
        ExportKind("archive_zip", gettext_lazy("培训档案(一期一档)"), "zip"),
    ]
}


def export_request(*, kind: str, by, program=None, session=None, reason: str = "") -> GeneratedFile:
    """Record an export and queue its job once the transaction commits.

    Callers have checked access already (views via programs.access, the command as admin).
    The document is made in the language active now (the one the user chose for the page they
    asked from), whatever language the worker runs in. If the broker cannot be reached the row
    stays pending with a message saying so, and core's beat sweep queues it once the broker is
    back (core.services.generated_file_start).

    Export control: every document here names people, so each is `personal`; `rows` is the
    number of trainees it lists (one for a record), `scope` the program, session or person. A
    large one needs a `reason` (DomainError with field "reason" otherwise, nothing written).
    """
    from reports.selectors import enrolled_count

    if kind not in EXPORT_KINDS:
        raise DomainError(_("未知的报表类型。"))
    spec = EXPORT_KINDS[kind]
    params: dict = {"kind": kind, "lang": translation.get_language() or settings.LANGUAGE_CODE}
    if kind.startswith("signin"):
        if session is None:
            raise DomainError(_("请选择课程。"))
        params["session_id"] = session.pk
        subject = f"{session.program.title} · {session.topic}"
        rows = enrolled_count(program_id=session.program_id)
        scope = f"{session.program.code} · {session.topic}"
    else:
        if program is None:
            raise DomainError(_("请选择培训项目。"))
        if kind == "archive_zip" and not rendering.archive_ready(program):
            raise DomainError(_("培训项目结束后才能生成培训档案。"))
        params["program_id"] = program.pk
        subject = program.title
        rows = enrolled_count(program=program)
        scope = program.code
    from reports.tasks import export_run

    return generated_file_start(
        owner=by,
        kind=f"reports.{kind}",
        title=f"{subject} {spec.label}({spec.extension.upper()})",
        params=params,
        task=export_run,
        rows=rows,
        personal=True,
        scope=scope,
        reason=reason,
    )


def export_language(params: dict) -> str:
    """The language a document was asked in (older jobs: the site's language)."""
    return (params or {}).get("lang") or settings.LANGUAGE_CODE


def _filename(gf: GeneratedFile, ext: str) -> str:
    """A file name people recognise: the export's (Chinese) title and the time it was made;
    core.files.serve_file sends it as an RFC 5987 UTF-8 name."""
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    title = gf.title.rsplit("(", 1)[0]  # "… 签到表(PDF)" → "… 签到表"
    safe = " ".join("".join(c for c in title if c not in '\\/:*?"<>|').split())
    # no space between Chinese words (培训班·课程签到表); one between Chinese and English words
    safe = re.sub(r"(?<=[\u2e80-\uffff·]) (?=[\u2e80-\uffff·])", "", safe)
    return f"{safe[:80]}-{stamp}.{ext}"


def export_build(*, kind: str, params: dict, progress=lambda p: None):
    """(content, extension, content type) of one export, in the language it was asked in.
    Raises DomainError when the object is gone."""
    with translation.override(export_language(params)):
        return _export_build(kind=kind, params=params, progress=progress)


def _export_build(*, kind: str, params: dict, progress):
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
                pdf = rendering.summary_pdf(program=program, progress=progress)
                return pdf, "pdf", rendering.PDF_TYPE
            return rendering.summary_xlsx(program=program), "xlsx", rendering.XLSX_TYPE
        if kind == "archive_zip":
            program = Program.objects.select_related("organizing_unit").get(pk=params["program_id"])
            progress(5)
            content = rendering.archive_zip(program=program, progress=progress)
            return content, "zip", rendering.ZIP_TYPE
        raise DomainError(_("未知的报表类型。"))
    except (Program.DoesNotExist, LookupError) as exc:
        raise DomainError(_("报表所依据的数据已不存在。")) from exc
    except Http404 as exc:
        raise DomainError(_("报表所依据的数据已不存在。")) from exc


def export_run(*, file_id, task=None) -> str:
    """Run one export through core.jobs.run_file_job (the one file-job runner: every job ends
    done or failed with a message). Idempotent: a retried or duplicated job finds the file done
    and stops."""
    gf = GeneratedFile.objects.filter(pk=file_id).first()
    if gf is None:
        return "missing"
    if gf.status in (GeneratedFile.Status.DONE, GeneratedFile.Status.FAILED):
        return gf.status
    kind = gf.params.get("kind", "")

    def work(gf, _progress):
        content, ext, ctype = export_build(
            kind=kind,
            params=gf.params,
            progress=lambda p: generated_file_progress(file_id=gf.pk, progress=p),
        )
        return content, _filename(gf, ext), ctype

    return run_file_job(file_id, work, task=task)


def generated_file_progress(*, file_id, progress: int) -> None:
    """An export's progress (core.jobs: running at n %, a sign of life for the stale sweep)."""
    file_job_progress(file_id=file_id, progress=progress)


# --- Reminders ---------------------------------------------------------------------------------


def reminder_preferences_set(*, user, enabled_kinds: set[str]) -> None:
    """Store which reminder kinds a person wants (the others are switched off)."""
    from reports.models import ReminderKind

    with transaction.atomic():
        for kind in ReminderKind.values:
            ReminderPreference.objects.update_or_create(
                user=user, kind=kind, defaults={"enabled": kind in enabled_kinds}
            )
