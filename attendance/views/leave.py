"""Leave (请假): asking, the lists, deciding, the attachment."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from attendance import selectors, services
from attendance.models import LeaveRequest
from attendance.rules import LEAVE_NEAR_SHARE, LeaveLimit
from attendance.views.sessions import ROSTER_PAGE_SIZE
from core.errors import DomainError
from core.files import serve_file
from core.services import audit_trail_for
from enrollment.models import Enrollment
from programs.access import (
    Access,
    program_get,
)


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
            # paginated: a class of 2,000 asks leave a great many times (issue 18)
            "requests": Paginator(
                selectors.leave_requests_for_program(program=program, status=status),
                ROSTER_PAGE_SIZE,
            ).get_page(request.GET.get("page")),
            "limit_summary": selectors.leave_limit_summary(program=program),
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
    projection = None
    if leave.can_decide and leave.status == LeaveRequest.Status.PENDING:
        projection = selectors.leave_limit_projection(leave=leave)  # the 1/7 rule, before
    return render(
        request,
        "attendance/leave_detail.html",
        {
            "leave": leave,
            "sessions": leave.sessions.order_by("start"),
            "trail": audit_trail_for(leave),
            "projection": projection,
        },
    )


@login_required
@require_POST
def leave_decide(request, pk):
    leave = selectors.leave_request_get_for_user(user=request.user, pk=pk)
    if not leave.manages:  # a manager deciding their own request is told why by the service
        raise PermissionDenied
    try:
        leave = services.leave_request_decide(
            leave=leave,
            approve=request.POST.get("decision") == "approve",
            note=request.POST.get("note", ""),
            by=request.user,
        )
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("已处理该请假申请。"))
        state = getattr(leave, "limit_state", LeaveLimit.OK)
        if state != LeaveLimit.OK:  # the approver learns it on the spot (issue 15 item 7)
            messages.warning(request, LIMIT_WARNINGS[state] % {"name": leave.user.full_name})
    return redirect("attendance:leave_detail", pk=leave.pk)


LIMIT_WARNINGS = {
    LeaveLimit.NEAR: gettext_lazy("注意:%(name)s 已批准的请假学时已接近本班学时的 1/7。"),
    LeaveLimit.OVER: gettext_lazy(
        "注意:%(name)s 已批准的请假学时已超过本班学时的 1/7,按规定应予退学,请在“请假超限”中作出处理决定。"
    ),
}


@login_required
def leave_limit(request, pk):
    """The 1/7 leave rule for one program: trainees nearing or past the limit, and the
    decision for those past it."""
    program = program_get(user=request.user, pk=pk, need=Access.MANAGE)
    return render(
        request,
        "attendance/leave_limit.html",
        {
            "program": program,
            "flags": selectors.leave_limit_flags(program=program),
            "share": "1/7",
            "near_percent": int(LEAVE_NEAR_SHARE * 100),
        },
    )


@login_required
@require_POST
def leave_limit_decide(request, pk):
    flag = selectors.leave_limit_flag_get_for_manager(user=request.user, pk=pk)
    decision = request.POST.get("decision")
    try:
        if decision not in ("withdraw", "keep"):
            raise DomainError(_("请选择处理方式。"), field="decision")
        services.leave_limit_decide(
            flag=flag,
            withdraw=decision == "withdraw",
            reason=request.POST.get("reason", ""),
            by=request.user,
        )
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("已记录处理决定。"))
    return redirect("attendance:leave_limit", pk=flag.program_id)


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
