import contextlib
import functools
import hashlib
import secrets
import time
from datetime import UTC, datetime

import segno
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.core import signing
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse, HttpResponseNotModified
from django.middleware.csrf import get_token
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.templatetags.static import static
from django.urls import get_script_prefix, reverse
from django.utils import timezone
from django.utils.cache import add_never_cache_headers, patch_vary_headers
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, gettext_noop
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from attendance import scan_page, selectors, services, tokens
from attendance.models import AttendanceRecord, AttendanceStatus, LeaveRequest
from attendance.rules import Policy
from core.errors import DomainError
from core.files import serve_file
from core.services import audit_trail_for
from enrollment.models import Enrollment
from programs.access import (
    Access,
    can_manage_program,
    program_get,
    session_can_mark,
    session_get,
    session_venues_managed,
)

DEVICE_COOKIE = "lectern_device"
DEVICE_SALT = "lectern.attendance.device"
DEVICE_MAX_AGE = 2 * 365 * 24 * 3600
SCREEN_POLL_SECONDS = 5
BOARD_POLL_SECONDS = 5
POLL_CACHE_SECONDS = 120  # a built board/screen fragment, shared by the screens polling it
BOARD_MISSING_NAMES = 30  # names of missing trainees a board venue shows (all: the session page)


# --- Scanning (phones) ----------------------------------------------------------------------
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


# --- Projector screens and boards -----------------------------------------------------------
def _session_venue(user, pk, venue_pk):
    """A session the user runs, one of its venues, and all its venues (for the board). Venue
    managers get their own venues only."""
    session = session_get(user=user, pk=pk, need=Access.MANAGE)
    venues = selectors.session_venues(session)
    venue = next((v for v in venues if v.pk == int(venue_pk)), None)
    if venue is None:
        raise Http404
    if session.program_access < Access.MANAGE and venue.pk not in session.managed_venue_ids:
        raise PermissionDenied
    return session, venue, venues


def _poll_etag(request, session, *parts) -> str:
    """The ETag of a polled fragment: what it shows of the session (one cheap query), the scope
    of who looks (the whole session or their venues) and in which language, the host its links
    name, plus what the caller adds (token slot, window state). Nothing else of the viewer is in
    the fragment, so it is also the key of the fragment shared by every screen (_shared)."""
    key = repr(
        (
            request.scheme,
            request.get_host(),
            getattr(request, "LANGUAGE_CODE", ""),
            session.program.updated_at,
            sorted(getattr(session, "managed_venue_ids", ()) or ()),
            getattr(session, "program_access", None),
            selectors.poll_fingerprint(session),
            *parts,
        )
    )
    return f'"{hashlib.blake2b(key.encode(), digest_size=12).hexdigest()}"'


def _shared(etag, build) -> str:
    """The polled fragment for this ETag, built once for all screens polling the same session
    (20 projectors after a scan cost one build, not 20); kept briefly in the cache."""
    key = f"attendance:poll:{etag.strip(chr(34))}"
    try:
        html = cache.get(key)
    except Exception:  # the cache is an optimisation: a broken one must not break the screen
        html = None
    if html is None:
        html = build()
        with contextlib.suppress(Exception):
            cache.set(key, html, POLL_CACHE_SECONDS)
    return html


def _not_modified(request, etag):
    """304 when the poller already holds this fragment (If-None-Match), else None."""
    held = request.headers.get("If-None-Match", "")
    if etag in [t.strip().removeprefix("W/") for t in held.split(",")]:
        response = HttpResponseNotModified()
        _revalidate(response, etag)
        return response
    return None


def _revalidate(response, etag):
    """Polled fragments may be kept by the browser but must be revalidated on every poll (so
    htmx's XHR sends If-None-Match); the full page is never kept (its clock carries the time)."""
    response["ETag"] = etag
    response["Cache-Control"] = "private, no-cache"
    patch_vary_headers(response, ["HX-Request", "Cookie", "Accept-Language"])
    return response


def _polled(view):
    """The full page is never cached; the htmx poll of its live part answers conditionally."""

    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        response = view(request, *args, **kwargs)
        if not response.has_header("ETag"):
            add_never_cache_headers(response)
        return response

    return wrapper


@_polled
@login_required
def screen(request, pk, venue_pk):
    """The projector page of one venue: rotating QR, clock, live counts (htmx polls #live; an
    unchanged poll answers 304 without building the board)."""
    session, venue, venues = _session_venue(request.user, pk, venue_pk)
    purpose = tokens.CHECKOUT if request.GET.get("purpose") == "out" else tokens.CHECKIN
    policy = Policy.of(session.program)
    window = (
        policy.checkout_window(session.end)
        if purpose == tokens.CHECKOUT
        else policy.checkin_window(session.start)
    )
    now = timezone.now()
    is_open = window[0] <= now <= window[1]
    if request.htmx:
        slot = tokens.current_slot() if is_open else None
        etag = _poll_etag(
            request, session, "screen", venue.pk, purpose, is_open, now < window[0], slot
        )
        if (unchanged := _not_modified(request, etag)) is not None:
            return unchanged
        html = _shared(
            etag, lambda: _screen_live(request, session, venue, venues, purpose, window, now)
        )
        return _revalidate(HttpResponse(html), etag)
    return render(
        request,
        "attendance/screen.html",
        _screen_context(request, session, venue, venues, purpose, window, now),
    )


def _screen_live(request, session, venue, venues, purpose, window, now) -> str:
    context = _screen_context(request, session, venue, venues, purpose, window, now)
    return render_to_string("attendance/screen.html#live", context, request)


def _screen_context(request, session, venue, venues, purpose, window, now) -> dict:
    is_open = window[0] <= now <= window[1]
    board = selectors.session_board(session=session, venues=venues)
    # A scannable code only while its window is open: before, the screen says when it opens
    # (the poll brings the code in time); after, that it has closed.
    qr = url = ""
    if is_open:
        token = tokens.issue(session_id=session.pk, venue_id=venue.pk, purpose=purpose)
        url = request.build_absolute_uri(reverse("attendance:scan", args=[token]))
        qr = segno.make(url, error="m").svg_inline(scale=1, border=2, omitsize=True, light="#fff")
    return {
        "session": session,
        "venue": venue,
        "purpose": purpose,
        "qr": qr,
        "scan_url": url,
        "board": board,
        "venue_board": board.venue(venue.pk),
        "window": window,
        "now": now,
        "is_open": is_open,
        "not_yet": now < window[0],
        "poll": SCREEN_POLL_SECONDS,
        "rotate": tokens.ROTATE_SECONDS,
        "max_age": tokens.MAX_AGE_SECONDS,
        "other_purpose": "in" if purpose == tokens.CHECKOUT else "out",
    }


@_polled
@login_required
def board(request, pk):
    """The live board: per venue checked in / expected, late, flagged, and the first names of
    who is missing (the full list is on the session's attendance page). An unchanged htmx poll
    answers 304 without building the board."""
    session = session_get(user=request.user, pk=pk, need=Access.MANAGE)
    if request.htmx:
        etag = _poll_etag(request, session, "board")
        if (unchanged := _not_modified(request, etag)) is not None:
            return unchanged
        html = _shared(
            etag,
            lambda: render_to_string(
                "attendance/board.html#live", _board_context(session), request
            ),
        )
        return _revalidate(HttpResponse(html), etag)
    return render(request, "attendance/board.html", _board_context(session))


def _board_context(session) -> dict:
    board = selectors.session_board(session=session, scope=selectors.session_scope(session))
    return {
        "session": session,
        "board": board,
        "now": timezone.now(),
        "poll": BOARD_POLL_SECONDS,
        "venues": [vb.venue for vb in board.venues],  # the board loaded them (in scope) already
        "missing_slice": f":{BOARD_MISSING_NAMES}",
        "missing_more": -BOARD_MISSING_NAMES,
    }


# --- Managing a session ---------------------------------------------------------------------
ROSTER_PAGE_SIZE = 50  # rows per page of a session's roster and a program's rates (issue 18)
ROW_STATUSES = [
    ("missing", gettext_lazy("未到")),
    ("in", gettext_lazy("已签到")),
    ("late", gettext_lazy("迟到")),
    ("leave", gettext_lazy("请假")),
    ("flagged", gettext_lazy("疑似代签")),
]


def _roster_filters(request, board) -> dict:
    """The roster's filters from the query string (kept by the page links): venue, status, name."""
    venue = request.GET.get("venue", "")
    venue_ids = {str(vb.venue.pk) for vb in board.venues}
    status = request.GET.get("status", "")
    return {
        "venue": int(venue) if venue in venue_ids else None,
        "status": status if status in dict(ROW_STATUSES) else "",
        "q": request.GET.get("q", "").strip()[:50],
    }


def _row_matches(row, filters) -> bool:
    if filters["venue"] is not None and row.counted_venue_id != filters["venue"]:
        return False
    if filters["q"] and filters["q"] not in row.name and filters["q"] not in row.unit:
        return False
    status, rec = filters["status"], row.record
    if status == "missing":
        return not row.checked_in and not row.on_leave
    if status == "in":
        return row.checked_in
    if status == "late":
        return row.checked_in and rec.status in selectors.LATE_STATUSES
    if status == "leave":
        return row.on_leave
    if status == "flagged":
        return rec is not None and rec.flagged
    return True


@login_required
def session_detail(request, pk):
    """The roster of one session with statuses and the manual marking form."""
    session = session_get(user=request.user, pk=pk, need=Access.MANAGE)
    board = selectors.session_board(session=session, scope=selectors.session_scope(session))
    filters = _roster_filters(request, board)
    rows = [r for r in board.rows if _row_matches(r, filters)]
    return render(
        request,
        "attendance/session.html",
        {
            "session": session,
            "board": board,
            "page": Paginator(rows, ROSTER_PAGE_SIZE).get_page(request.GET.get("page")),
            "filters": filters,
            "row_statuses": ROW_STATUSES,
            "venues": [v.venue for v in board.venues],
            "markable": [(s, AttendanceStatus(s).label) for s in services.MARKABLE],
            "policy": Policy.of(session.program),
            # a branch-venue manager runs this session's venue, not the program: no link there
            "can_open_program": session.program_access >= Access.MANAGE,
        },
    )


@login_required
@require_POST
def mark(request, pk):
    session = session_get(user=request.user, pk=pk, need=Access.MANAGE)
    try:
        changed = services.records_mark(
            session=session,
            user_ids=request.POST.getlist("users"),
            status=request.POST.get("status", ""),
            reason=request.POST.get("reason", ""),
            by=request.user,
            venue_ids=selectors.session_scope(session),
        )
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("已更新 %(n)s 名学员的考勤。") % {"n": changed})
    return redirect("attendance:session", pk=session.pk)


def _venue_scope(user, session):
    """None for those who run the program, else the venues of this session `user` manages."""
    if can_manage_program(user, session.program):
        return None
    return session_venues_managed(user, session)


@login_required
def record_detail(request, pk):
    record = selectors.record_get_for_user(user=request.user, pk=pk)
    can_mark = record.flagged and record.user_id != request.user.pk
    if can_mark:
        scope = _venue_scope(request.user, record.session)
        can_mark = scope is None or record.user_id in selectors.trainees_in_venues(
            session=record.session, venue_ids=scope
        )
    return render(
        request,
        "attendance/record.html",
        {"record": record, "trail": audit_trail_for(record), "can_mark": can_mark},
    )


@login_required
@require_POST
def record_clear_flag(request, pk):
    """Whoever may mark the session clears a suspected-proxy flag after looking into it."""
    record = selectors.record_get_for_user(user=request.user, pk=pk)
    if not session_can_mark(request.user, record.session):
        raise PermissionDenied
    try:
        services.record_clear_flag(
            record=record,
            reason=request.POST.get("reason", ""),
            by=request.user,
            venue_ids=_venue_scope(request.user, record.session),
        )
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("已取消疑似代签标记。"))
    return redirect("attendance:record", pk=record.pk)


@login_required
def program_detail(request, pk):
    """A program's attendance: sessions with counts, per-trainee rates, pending leave."""
    program = program_get(user=request.user, pk=pk, need=Access.MANAGE)
    rows, overall = selectors.program_rates(program=program)
    q = request.GET.get("q", "").strip()[:50]
    below = request.GET.get("below") == "1"
    shown = [r for r in rows if (not q or q in r.name or q in r.unit) and (not below or r.below)]
    return render(
        request,
        "attendance/program.html",
        {
            "program": program,
            "page": Paginator(shown, ROSTER_PAGE_SIZE).get_page(request.GET.get("page")),
            "filters": {"q": q, "below": below},
            "overall": overall,
            "sessions": selectors.program_sessions_with_counts(program=program),
            "pending": LeaveRequest.objects.filter(
                program=program, status=LeaveRequest.Status.PENDING
            ).count(),
        },
    )


# --- Leave ----------------------------------------------------------------------------------
@login_required
def leave_list(request, pk):
    program = program_get(user=request.user, pk=pk, need=Access.MANAGE)
    status = request.GET.get("status") or None
    if status not in LeaveRequest.Status.values:
        status = None
    return render(
        request,
        "attendance/leave_list.html",
        {
            "program": program,
            "status": status,
            "statuses": LeaveRequest.Status.choices,
            "requests": selectors.leave_requests_for_program(program=program, status=status),
        },
    )


@login_required
def leave_new(request, pk):
    program = program_get(user=request.user, pk=pk, need=Access.INVOLVED)
    if not Enrollment.objects.filter(
        program=program, user=request.user, status=Enrollment.Status.ENROLLED
    ).exists():
        raise PermissionDenied
    error = None
    if request.method == "POST":
        try:
            leave = services.leave_request_create(
                user=request.user,
                program=program,
                session_ids=request.POST.getlist("sessions"),
                reason=request.POST.get("reason", ""),
                attachment=request.FILES.get("attachment"),
            )
        except DomainError as exc:
            error = exc
        else:
            messages.success(request, _("请假申请已提交,等待班主任审批。"))
            return redirect("attendance:leave_detail", pk=leave.pk)
    sessions = selectors.leave_choices(program=program, user=request.user)
    return render(
        request,
        "attendance/leave_new.html",
        {
            "program": program,
            "sessions": sessions,
            "error": error,
            "chosen": request.POST.getlist("sessions"),
            "reason": request.POST.get("reason", ""),
            "max_mb": services.MAX_ATTACHMENT_BYTES // (1024 * 1024),
        },
    )


@login_required
def leave_detail(request, pk):
    leave = selectors.leave_request_get_for_user(user=request.user, pk=pk)
    return render(
        request,
        "attendance/leave_detail.html",
        {
            "leave": leave,
            "sessions": leave.sessions.order_by("start"),
            "trail": audit_trail_for(leave),
        },
    )


@login_required
@require_POST
def leave_decide(request, pk):
    leave = selectors.leave_request_get_for_user(user=request.user, pk=pk)
    if not leave.manages:  # a manager deciding their own request is told why by the service
        raise PermissionDenied
    try:
        services.leave_request_decide(
            leave=leave,
            approve=request.POST.get("decision") == "approve",
            note=request.POST.get("note", ""),
            by=request.user,
        )
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("已处理该请假申请。"))
    return redirect("attendance:leave_detail", pk=leave.pk)


@login_required
@require_POST
def leave_cancel(request, pk):
    leave = selectors.leave_request_get_for_user(user=request.user, pk=pk)
    if leave.user_id != request.user.pk:
        raise PermissionDenied
    try:
        services.leave_request_cancel(leave=leave, by=request.user)
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect("attendance:leave_detail", pk=leave.pk)


@login_required
def leave_attachment(request, pk):
    leave = selectors.leave_request_get_for_user(user=request.user, pk=pk)
    if not leave.attachment:
        raise Http404
    ext = leave.attachment.name.rsplit(".", 1)[-1].lower() if "." in leave.attachment.name else ""
    # Named for people ("请假证明-张三.pdf"); shown inline only as the PDF or image its bytes were
    # checked to be (serve_file decides from the type), downloaded otherwise.
    name = _("请假证明-%(name)s") % {"name": leave.user.full_name} + (f".{ext}" if ext else "")
    checked = ext in ("pdf", "jpg", "jpeg", "png")  # what core.uploads stores attachments as
    return serve_file(
        request,
        leave.attachment,
        filename=name,
        inline=checked,
        content_type=None if checked else "application/octet-stream",
    )


# --- The user's own attendance and today's work ---------------------------------------------
@login_required
def index(request):
    user = request.user
    programs = list(selectors.my_programs(user=user))
    rates = selectors.my_rates(user=user, programs=programs)
    return render(
        request,
        "attendance/index.html",
        {
            "today": selectors.sessions_today_for_trainee(user=user),
            "rates": rates,
            "leave_requests": selectors.leave_requests_of(user=user),
            "manage_today": selectors.sessions_today_to_manage(user=user),
            "at_venues": selectors.sessions_at_my_venues(user=user),
            "days": selectors.VENUE_DAYS,
            "pending_leave": selectors.pending_leave_for_manager(user=user),
            "records": AttendanceRecord.objects.filter(user=user)
            .select_related("session__program")
            .order_by("-session__start")[:30],
        },
    )
