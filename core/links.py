"""Absolute links that work where the user is.

`SITE_URL` wins when a deployment sets it. Otherwise a link is built on the scheme and host of
the request the user is using: the middleware remembers that base for the duration of each
request (a context variable), notifications and file jobs store the base they were created
with, and a job re-enters it with `using_base` so the links it writes point to the same place.
"""

from contextlib import contextmanager
from contextvars import ContextVar
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import DisallowedHost

FALLBACK_BASE = "http://localhost:8000"

_current_base: ContextVar[str] = ContextVar("lectern_current_base", default="")
_current_page: ContextVar[str] = ContextVar("lectern_current_page", default="")
# the request being served (core.audit reads its client address, user agent and user)
_current_request: ContextVar[object] = ContextVar("lectern_current_request", default=None)


def request_base(request) -> str:
    """ "scheme://host[:port]" of a request ("" when its Host header is not allowed)."""
    try:
        return f"{request.scheme}://{request.get_host()}"
    except DisallowedHost:
        return ""


def current_base() -> str:
    """The base a link made now should use: SITE_URL, else the current request's (or job's)."""
    return settings.SITE_URL.rstrip("/") or _current_base.get()


@contextmanager
def using_base(base: str):
    """Build links on `base` inside this block (a job re-entering the base it was queued with)."""
    token = _current_base.set((base or "").rstrip("/"))
    try:
        yield
    finally:
        _current_base.reset(token)


def page_of(request) -> str:
    """The local path (with query) of the page the user acted from: htmx's HX-Current-URL, else
    the Referer, when it is this site; "" otherwise. A way back for pages reached from it."""
    from django.utils.http import url_has_allowed_host_and_scheme

    url = request.headers.get("HX-Current-URL") or request.headers.get("Referer") or ""
    try:
        host = request.get_host()
    except DisallowedHost:
        return ""
    if not url or not url_has_allowed_host_and_scheme(
        url, allowed_hosts={host}, require_https=request.is_secure()
    ):
        return ""
    parts = urlsplit(url)
    return local_path(parts.path + (f"?{parts.query}" if parts.query else ""))


def local_path(url: str) -> str:
    """`url` if it is a path on this site ("/…", not "//host"), else ""."""
    if not url or not url.startswith("/") or url.startswith("//") or "\\" in url:
        return ""
    return url


def serving_request() -> bool:
    """Whether a web request is being served now (the middleware remembered its address)."""
    return bool(_current_base.get())


def current_page() -> str:
    """The page the current request was made from ("" outside a request or from elsewhere)."""
    return _current_page.get()


@contextmanager
def remembering_request(request):
    token = _current_page.set(page_of(request))
    request_token = _current_request.set(request)
    try:
        with using_base(request_base(request)):
            yield
    finally:
        _current_request.reset(request_token)
        _current_page.reset(token)


def current_request():
    """The request being served now (None in a job or command)."""
    return _current_request.get()


def absolute_url(path: str, request=None, *, base: str = "") -> str:
    """An absolute URL for `path` ("/certificates/…"): SITE_URL when set, else the given
    request's scheme and host, else `base` (stored with a job or notification), else the
    request being served now. A URL that is already absolute is returned as it is."""
    if path.startswith(("http://", "https://")):
        return path
    root = (
        settings.SITE_URL.rstrip("/")
        or (request_base(request) if request is not None else "")
        or (base or "").rstrip("/")
        or _current_base.get()
        or FALLBACK_BASE
    )
    if not path.startswith("/"):
        path = "/" + path
    return root + path
