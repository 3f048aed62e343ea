"""Cancelling and rescheduling a session or a whole program (a confirmation page each)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from core.errors import DomainError
from programs import services
from programs.access import (
    program_get_to_organize,
)
from programs.forms import (
    ProgramRescheduleForm,
    ReasonForm,
    RescheduleForm,
    add_domain_error,
)
from programs.models import Session
from programs.recurrence import at_local
from programs.views.timetable import _acknowledgeable, _schedule_write, _session_to_schedule


def _action_page(request, ctx):
    return render(request, "programs/session_action.html", ctx)


@login_required
def session_cancel(request, pk):
    """停课 with a reason; the session stays (cancelled) and everyone concerned is told."""
    session = _session_to_schedule(request, pk)
    program = session.program
    form = ReasonForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.session_cancel(
                session=session, by=request.user, reason=form.cleaned_data["reason"]
            )
        except DomainError as err:
            add_domain_error(form, err)
        else:
            messages.success(request, _("已停课,参训人员、授课人和场地管理员已收到通知。"))
            return _back_to_timetable(program, timezone.localdate(session.start))
    return _action_page(
        request,
        {
            "program": program,
            "session": session,
            "form": form,
            "heading": _("停课"),
            "intro": _(
                "停课后这节课仍留在课表中并标为“已取消”,订阅的日历会同步取消;"
                "学员、授课人和场地管理员会收到带原因的通知;考勤和学时不再计算这节课。"
            ),
            "submit": _("确认停课"),
            "danger": True,
        },
    )


@login_required
def session_reschedule(request, pk):
    """调课: a new date and time (a cancelled session rescheduled is held again)."""
    session = _session_to_schedule(request, pk)
    program = session.program
    start, end = timezone.localtime(session.start), timezone.localtime(session.end)
    form = RescheduleForm(
        request.POST or None,
        initial={"date": start.date(), "start_time": start.time(), "end_time": end.time()},
    )
    conflicts = []
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        ok, conflicts = _schedule_write(
            request,
            program,
            form,
            lambda: services.session_reschedule(
                session=session,
                by=request.user,
                start=at_local(d["date"], d["start_time"]),
                end=at_local(d["date"], d["end_time"]),
                reason=d["reason"],
                acknowledge_warnings=d["acknowledge"],
            ),
        )
        if ok:
            messages.success(request, _("已调课,相关人员已收到通知。"))
            return _back_to_timetable(program, d["date"])
    return _action_page(
        request,
        {
            "program": program,
            "session": session,
            "form": form,
            "conflicts": conflicts,
            "acknowledgeable": _acknowledgeable(conflicts, form),
            "heading": _("调课"),
            "intro": _("改到新的日期和时间;订阅的日历会同步更新,相关人员会收到通知。"),
            "submit": _("确认调课"),
        },
    )


@login_required
def program_cancel_sessions(request, pk):
    """The whole program's 停课: every session not yet begun is cancelled."""
    program = program_get_to_organize(user=request.user, pk=pk)
    form = ReasonForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            n = services.program_cancel_sessions(
                program=program, by=request.user, reason=form.cleaned_data["reason"]
            )
        except DomainError as err:
            add_domain_error(form, err)
        else:
            messages.success(request, _("已停课 %(n)s 节课,相关人员已收到通知。") % {"n": n})
            return redirect("programs:detail", pk=program.pk)
    upcoming = (
        program.sessions.filter(start__gt=timezone.now())
        .exclude(status=Session.Status.CANCELLED)
        .count()
    )
    return _action_page(
        request,
        {
            "program": program,
            "form": form,
            "heading": _("整个项目停课"),
            "intro": _(
                "尚未开始的 %(n)s 节课将全部停课(已上的课不受影响),"
                "学员、授课人和场地管理员会收到带原因的通知。"
            )
            % {"n": upcoming},
            "submit": _("确认停课"),
            "danger": True,
        },
    )


@login_required
def program_reschedule(request, pk):
    """改期: a program not yet begun moves, every session with it."""
    program = program_get_to_organize(user=request.user, pk=pk)
    form = ProgramRescheduleForm(request.POST or None, initial={"start_date": program.start_date})
    conflicts = []
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        ok, conflicts = _schedule_write(
            request,
            program,
            form,
            lambda: services.program_reschedule(
                program=program,
                by=request.user,
                start_date=d["start_date"],
                reason=d["reason"],
                acknowledge_warnings=d["acknowledge"],
            ),
        )
        if ok:
            messages.success(request, _("项目已改期,相关人员已收到通知。"))
            return redirect("programs:detail", pk=program.pk)
    return _action_page(
        request,
        {
            "program": program,
            "form": form,
            "conflicts": conflicts,
            "acknowledgeable": _acknowledgeable(conflicts, form),
            "heading": _("整个项目改期"),
            "intro": _(
                "项目日期和每节课按同样的天数前后移动(时刻不变);只适用于尚未开课的项目。"
                "相关人员会收到通知。"
            ),
            "submit": _("确认改期"),
        },
    )


def _back_to_timetable(program, day):
    return redirect(reverse("programs:timetable", args=[program.pk]) + f"?d={day.isoformat()}")
