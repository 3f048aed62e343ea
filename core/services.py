"""Cross-app writes: the audit trail, notifications and generated files.

Over 500 lines: three workflows share this module (and its services/tasks cycle with core.tasks,
core.jobs and core.retention, see tests/test_layering.py); splitting it into a package by workflow
is the next step of the redesign."""

import contextvars
import logging
import threading
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import connection, connections, transaction
from django.utils import timezone, translation
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _lazy

from core import audit
from core.errors import DomainError
from core.links import absolute_url, current_base, current_page, local_path, serving_request
from core.models import AuditLog, GeneratedFile, Notification, render_message
from core.queue import enqueue, enqueue_on_commit

log = logging.getLogger(__name__)


def audit_log(
    *,
    actor,
    action: str,
    target,
    before=None,
    after=None,
    reason: str = "",
    result: str = "success",
    request=None,
) -> AuditLog:
    """Append one entry to the audit trail. `target` is any model instance.

    The record also carries the actor's roles, the client address and user agent (of `request`,
    else the request being served) and `result` ("success" or "refused"); it is hash-chained
    (core.audit). A refused action is recorded outside the transaction the refusal rolls back."""
    return audit.write(
        [
            audit.build(
                actor=actor,
                action=action,
                target=target,
                before=before,
                after=after,
                reason=reason,
                result=result,
                request=request,
            )
        ]
    )[0]


def audit_log_target(
    *,
    action: str,
    target_type: str,
    target_id: str,
    actor=None,
    before=None,
    after=None,
    reason: str = "",
    result: str = "success",
) -> AuditLog:
    """An audit entry about something that is not one model row (a policy, a job, a batch)."""
    return audit.write(
        [
            audit.build(
                actor=actor,
                action=action,
                target_type=target_type,
                target_id=target_id,
                before=before,
                after=after,
                reason=reason,
                result=result,
            )
        ]
    )[0]


@dataclass(frozen=True)
class AuditEntry:
    """One entry for audit_log_many: the same fields audit_log takes."""

    actor: object
    action: str
    target: object
    before: object = None
    after: object = None
    reason: str = ""
    result: str = "success"


def audit_log_many(entries) -> list[AuditLog]:
    """Many audit entries (AuditEntry) in one INSERT, each exactly as audit_log writes it."""
    return audit.write(
        [
            audit.build(
                actor=e.actor,
                action=e.action,
                target=e.target,
                before=e.before,
                after=e.after,
                reason=e.reason,
                result=e.result,
            )
            for e in entries
        ]
    )


def audit_trail_for(target):
    """The audit entries of one object, newest first, with their actors."""
    return AuditLog.objects.filter(
        target_type=target._meta.label_lower, target_id=str(target.pk)
    ).select_related("actor")


def _message(text, params: dict | None) -> tuple[str, str]:
    """(msgid, text rendered in the default language) of a notice's title or body.

    A lazy translation (gettext_lazy) keeps its msgid so each reader sees it in their own
    language; a plain str (or an already formatted one) is stored as it is, with no msgid."""
    if not isinstance(text, Promise):
        return "", str(text or "")
    with translation.override(None):
        msgid = str(text)
    with translation.override(settings.LANGUAGE_CODE):
        rendered = render_message(msgid, params or {}, fallback=msgid)
    return msgid, rendered


def _params(params: dict | None) -> dict:
    """Values as JSON: a lazy translation becomes {"msgid": …}, rendered per reader."""
    out = {}
    for key, value in (params or {}).items():
        if isinstance(value, Promise):
            with translation.override(None):
                out[key] = {"msgid": str(value)}
        elif value is None or isinstance(value, (int, float, bool)):
            out[key] = value
        else:
            out[key] = str(value)
    return out


def _notice_fields(*, title, body, url, kind, params) -> dict:
    params = _params(params)
    title_msgid, title_text = _message(title, params)
    body_msgid, body_text = _message(body, params)
    return {
        "kind": kind,
        "title": title_text[:200],
        "body": body_text,
        "url": url or "",
        "title_msgid": title_msgid,
        "body_msgid": body_msgid,
        "params": params if (title_msgid or body_msgid) else {},
        "site_base": current_base(),
    }


def notify(
    *, user, title, body="", url: str = "", kind: str = "general", params: dict | None = None
) -> Notification:
    """Put a message in the user's inbox; the e-mail copy is sent by a task after commit.

    Pass `title`/`body` as gettext_lazy("……%(name)s……") with the values in `params` (plain
    str/int, or lazy translations) so every reader sees the message in their own language; a
    plain str is stored and shown as it is."""
    fields = _notice_fields(title=title, body=body, url=url, kind=kind, params=params)
    note = Notification.objects.create(user=user, **fields)
    if user.email and user.email_notifications:
        from core.tasks import notification_email_send

        enqueue_on_commit(notification_email_send, note.pk)
    return note


def notify_many(
    *,
    users,
    title,
    body="",
    url: str = "",
    kind: str = "general",
    params: dict | None = None,
    emails_to: list | None = None,
) -> int:
    """Notify many users with one INSERT; after commit the e-mails are queued a chunk at a time:
    one broker message per EMAIL_CHUNK recipients (celery's starmap of the one-notification
    task), not one per recipient, so 300k reminders queue in seconds. Each e-mail is still sent
    at most once (notification_email_send claims the row's emailed_at); what a broker outage or
    a failing mail server leaves unsent, the sweep (notification_email_sweep) sends later.

    `emails_to`: a list to append the ids of the notices to e-mail to instead of queuing them;
    a caller notifying many groups in one transaction (core.reminders) queues them all at once
    with notification_emails_queue on commit."""
    users = list(users)
    fields = _notice_fields(title=title, body=body, url=url, kind=kind, params=params)
    if connection.vendor == "postgresql" and len(users) >= NOTIFY_UNNEST_FROM:
        pks = _notifications_insert(users, fields)
    else:
        notes = Notification.objects.bulk_create(
            [Notification(user=u, **fields) for u in users], batch_size=5000
        )
        pks = [n.pk for n in notes]
    emailed = [pk for pk, u in zip(pks, users, strict=True) if u.email and u.email_notifications]
    if emails_to is not None:
        emails_to.extend(emailed)
    elif emailed:
        transaction.on_commit(lambda: notification_emails_queue(emailed))
    return len(pks)


# From this many recipients on, PostgreSQL inserts the notices with one statement over an array
# of user ids (the rest of the row is the same for everyone) instead of building and binding a
# model instance per row: reminders to a whole province (issue 18 item 4).
NOTIFY_UNNEST_FROM = 50


def _notifications_insert(users, fields) -> list[int]:
    """INSERT … SELECT … FROM unnest(user ids) RETURNING id, in the order of `users`."""
    now = timezone.now()
    columns = ["created_at", "updated_at", *fields]
    values = [now, now]
    for name, value in fields.items():
        values.append(Notification._meta.get_field(name).get_db_prep_save(value, connection))
    table = Notification._meta.db_table
    sql = (
        f"INSERT INTO {table} (user_id, {', '.join(columns)}) "
        f"SELECT t.u, {', '.join(['%s'] * len(values))} "
        "FROM unnest(%s::bigint[]) WITH ORDINALITY AS t(u, n) ORDER BY t.n RETURNING id, user_id"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*values, [u.pk for u in users]])
        rows = sorted(cursor.fetchall())
    by_user: dict[int, list[int]] = {}
    for pk, uid in rows:
        by_user.setdefault(uid, []).append(pk)
    return [by_user[u.pk].pop(0) for u in users]


EMAIL_CHUNK = 500


def notification_emails_queue(ids: list[int]) -> int:
    """Queue the e-mails of these notifications, one message per EMAIL_CHUNK of them; returns
    how many messages the broker took (it stops at the first refusal: the sweep sends the rest)."""
    from core.tasks import notification_email_send

    queued = 0
    for start in range(0, len(ids), EMAIL_CHUNK):
        chunk = notification_email_send.starmap([(pk,) for pk in ids[start : start + EMAIL_CHUNK]])
        if not enqueue(chunk):
            break  # broker down: the sweep sends what is left
        queued += 1
    return queued


def notification_email_text(note: Notification) -> tuple[str, str]:
    """Subject and text of a notice's e-mail, in the recipient's language, with an absolute
    link (SITE_URL, else the address the notice was created from)."""
    with translation.override(note.user.preferred_language):
        link = absolute_url(note.url, base=note.site_base) if note.url else ""
        subject = f"[{translation.gettext('讲台')}] {note.display_title}"
        message = "\n\n".join(p for p in (note.display_body, link) if p)
    return subject, message


def notification_mark_read(*, user, notification_id: int | None = None) -> int:
    """Mark one notification (or all, when no id is given) of this user as read."""
    qs = Notification.objects.filter(user=user, read_at__isnull=True)
    if notification_id is not None:
        qs = qs.filter(pk=notification_id)
    return qs.update(read_at=timezone.now())


def generated_file_create(
    *, owner, kind: str, title: str, params: dict, status=GeneratedFile.Status.PENDING
) -> GeneratedFile:
    return GeneratedFile.objects.create(
        owner=owner, kind=kind, title=title, params=params, status=status
    )


QUEUE_WAITING = _lazy(
    "后台任务队列暂时不可用(无法连接消息服务)。文件已排队,服务恢复后将自动开始生成,无需重新提交。"
)
REQUEUE_AFTER_SECONDS = 30


EXPORT_REASON_NEEDED = _lazy("导出 %(rows)s 条个人信息(超过 %(limit)s 条)须填写导出原因。")


def export_reason_rows() -> int:
    """Exports of personal data with more rows than this need a reason (issue 17 item 10)."""
    return int(getattr(settings, "LECTERN_EXPORT_REASON_ROWS", 500))


def export_link_hours() -> int:
    """How long a finished export can be downloaded; afterwards the cleanup job deletes it."""
    return int(getattr(settings, "LECTERN_EXPORT_LINK_HOURS", 24))


def export_needs_reason(*, rows: int | None, personal: bool) -> bool:
    """A personal-data export of more than LECTERN_EXPORT_REASON_ROWS rows needs a reason (and,
    with LECTERN_EXPORT_SECOND_APPROVER, a second approver)."""
    return bool(personal) and rows is not None and rows > export_reason_rows()


def export_check(*, rows: int | None, personal: bool, reason: str) -> None:
    """Refuse a large export of personal data without a reason (a DomainError for the form;
    core.exports.start_export turns it into a page asking for the reason)."""
    if export_needs_reason(rows=rows, personal=personal) and not (reason or "").strip():
        raise DomainError(
            EXPORT_REASON_NEEDED % {"rows": rows, "limit": export_reason_rows()}, field="reason"
        )


def export_record(
    *,
    actor,
    kind: str,
    title: str,
    rows: int | None = None,
    personal: bool = False,
    scope: str = "",
    reason: str = "",
    params: dict | None = None,
) -> AuditLog:
    """For an export served at once (not through a file job, e.g. a streamed CSV): refuse it
    without a reason when it needs one (export_check), else record it as `export.create` with
    who, what, scope and row count, exactly as generated_file_start does. Call before serving."""
    export_check(rows=rows, personal=personal, reason=reason)
    return audit_log_target(
        actor=actor,
        action="export.create",
        target_type="export",
        target_id=kind,
        after={
            "kind": kind,
            "title": str(title),
            "scope": str(scope or ""),
            "rows": rows,
            "personal": bool(personal),
            "params": dict(params or {}),
        },
        reason=reason,
    )


def generated_file_start(
    *,
    owner,
    kind: str,
    title: str,
    params: dict,
    task,
    args=(),
    return_url: str = "",
    reason: str = "",
    rows: int | None = None,
    personal: bool = False,
    scope: str = "",
):
    """Record a file to be made by `task(file_id, *args)` and queue the job after commit.

    If the broker is down the row stays pending with a message saying so, and
    generated_files_requeue (a beat job, so it runs once the broker is back) sends it again.
    The task name and arguments are kept on the row for that, with the address the user asked
    from (links the job writes point there) and the page to go back to from the file's page
    (`return_url`, else the page the request came from).

    Export control (issue 17 item 10): every file is audited as `export.create` with who, what
    (kind, title), `scope` (e.g. the program or unit it covers), `rows` and `personal` (whether
    it holds personal data); a personal-data export of more than LECTERN_EXPORT_REASON_ROWS rows
    needs a `reason`, else DomainError (field "reason"; core.exports.start_export asks for it
    in the page). With LECTERN_EXPORT_SECOND_APPROVER such an export waits (status "awaiting",
    not queued) until an approver of the organization department other than the owner decides
    (generated_file_approve / generated_file_refuse, both audited); the approvers are notified."""
    from core.exports import second_approver_required

    export_check(rows=rows, personal=personal, reason=reason)
    approval = second_approver_required() and export_needs_reason(rows=rows, personal=personal)
    export = {"rows": rows, "personal": bool(personal), "scope": str(scope or ""), "reason": reason}
    gf = generated_file_create(
        owner=owner,
        kind=kind,
        title=title,
        params={
            **params,
            "_task": task.name,
            "_task_args": list(args),
            "_base": current_base(),
            "_return": local_path(return_url) or current_page(),
            "_export": export,
        },
        status=GeneratedFile.Status.AWAITING if approval else GeneratedFile.Status.PENDING,
    )
    audit_log(
        actor=owner,
        action="export.create",
        target=gf,
        after={
            "kind": kind,
            "title": str(title),
            "scope": str(scope or ""),
            "rows": rows,
            "personal": bool(personal),
            "params": {k: v for k, v in params.items() if not str(k).startswith("_")},
            **({"approval": "required"} if approval else {}),
        },
        reason=reason,
    )
    if approval:
        _ask_approvers(gf)
    else:
        transaction.on_commit(lambda: generated_file_enqueue(file_id=gf.pk))
    return gf


EXPORT_APPROVAL_TITLE = _lazy("导出审批:%(title)s")
EXPORT_APPROVAL_BODY = _lazy("%(owner)s 申请导出 %(rows)s 条个人信息,原因:%(reason)s")
EXPORT_APPROVED_TITLE = _lazy("导出已获批准:%(title)s")
EXPORT_REFUSED_TITLE = _lazy("导出未获批准:%(title)s")
EXPORT_DECIDED = _lazy("该导出申请已经处理过了。")
EXPORT_REFUSED_ERROR = _lazy("导出申请未获批准(%(by)s):%(reason)s")
EXPORT_REFUSAL_REASON_NEEDED = _lazy("请填写不批准的原因。")


def _ask_approvers(gf: GeneratedFile) -> None:
    from django.urls import reverse

    from core.registry import export_approvers

    approvers = [u for u in export_approvers() if u.pk != gf.owner_id]
    export = gf.params.get("_export", {})
    notify_many(
        users=approvers,
        title=EXPORT_APPROVAL_TITLE,
        body=EXPORT_APPROVAL_BODY,
        url=reverse("generated_file_approvals"),
        kind="export.approval",
        params={
            "title": gf.title,
            "owner": getattr(gf.owner, "full_name", "") or gf.owner.get_username(),
            "rows": export.get("rows"),
            "reason": export.get("reason", ""),
        },
    )


def _awaiting_for_decision(*, file_id, by) -> GeneratedFile:
    from core.errors import self_decision_guard

    gf = GeneratedFile.objects.select_for_update().select_related("owner").get(pk=file_id)
    if gf.status != GeneratedFile.Status.AWAITING:
        raise DomainError(EXPORT_DECIDED)
    self_decision_guard(subject=gf.owner, by=by)
    return gf


@transaction.atomic
def generated_file_approve(*, file_id, by) -> GeneratedFile:
    """The second approver lets a waiting export run (audited `export.approve`); the caller
    has checked that `by` is an approver (core.registry.user_is_admin)."""
    from django.urls import reverse

    gf = _awaiting_for_decision(file_id=file_id, by=by)
    gf.status, gf.decided_by, gf.decided_at = GeneratedFile.Status.PENDING, by, timezone.now()
    gf.save(update_fields=["status", "decided_by", "decided_at", "updated_at"])
    audit_log(actor=by, action="export.approve", target=gf, after={"owner": gf.owner_id})
    notify(
        user=gf.owner,
        title=EXPORT_APPROVED_TITLE,
        url=reverse("generated_file", args=[gf.pk]),
        kind="export.approval",
        params={"title": gf.title},
    )
    transaction.on_commit(lambda: generated_file_enqueue(file_id=gf.pk))
    return gf


@transaction.atomic
def generated_file_refuse(*, file_id, by, reason: str) -> GeneratedFile:
    """The second approver refuses a waiting export (audited `export.refuse` with the reason);
    the file is never made."""
    from django.urls import reverse

    reason = " ".join((reason or "").split())[:500]
    if not reason:
        raise DomainError(EXPORT_REFUSAL_REASON_NEEDED, field="reason")
    gf = _awaiting_for_decision(file_id=file_id, by=by)
    gf.status, gf.decided_by, gf.decided_at = GeneratedFile.Status.FAILED, by, timezone.now()
    gf.error = str(
        EXPORT_REFUSED_ERROR % {"by": getattr(by, "full_name", "") or by, "reason": reason}
    )
    gf.save(update_fields=["status", "decided_by", "decided_at", "error", "updated_at"])
    audit_log(
        actor=by, action="export.refuse", target=gf, after={"owner": gf.owner_id}, reason=reason
    )
    notify(
        user=gf.owner,
        title=EXPORT_REFUSED_TITLE,
        body=reason,
        url=reverse("generated_file", args=[gf.pk]),
        kind="export.approval",
        params={"title": gf.title},
    )
    return gf


def generated_file_enqueue(*, file_id) -> bool:
    from celery import current_app

    gf = GeneratedFile.objects.filter(pk=file_id, status=GeneratedFile.Status.PENDING).first()
    if gf is None or "_task" not in gf.params:
        return False
    task = current_app.tasks[gf.params["_task"]]
    args = (str(gf.pk), *gf.params.get("_task_args", []))
    if jobs_run_after_response():
        GeneratedFile.objects.filter(pk=gf.pk, task_id="").update(task_id="in-process", error="")
        _run_in_background(task, args)
        return True
    result = enqueue(task, *args)
    if result is None:
        GeneratedFile.objects.filter(pk=gf.pk).update(error=str(QUEUE_WAITING))
        return False
    GeneratedFile.objects.filter(pk=gf.pk, task_id="").update(task_id=result.id or "-", error="")
    return True


def jobs_run_after_response() -> bool:
    """In development without Redis, Celery runs tasks in-process ("eager"): a file job would
    hold the request that started it for seconds before its page appears. There the job runs
    in a thread instead, and the page shows its progress like it does with a real worker.
    Tests (and any deployment with a worker) keep running jobs the ordinary way, and so does a
    command (no request), which would end before a thread finished."""
    from celery import current_app

    return (
        settings.LECTERN_ENV == "development"
        and bool(current_app.conf.task_always_eager)
        and serving_request()
    )


def _run_in_background(task, args) -> threading.Thread:
    context = contextvars.copy_context()  # the request's language and address go along

    def run():
        try:
            context.run(task.apply, args=args, throw=False)
        except Exception:  # run_file_job records failures; this is a last resort for the log
            log.exception("in-process job %s failed", task.name)
        finally:
            connections.close_all()

    thread = threading.Thread(target=run, name=f"lectern-job-{args[0]}", daemon=True)
    thread.start()
    return thread


def generated_files_requeue(*, now=None) -> int:
    """Send again the jobs of pending files that never reached the broker. Jobs are idempotent
    (generated_file_finish stores once), so a job sent twice still yields one file."""
    now = now or timezone.now()
    stalled = GeneratedFile.objects.filter(
        status=GeneratedFile.Status.PENDING,
        task_id="",
        params__has_key="_task",
        created_at__lt=now - timedelta(seconds=REQUEUE_AFTER_SECONDS),
    ).values_list("pk", flat=True)[:500]
    return sum(1 for pk in list(stalled) if generated_file_enqueue(file_id=pk))


def generated_file_progress(*, file_id, progress: int) -> None:
    GeneratedFile.objects.filter(pk=file_id).update(
        status=GeneratedFile.Status.RUNNING, progress=max(0, min(100, progress))
    )


def generated_file_finish(*, file_id, content: bytes, filename: str, content_type: str) -> None:
    """Store the output once. A retried task that finds the file already done writes nothing."""
    with transaction.atomic():
        gf = GeneratedFile.objects.select_for_update().get(pk=file_id)
        if gf.status == GeneratedFile.Status.DONE:
            return
        gf.file.save(filename, ContentFile(content), save=False)
        gf.filename = filename
        gf.content_type = content_type
        gf.status = GeneratedFile.Status.DONE
        gf.progress = 100
        gf.error = ""
        gf.expires_at = timezone.now() + timedelta(hours=export_link_hours())
        gf.save(
            update_fields=[
                "file",
                "filename",
                "content_type",
                "status",
                "progress",
                "error",
                "expires_at",
                "updated_at",
            ]
        )


def generated_file_fail(*, file_id, error: str) -> None:
    GeneratedFile.objects.filter(pk=file_id).update(status=GeneratedFile.Status.FAILED, error=error)


def generated_files_cleanup(*, now=None) -> int:
    """Delete generated files past their retention date, file and row. Returns how many."""
    now = now or timezone.now()
    count = 0
    for gf in GeneratedFile.objects.filter(expires_at__lt=now):
        if gf.file:
            gf.file.delete(save=False)
        gf.delete()
        count += 1
    return count
