"""Scanning from a phone: the scan link, the scan kept over a login, the bench's bare view."""

import secrets
import time
from datetime import UTC, datetime

from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.core import signing
from django.http import HttpResponse
from django.middleware.csrf import get_token
from django.templatetags.static import static
from django.urls import get_script_prefix, reverse
from django.utils import timezone
from django.utils.translation import gettext_noop
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from attendance import scan_page, services, tokens
from attendance.models import AttendanceRecord

DEVICE_COOKIE = "lectern_device"
DEVICE_SALT = "lectern.attendance.device"
DEVICE_MAX_AGE = 2 * 365 * 24 * 3600


def _device(request) -> tuple[str, bool]:
    """The long-lived signed device id of this browser, and whether it is new."""
    try:
        return request.get_signed_cookie(DEVICE_COOKIE, salt=DEVICE_SALT), False
    except (KeyError, signing.BadSignature):
        return secrets.token_urlsafe(18), True  # 24 characters, from os.urandom


def _client(request, device) -> services.Client:
    """The client a scan came from, for the proxy signals. REMOTE_ADDR is the client's address
    behind LECTERN_PROXY_COUNT reverse proxies (core.clientip, set by core's middleware)."""
    return services.Client(
        addr=request.META.get("REMOTE_ADDR") or None,
        agent=request.META.get("HTTP_USER_AGENT", "")[:255],
        fresh=device[1],
    )


# The result page is the check-in hot path: its URLs are computed once per process (and script
# prefix) instead of by reverse()/static() on every scan, and the page is written out by
# attendance.scan_page rather than the template engine (see there).
_RECORD_SENTINEL = 4294967291
_page_urls_cache: dict[str, dict[str, str]] = {}


def _page_urls() -> dict[str, str]:
    prefix = get_script_prefix()
    urls = _page_urls_cache.get(prefix)
    if urls is None:
        urls = {
            "index": reverse("attendance:index"),
            "record": reverse("attendance:record", args=[_RECORD_SENTINEL]),
            "favicon": static("favicon.svg"),
            "lectern_css": static("css/lectern.css"),
            "attendance_css": static("css/attendance.css"),
            "attendance_js": static("js/attendance.js"),
        }
        _page_urls_cache[prefix] = urls
    return urls


def _scan_response(request, result, device=None):
    urls = _page_urls()
    record_url = (
        urls["record"].replace(str(_RECORD_SENTINEL), str(result.record_id))
        if result.record_id
        else ""
    )
    response = HttpResponse(scan_page.render(result, urls=urls, record_url=record_url))
    if device and device[1]:
        response.set_signed_cookie(
            DEVICE_COOKIE,
            device[0],
            salt=DEVICE_SALT,
            max_age=DEVICE_MAX_AGE,
            httponly=True,
            samesite="Lax",
            secure=request.is_secure(),
        )
    return response


# The GET of a scan link only shows a form that POSTs it back (same address, CSRF token), so a
# cross-site link or image cannot check anyone in; static/js/attendance.js submits the form at
# once. The form carries a signed stamp of when the page was opened ("seen"): the scan is judged
# and timed as of that moment, so a phone without JavaScript whose trainee taps the button a
# little later is not refused for a code that was fresh when it was scanned.
SEEN_SALT = "lectern.attendance.seen"
# Shown by templates/registration/login.html when the login continues a scan (translated here,
# with the rest of the scan's words).
SCAN_LOGIN_NOTE = gettext_noop("您刚扫描了签到二维码:登录后将自动完成签到,签到时间按扫码时间记。")
SEEN_MAX_SECONDS = 120


def _seen_stamp(user, now: float) -> str:
    return signing.Signer(salt=SEEN_SALT).sign(f"{user.pk}.{int(now)}")


def _seen_at(request) -> float | None:
    """When this user opened the scan page (from the form's signed stamp), if recent."""
    try:
        uid, at = signing.Signer(salt=SEEN_SALT).unsign(request.POST.get("seen", "")).split(".")
        at = float(at)
    except (signing.BadSignature, ValueError):
        return None
    if int(uid) != request.user.pk or not 0 <= time.time() - at <= SEEN_MAX_SECONDS:
        return None
    return at


def _confirm_response(request, purpose: str, seen: str = ""):
    return HttpResponse(
        scan_page.render_confirm(
            purpose=purpose, urls=_page_urls(), csrf_token=get_token(request), seen=seen
        )
    )


@never_cache
@require_http_methods(["GET", "POST"])
def scan(request, token):
    """What a phone opens from the QR. GET: when logged out, keep the verified scan in this
    browser's session and come back after the login (scan_resume); when logged in, the page
    that POSTs the scan. POST (same-site, CSRF-checked): check in (or out)."""
    posted = request.method == "POST"
    seen = _seen_at(request) if posted and request.user.is_authenticated else None
    try:
        scan = tokens.read(token, now=seen)
    except tokens.TokenExpired as exc:
        result = services.ScanResult(outcome=services.Outcome.EXPIRED, purpose=exc.scan.purpose)
        if request.user.is_authenticated:  # e.g. a reload of the result page later on
            result.record_id = (
                AttendanceRecord.objects.filter(session_id=exc.scan.session_id, user=request.user)
                .values_list("pk", flat=True)
                .first()
            )
        return _scan_response(request, result)
    except tokens.TokenError:
        return _scan_response(request, services.ScanResult(outcome=services.Outcome.FORGED))
    now = timezone.now()
    if not request.user.is_authenticated:
        services.pending_scan_store(session_store=request.session, scan=scan, at=now)
        return redirect_to_login(reverse("attendance:scan_resume"))
    if not posted:
        return _confirm_response(request, scan.purpose, _seen_stamp(request.user, time.time()))
    at = now if seen is None else datetime.fromtimestamp(seen, tz=UTC)
    device = _device(request)
    result = services.scan_apply(
        user=request.user, scan=scan, at=at, device_id=device[0], client=_client(request, device)
    )
    return _scan_response(request, result, device)


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def scan_resume(request):
    """After the login: GET shows the page that POSTs back here; the POST applies the stored
    scan once, at the time it was scanned."""
    if request.method == "GET":
        pending = services.pending_scan_peek(session_store=request.session, now=timezone.now())
        if pending is None:
            return _scan_response(request, services.ScanResult(outcome=services.Outcome.EXPIRED))
        return _confirm_response(request, pending[0].purpose)
    taken = services.pending_scan_take(session_store=request.session, now=timezone.now())
    if taken is None:
        return _scan_response(request, services.ScanResult(outcome=services.Outcome.EXPIRED))
    scan, at = taken
    device = _device(request)
    result = services.scan_apply(
        user=request.user, scan=scan, at=at, device_id=device[0], client=_client(request, device)
    )
    return _scan_response(request, result, device)


@login_required
def ping(request):
    """The bare view the check-in benchmark compares against: same middleware, session auth."""
    return HttpResponse(f"ok {request.user.pk}", content_type="text/plain")
