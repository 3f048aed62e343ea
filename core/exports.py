"""Export control in the pages (issue 17 item 10): the exporter's watermark, the reason asked
in the page, and the second approver.

**Watermark.** Every PDF made by core.pdf and every workbook made by core.tabular carries who
exported it and when, without the caller passing anything: inside a file job (core.jobs sets
:func:`exporting` to the file's owner and the time it was asked for), else the signed-in user of
the request being served. Outside both (a command, a benchmark) there is no mark.

**Reason.** core.services.export_check refuses a personal-data export above
LECTERN_EXPORT_REASON_ROWS rows without a reason, before anything is written. An export view
wraps its start in :func:`start_export`; when the reason is missing the user gets a page that
asks for it and sends the same request again with it (every field kept), so no half-written job
is left behind::

    @require_POST
    def export_pdf(request, program):
        return start_export(
            request,
            lambda reason: generated_file_start(..., rows=n, personal=True, scope=program.code,
                                                reason=reason),
            back_url=reverse("enrollment:roster", args=[program.pk]),
        )

An export form may also show the field from the start:
``{% include "core/partials/export_reason_field.html" %}``.

**Second approver** (LECTERN_EXPORT_SECOND_APPROVER, off by default): an export that needs a
reason also waits for an approver of the organization department (the business administrator)
other than the exporter; core.services.generated_file_approve / _refuse decide, audited.
"""

from __future__ import annotations

from contextlib import contextmanager
from contextvars import ContextVar

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext

REASON_FIELD = "export_reason"
REASON_MAX = 500

_exporter: ContextVar[tuple | None] = ContextVar("lectern_exporter", default=None)


def watermark_for(user, when=None) -> str:
    """The export watermark: who exported and when, e.g. "导出:张三(zhangsan) 2026-12-02 14:05"."""
    when = timezone.localtime(when or timezone.now())
    name = getattr(user, "full_name", "") or ""
    login = user.get_username() if getattr(user, "is_authenticated", False) else ""
    who = f"{name}({login})" if name and login else (name or login or "-")
    return gettext("导出:%(who)s %(time)s") % {"who": who, "time": when.strftime("%Y-%m-%d %H:%M")}


@contextmanager
def exporting(user, when=None):
    """Files made inside carry `user`'s watermark (time `when`, default now)."""
    token = _exporter.set((user, when or timezone.now()) if user is not None else None)
    try:
        yield
    finally:
        _exporter.reset(token)


def current_watermark() -> str:
    """The watermark for a file made now: the job's owner, else the request's user, else ""."""
    found = _exporter.get()
    if found is not None:
        return watermark_for(*found)
    from core.links import current_request

    user = getattr(current_request(), "user", None)
    if user is not None and getattr(user, "is_authenticated", False):
        return watermark_for(user)
    return ""


def second_approver_required() -> bool:
    return bool(getattr(settings, "LECTERN_EXPORT_SECOND_APPROVER", False))


# --- the reason, asked in the page ----------------------------------------------------------


def reason_of(request) -> str:
    """The export reason the user gave (POST or, for a GET export, the query), trimmed."""
    data = request.POST if request.method == "POST" else request.GET
    return " ".join((data.get(REASON_FIELD) or "").split())[:REASON_MAX]


def ask_reason(request, exc, *, back_url: str = ""):
    """The page that asks for the reason and repeats the request with it, every field kept."""
    from django.shortcuts import render

    data = request.POST if request.method == "POST" else request.GET
    hidden = [
        (key, value)
        for key, values in data.lists()
        if key not in ("csrfmiddlewaretoken", REASON_FIELD)
        for value in values
    ]
    context = {
        "message": exc.message,
        "hidden": hidden,
        "method": "post" if request.method == "POST" else "get",
        "action": request.get_full_path() if request.method == "POST" else request.path,
        "back_url": back_url,
        "reason": reason_of(request),
        "reason_field": REASON_FIELD,
        "approval": second_approver_required(),
    }
    return render(request, "core/export_reason.html", context)


def start_export(request, start, *, back_url: str):
    """Run `start(reason)` for an export view: a GeneratedFile goes to its page, an
    HttpResponse (a file served at once) is returned; a missing reason asks for it
    (ask_reason), any other DomainError is shown as a message on `back_url`."""
    from django.contrib import messages
    from django.http import HttpResponseBase
    from django.shortcuts import redirect

    from core.errors import DomainError

    try:
        result = start(reason_of(request))
    except DomainError as exc:
        if exc.field == "reason":
            return ask_reason(request, exc, back_url=back_url)
        messages.error(request, exc.message)
        return redirect(back_url)
    if isinstance(result, HttpResponseBase):
        return result
    return redirect("generated_file", result.pk)
