"""Managing a session and a program: the roster with manual marks, records, proxy flags, the
program's attendance overview."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from attendance import selectors, services
from attendance.models import AttendanceStatus, LeaveRequest
from attendance.rules import Policy
from core.errors import DomainError
from core.services import audit_trail_for
from programs.access import (
    Access,
    can_manage_program,
    program_get,
    session_can_mark,
    session_get,
    session_venues_managed,
)

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
            "limit_summary": selectors.leave_limit_summary(program=program),
            "pending": LeaveRequest.objects.filter(
                program=program, status=LeaveRequest.Status.PENDING
            ).count(),
        },
    )
