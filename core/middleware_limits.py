"""Refuse oversized request bodies before they are read.

`RequestSizeLimitMiddleware` sits at the top of MIDDLEWARE:

* a request whose ``Content-Length`` exceeds ``settings.LECTERN_REQUEST_MAX_BYTES`` is answered
  413 at once; not one byte of its body is read (the worker is not tied up receiving it);
* a request without a length (``Transfer-Encoding: chunked``) is read in chunks up to the
  ceiling into a spooled temporary file (memory up to FILE_UPLOAD_MAX_MEMORY_SIZE, then disk);
  the moment it exceeds the ceiling it is answered 413. Otherwise Django parses the spooled
  body as if it had come with its length (plain WSGI would have dropped it silently).

Django's own limits still apply after this: DATA_UPLOAD_MAX_MEMORY_SIZE for the non-file part
of a form, FILE_UPLOAD_MAX_MEMORY_SIZE before an upload goes to a temporary file, and
core.uploads.check_upload for each file's size and type. The reverse proxy should refuse
earlier still (client_max_body_size, see README "Deployment").
"""

from __future__ import annotations

import io
import tempfile

from django.conf import settings
from django.http import HttpResponse
from django.utils.translation import gettext as _

CHUNK = 64 * 1024


def request_ceiling() -> int:
    """The largest request body accepted: the upload ceiling plus room for the form around it."""
    explicit = getattr(settings, "LECTERN_REQUEST_MAX_BYTES", None)
    if explicit:
        return int(explicit)
    upload = getattr(settings, "LECTERN_UPLOAD_MAX_BYTES", 10 * 1024 * 1024)
    return int(upload) + 1024 * 1024


_PAGE = """{% extends "_error.html" %}{% load i18n %}
{% block title %}{% translate "提交的内容过大" %}{% endblock %}
{% block code %}413{% endblock %}
{% block heading %}{% translate "提交的内容过大" %}{% endblock %}
{% block message %}<p>{{ text }}</p>{% endblock %}"""


def too_large_response(limit: int, request=None) -> HttpResponse:
    """413 in the reader's language (cookie or browser; the session is not read yet)."""
    from django.template import engines
    from django.utils import translation

    mb = max(1, round(limit / (1024 * 1024)))
    language = (
        translation.get_language_from_request(request) if request is not None else None
    ) or settings.LANGUAGE_CODE
    with translation.override(language):
        text = _("提交的内容过大(上限约 %(mb)s MB),未被接收。请缩小文件后重试。") % {"mb": mb}
        try:
            body = engines["django"].from_string(_PAGE).render({"text": text})
            content_type = "text/html; charset=utf-8"
        except Exception:  # a page that cannot render must still refuse the body
            body, content_type = text, "text/plain; charset=utf-8"
    # No "Connection: close" here: WSGI forbids hop-by-hop headers from the application; the
    # server closes a connection whose body was left unread (gunicorn, runserver).
    return HttpResponse(body, status=413, content_type=content_type)


def _is_chunked(meta) -> bool:
    return "chunked" in meta.get("HTTP_TRANSFER_ENCODING", "").lower()


class RequestSizeLimitMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        limit = request_ceiling()
        raw_length = request.META.get("CONTENT_LENGTH") or ""
        if raw_length.strip():
            try:
                length = int(raw_length)
            except ValueError:
                return HttpResponse(
                    _("请求的长度无效。"), status=400, content_type="text/plain; charset=utf-8"
                )
            if length > limit:
                return too_large_response(limit, request)
        elif _is_chunked(request.META) and hasattr(request, "environ"):
            refused = self._spool_chunked(request, limit)
            if refused is not None:
                return refused
            try:
                return self.get_response(request)
            finally:
                spool = getattr(request, "_lectern_spool", None)
                if spool is not None:
                    spool.close()
        return self.get_response(request)

    def _spool_chunked(self, request, limit: int):
        """Read a body of unknown length up to `limit`; 413 as soon as it is longer."""
        from django.core.handlers.wsgi import LimitedStream

        source = request.environ.get("wsgi.input")
        if source is None:
            return None
        spool = tempfile.SpooledTemporaryFile(  # noqa: SIM115 - lives as long as the request
            max_size=getattr(settings, "FILE_UPLOAD_MAX_MEMORY_SIZE", 2_621_440)
        )
        total = 0
        while True:
            chunk = source.read(CHUNK)
            if not chunk:
                break
            total += len(chunk)
            if total > limit:
                spool.close()
                return too_large_response(limit, request)
            spool.write(chunk)
        spool.seek(0)
        request.META["CONTENT_LENGTH"] = str(total)
        request.environ["CONTENT_LENGTH"] = str(total)
        request._stream = LimitedStream(spool if total else io.BytesIO(b""), total)
        request._lectern_spool = spool  # closed once the response is made
        request._read_started = False
        return None
