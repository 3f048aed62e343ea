"""The one file-job runner: every export, PDF or collection a background job makes goes through
:func:`run_file_job`, so every job ends *done* or *failed with a message*, whatever happens.

An app's task is a thin wrapper::

    @shared_task(bind=True, acks_late=True, max_retries=3, default_retry_delay=10)
    def roster_pdf_render(self, file_id, program_id):
        def work(gf, progress):
            program = Program.objects.get(pk=program_id)
            progress(30)
            return roster_pdf(program), f"花名册-{program.code}.pdf", "application/pdf"

        return run_file_job(file_id, work, task=self)

`work(gf, progress)` returns ``(content: bytes, filename, content_type)``; ``progress(n)`` marks
the job running at n % and counts as a sign of life. The runner

* does nothing for a file already done or failed (a duplicated or retried job stores once);
* stores the output with core.services.generated_file_finish;
* on a :class:`core.errors.DomainError` fails the job with that (translated) message, on a
  missing object (``DoesNotExist``) with "the data is gone";
* on a transient database or broker error asks Celery to retry (when the task has retries
  left and is not running in-process), and fails the job once it has none;
* on any other exception (ValueError, KeyError, a bug...) logs it and fails the job with a
  translated message naming the error class.

Jobs that stop reporting (a killed worker, a lost message) are failed by
:func:`file_jobs_fail_stale`, run by beat every few minutes (core/schedule.py).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from contextlib import nullcontext, suppress
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ObjectDoesNotExist
from django.db import DatabaseError, InterfaceError, OperationalError
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from core.errors import DomainError
from core.models import GeneratedFile

log = logging.getLogger(__name__)

Work = Callable[[GeneratedFile, Callable[[int], None]], tuple[bytes, str, str]]

# Errors worth another try: the database or the broker was briefly unreachable.
TRANSIENT_ERRORS: tuple[type[BaseException], ...] = (OperationalError, InterfaceError)
try:  # kombu's connection errors (Redis down while a chord or sub-task is sent)
    from kombu.exceptions import OperationalError as KombuOperationalError

    TRANSIENT_ERRORS += (KombuOperationalError,)
except ImportError:  # pragma: no cover - kombu ships with celery
    pass

_FINISHED = (GeneratedFile.Status.DONE, GeneratedFile.Status.FAILED)


def stale_after() -> timedelta:
    """A running job that has not reported for this long is failed by the sweep."""
    return timedelta(minutes=getattr(settings, "LECTERN_FILE_JOB_STALE_MINUTES", 30))


def pending_stale_after() -> timedelta:
    """A job still waiting to start after this long (the queue was down for hours) is failed."""
    return timedelta(minutes=getattr(settings, "LECTERN_FILE_JOB_PENDING_STALE_MINUTES", 360))


def file_job_progress(*, file_id, progress: int) -> None:
    """Mark the job running at `progress` % and record the sign of life the sweep looks at.
    A job already finished (failed by the sweep, or done) is left as it is."""
    GeneratedFile.objects.filter(pk=file_id).exclude(status__in=_FINISHED).update(
        status=GeneratedFile.Status.RUNNING,
        progress=max(0, min(100, int(progress))),
        updated_at=timezone.now(),
    )


def file_job_fail(*, file_id, error) -> None:
    """Fail the job with a message for its owner (unless it has been stored meanwhile)."""
    GeneratedFile.objects.filter(pk=file_id).exclude(status=GeneratedFile.Status.DONE).update(
        status=GeneratedFile.Status.FAILED, error=str(error)[:2000], updated_at=timezone.now()
    )


def _language_of(gf: GeneratedFile) -> str:
    owner = getattr(gf, "owner", None)
    language = getattr(owner, "preferred_language", None) if owner is not None else None
    return language or settings.LANGUAGE_CODE


def _unexpected_message(exc: BaseException) -> str:
    return _("生成文件时出错(%(error)s)。请重试;如仍失败,请联系系统管理员。") % {
        "error": exc.__class__.__name__
    }


def _transient_message() -> str:
    return _("暂时无法连接数据库或任务队列,文件未能生成。请稍后重试。")


def _can_retry(task) -> bool:
    if task is None:
        return False
    request = getattr(task, "request", None)
    if request is None or getattr(request, "is_eager", False) or not getattr(request, "id", None):
        return False
    max_retries = getattr(task, "max_retries", None)
    return max_retries is None or (request.retries or 0) < max_retries


def _report(file_id, task):
    def progress(value: int) -> None:
        file_job_progress(file_id=file_id, progress=value)
        if task is not None and getattr(getattr(task, "request", None), "id", None):
            try:
                task.update_state(
                    state="PROGRESS", meta={"progress": int(value), "file_id": str(file_id)}
                )
            except Exception:  # the result backend is only a nicety here
                log.debug("file job %s: progress not sent to the result backend", file_id)

    return progress


def run_file_job(file_id, work: Work, *, task=None) -> str:
    """Run `work` for the generated file `file_id`; returns "done", "failed", "missing" or the
    status the file already had. Re-raises only Celery's Retry for a transient error."""
    from core.services import generated_file_finish

    gf = GeneratedFile.objects.select_related("owner").filter(pk=file_id).first()
    if gf is None:
        return "missing"
    if gf.status in _FINISHED:
        return gf.status

    from core.exports import exporting

    # PDFs and workbooks the job makes carry its owner's watermark (core.exports)
    with (
        translation.override(_language_of(gf)),
        _links_base(gf),
        exporting(gf.owner, gf.created_at),
    ):
        progress = _report(file_id, task)
        try:
            progress(max(gf.progress, 5))
            content, filename, content_type = work(gf, progress)
            generated_file_finish(
                file_id=file_id,
                content=content,
                filename=filename,
                content_type=content_type,
            )
            return "done"
        except DomainError as exc:
            file_job_fail(file_id=file_id, error=str(exc))
            return "failed"
        except ObjectDoesNotExist:
            log.info("file job %s: its data is gone", file_id, exc_info=True)
            file_job_fail(file_id=file_id, error=_("文件所依据的数据已不存在(可能已被删除)。"))
            return "failed"
        except TRANSIENT_ERRORS as exc:
            if _can_retry(task):
                log.warning("file job %s: transient error, retrying", file_id, exc_info=True)
                _retry_note(file_id)
                raise task.retry(exc=exc) from exc
            log.exception("file job %s failed on a transient error, no retries left", file_id)
            _fail_safely(file_id, _transient_message())
            return "failed"
        except Exception as exc:
            log.exception("file job %s failed", file_id)
            _fail_safely(file_id, _unexpected_message(exc))
            return "failed"


def _retry_note(file_id) -> None:
    with suppress(DatabaseError):  # the database may be the thing that is down
        GeneratedFile.objects.filter(pk=file_id).exclude(status__in=_FINISHED).update(
            error=_("遇到暂时性错误,正在自动重试……"), updated_at=timezone.now()
        )


def _fail_safely(file_id, message) -> None:
    try:
        file_job_fail(file_id=file_id, error=message)
    except DatabaseError:  # cannot even write the failure: the sweep will fail the job later
        log.exception("file job %s: could not record the failure", file_id)


def _links_base(gf: GeneratedFile):
    """Links the job writes (QR codes, URLs) use the address the user asked from."""
    base = (gf.params or {}).get("_base", "")
    if not base:
        return nullcontext()
    from core.links import using_base

    return using_base(base)


def file_jobs_fail_stale(*, now=None) -> int:
    """Fail jobs that stopped reporting: running with no sign of life for stale_after(), or
    still pending after pending_stale_after(). Returns how many were failed."""
    now = now or timezone.now()
    running = GeneratedFile.objects.filter(
        status=GeneratedFile.Status.RUNNING, updated_at__lt=now - stale_after()
    )
    pending = GeneratedFile.objects.filter(
        status=GeneratedFile.Status.PENDING,
        created_at__lt=now - pending_stale_after(),
        updated_at__lt=now - pending_stale_after(),
    )
    count = 0
    with translation.override(settings.LANGUAGE_CODE):
        message_running = _("文件生成中断(后台任务长时间没有响应)。请重新生成。")
        message_pending = _("文件长时间未能开始生成(后台任务队列不可用)。请重新生成。")
    for qs, message in ((running, message_running), (pending, message_pending)):
        ids = list(qs.values_list("pk", flat=True)[:1000])
        if ids:
            # the same conditions again: a job that reported meanwhile is left alone
            count += qs.filter(pk__in=ids).update(
                status=GeneratedFile.Status.FAILED, error=message, updated_at=now
            )
            log.warning("failed stale file jobs: %s", [str(pk) for pk in ids[:20]])
    return count
