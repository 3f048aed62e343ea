"""Stored files leave the server only through views that check access.

Nothing under MEDIA_ROOT is reachable by a URL of its own (config/urls.py routes no /media/):
uploads and exports have guessable names and hold personal data. Each app adds a download view
that first checks the user may see the object the file belongs to and then calls
:func:`serve_file`::

    @login_required
    def reflection_attachment(request, pk):
        reflection = selectors.reflection_get(user=request.user, pk=pk)  # 404 when not allowed
        return serve_file(request, reflection.attachment, filename=f"{reflection}.pdf")

Generated exports are served by :func:`generated_file_download` (the owner, or an admin, and
only while the app that made it still vouches for the user, see core.selectors).
"""

from __future__ import annotations

import mimetypes
import os

from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_safe

# Types a browser may show in the page (inline) without risk of running script in our origin.
INLINE_SAFE_TYPES = {"application/pdf", "image/png", "image/jpeg", "image/gif", "image/webp"}
_FORBIDDEN_IN_NAME = '\\/:*?"<>|\r\n\t\x00'


def safe_filename(name: str, *, default: str = "download") -> str:
    """A file name fit for Content-Disposition and every OS: no path, no reserved or control
    characters, at most 150 characters (the extension kept); Chinese is fine (RFC 5987)."""
    name = os.path.basename(str(name or "").replace("\\", "/"))
    name = "".join("_" if c in _FORBIDDEN_IN_NAME or ord(c) < 32 else c for c in name)
    name = name.strip(" .") or default
    stem, ext = os.path.splitext(name)
    if len(name) > 150:
        name = stem[: 150 - len(ext)] + ext
    return name


def serve_file(
    request, fieldfile, *, filename: str, inline: bool = False, content_type: str | None = None
) -> FileResponse:
    """The stored file as a download (or shown in the browser when `inline` and its type is
    one a browser cannot run script from: PDF and images), with the given (Chinese) name,
    `X-Content-Type-Options: nosniff` and `Cache-Control: private, no-store`.

    The caller has checked access. A missing file is a 404, never a 500."""
    if not fieldfile or not getattr(fieldfile, "name", ""):
        raise Http404
    filename = safe_filename(filename, default=os.path.basename(fieldfile.name) or "download")
    ctype = content_type or mimetypes.guess_type(filename)[0] or "application/octet-stream"
    if inline and ctype not in INLINE_SAFE_TYPES:
        inline = False
    try:
        handle = fieldfile.open("rb")
    except (FileNotFoundError, OSError, ValueError):
        raise Http404 from None
    response = FileResponse(handle, as_attachment=not inline, filename=filename, content_type=ctype)
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    if not inline:
        # Even if a browser ignored the attachment disposition, nothing in it runs.
        response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


def vouches(check, **kwargs) -> bool:
    """True when the access check `check(**kwargs)` (a selector such as program_get) passes,
    False when it refuses with a 404 or 403: the body of an app's files.can_access hook."""
    from django.core.exceptions import PermissionDenied

    try:
        check(**kwargs)
    except (Http404, PermissionDenied):
        return False
    return True


@login_required
@require_safe
def generated_file_download(request, pk):
    """A finished export: its owner (or an admin) while they may still see its data; anyone
    else, or a file not finished, gets a 404."""
    from core import selectors
    from core.models import GeneratedFile
    from core.services import audit_log

    gf = selectors.generated_file_get_for_user(user=request.user, pk=pk)
    if gf.status != GeneratedFile.Status.DONE or not gf.file:
        raise Http404
    if gf.expires_at is not None and gf.expires_at <= timezone.now():
        # the link has expired (issue 17 item 10); the cleanup job deletes the file
        return render(request, "core/file_expired.html", {"file": gf}, status=410)
    audit_log(actor=request.user, action="export.download", target=gf)
    return serve_file(
        request,
        gf.file,
        filename=gf.filename or os.path.basename(gf.file.name),
        content_type=gf.content_type or None,
    )
