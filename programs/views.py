import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST, require_safe
from django_htmx.http import HttpResponseClientRedirect, reswap

from accounts.scoping import require_organizer, roles_of
from core.errors import DomainError
from core.links import absolute_url
from plans.selectors import approved_items_for
from programs import selectors, services
from programs.access import (
    CLOSED_STATUSES,
    Access,
    can_organize_program,
    program_closed_message,
    program_get,
    program_get_to_organize,
    program_is_open,
    program_is_reopened,
    session_get,
)
from programs.forms import (
    CloneForm,
    LecturerForm,
    MoveForm,
    ProgramForm,
    ProgramRescheduleForm,
    RangeForm,
    ReasonForm,
    ReopenForm,
    RescheduleForm,
    SeriesForm,
    SessionForm,
    VenueForm,
    WaiverForm,
    add_domain_error,
)
from programs.ical import feed_calendar
from programs.models import Program, Session
from programs.recurrence import at_local
from programs.tabs import program_tabs
from programs.timetable import Period, build_days, default_anchor, period_for

# --- programs ------------------------------------------------------------------------------


PROGRAMS_PER_PAGE = 25


@login_required
@require_GET
def program_list(request):
    status = request.GET.get("status") or None
    if status not in Program.Status.values:
        status = None
    search = request.GET.get("q", "").strip()
    programs = selectors.program_list_for_user(user=request.user, status=status, search=search)
    page = Paginator(programs, PROGRAMS_PER_PAGE).get_page(request.GET.get("page"))
    ctx = {
        "programs": page,
        "page": page,
        "status": status,
        "search": search,
        "statuses": Program.Status.choices,
        "can_create": roles_of(request.user).is_admin or roles_of(request.user).is_organizer,
    }
    template = "programs/list.html#results" if request.htmx else "programs/list.html"
    return render(request, template, ctx)


def _program_form(request, *, instance=None, initial=None):
    return ProgramForm(
        request.POST or None,
        instance=instance,
        initial=initial,
        units=selectors.units_for_choice(user=request.user),
        families=selectors.families_for_user(user=request.user),
        plan_items=approved_items_for(user=request.user),
    )


def _from_plan_item(request):
    """The approved plan item named by ?plan_item= (in the user's scope) and the fields it
    carries over to a new program: title, dates, content, headcount as capacity."""
    try:
        pk = int(request.GET.get("plan_item", ""))
    except ValueError:
        return None, None
    item = approved_items_for(user=request.user).filter(pk=pk).first()
    if item is None:
        return None, None
    initial = {
        "plan_item": item.pk,
        "title": item.title,
        "start_date": item.start_date,
        "end_date": item.end_date,
        "capacity": item.headcount,
        "description": item.content,
    }
    if selectors.units_for_choice(user=request.user).filter(pk=item.plan.unit_id).exists():
        initial["organizing_unit"] = item.plan.unit_id
    return item, initial


@login_required
@require_organizer
def program_create(request):
    source, initial = _from_plan_item(request) if request.method == "GET" else (None, None)
    form = _program_form(request, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            program = services.program_create(by=request.user, data=form.cleaned_data)
        except DomainError as err:
            add_domain_error(form, err)
        else:
            messages.success(request, _("项目已创建(草稿),请排课。"))
            return redirect("programs:detail", pk=program.pk)
    return render(
        request,
        "programs/program_form.html",
        {
            "form": form,
            "program": None,
            "source": source,
            "plan_items": approved_items_for(user=request.user)[:200],
        },
    )


@login_required
def program_edit(request, pk):
    program = program_get_to_organize(user=request.user, pk=pk)
    if not program_is_open(program):
        messages.error(request, program_closed_message(program))
    form = _program_form(request, instance=program)
    if request.method == "POST" and form.is_valid():
        try:
            services.program_update(program=program, by=request.user, data=form.cleaned_data)
        except DomainError as err:
            add_domain_error(form, err)
        else:
            messages.success(request, _("已保存。"))
            return redirect("programs:detail", pk=program.pk)
    return render(request, "programs/program_form.html", {"form": form, "program": program})


@login_required
@require_GET
def program_detail(request, pk):
    program = program_get(
        user=request.user,
        pk=pk,
        queryset=Program.objects.select_related(
            "organizing_unit", "family", "plan_item__plan__unit", "plan_waived_by"
        ),
    )
    is_open = program_is_open(program)
    is_admin = roles_of(request.user).is_admin
    can_organize = can_organize_program(request.user, program)
    ctx = {
        "program": program,
        "sessions": selectors.program_sessions(program=program),
        "staff": program.staff.select_related("user"),
        "can_organize": can_organize,
        "can_manage": program.access == Access.MANAGE,
        "plan_problem": services.plan_basis_problem(program) if can_organize else "",
        "can_waive": is_admin and not program.plan_waived_at,
        "waive_form": WaiverForm(),
        "is_open": is_open,
        "closed_message": "" if is_open else program_closed_message(program),
        "reopened": program_is_reopened(program),
        "can_reopen": is_admin and program.status in CLOSED_STATUSES,
        "reopen_form": ReopenForm(),
        "transitions": sorted(services.TRANSITIONS[program.status]),
        "status_labels": dict(Program.Status.choices),
        "tabs": program_tabs(request, program) if program.access == Access.MANAGE else [],
    }
    return render(request, "programs/detail.html", ctx)


def _program_for_admin(request, pk) -> Program:
    program = program_get(user=request.user, pk=pk, need=Access.MANAGE)
    if not roles_of(request.user).is_admin:
        raise PermissionDenied
    return program


@login_required
@require_POST
def program_reopen(request, pk):
    """An admin reopens a closed program for a few days (audited, with the reason)."""
    program = _program_for_admin(request, pk)
    form = ReopenForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(e for errs in form.errors.values() for e in errs))
        return redirect("programs:detail", pk=program.pk)
    try:
        program = services.program_reopen(program=program, by=request.user, **form.cleaned_data)
    except DomainError as err:
        messages.error(request, err.message)
    else:
        messages.success(
            request,
            _("项目已临时开放至 %(until)s,可以修改;到期或结束开放后恢复只读。")
            % {"until": timezone.localtime(program.reopened_until).strftime("%Y-%m-%d %H:%M")},
        )
    return redirect("programs:detail", pk=program.pk)


@login_required
@require_POST
def program_reopen_end(request, pk):
    program = _program_for_admin(request, pk)
    try:
        services.program_reopen_end(program=program, by=request.user)
    except DomainError as err:
        messages.error(request, err.message)
    else:
        messages.success(request, _("已结束临时开放,项目恢复只读。"))
    return redirect("programs:detail", pk=program.pk)


@login_required
@require_POST
def program_plan_waive(request, pk):
    """An admin allows a program to run outside the training plan (audited, with the reason)."""
    program = _program_for_admin(request, pk)
    form = WaiverForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(e for errs in form.errors.values() for e in errs))
        return redirect("programs:detail", pk=program.pk)
    try:
        services.program_plan_waive(
            program=program, by=request.user, reason=form.cleaned_data["reason"]
        )
    except DomainError as err:
        messages.error(request, err.message)
    else:
        messages.success(request, _("已批准计划外举办,项目可以发布。"))
    return redirect("programs:detail", pk=program.pk)


def _action_page(request, ctx):
    return render(request, "programs/session_action.html", ctx)


def _acknowledgeable(warnings, form) -> bool:
    """The "已知晓学员时间冲突" box is offered only when every problem may be overridden: there
    are trainee clashes and nothing that blocks (clashes, capacity, field errors)."""
    return bool(warnings) and not form.errors


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


@login_required
@require_POST
def program_transition(request, pk):
    program = program_get_to_organize(user=request.user, pk=pk)
    try:
        services.program_transition(program=program, to=request.POST.get("to", ""), by=request.user)
    except DomainError as err:
        messages.error(request, err.message)
    else:
        messages.success(request, _("项目状态已更新。"))
    return redirect("programs:detail", pk=program.pk)


@login_required
def program_clone(request, pk):
    program = program_get_to_organize(user=request.user, pk=pk)
    form = CloneForm(request.POST or None, initial=services.clone_defaults(program))
    conflicts = []
    if request.method == "POST" and form.is_valid():
        try:
            clone = services.program_clone(program=program, by=request.user, **form.cleaned_data)
        except services.ConflictError as err:
            conflicts = err.conflicts
            form.add_error(None, _("新一期的课程与已有安排冲突,未能复制。"))
        except DomainError as err:
            add_domain_error(form, err)
        else:
            messages.success(request, _("已复制为新一期(草稿)。"))
            return redirect("programs:detail", pk=clone.pk)
    return render(
        request, "programs/clone.html", {"form": form, "program": program, "conflicts": conflicts}
    )


# --- timetable -----------------------------------------------------------------------------


def _period(request, program) -> Period:
    view = request.GET.get("view") or request.POST.get("view") or "week"
    anchor = default_anchor(program, request.GET.get("d") or request.POST.get("d"))
    return period_for("month" if view == "month" else "week", anchor)


def _timetable_ctx(request, program, period: Period, **extra) -> dict:
    sessions = selectors.timetable_sessions(program=program, first=period.first, last=period.last)
    return {
        "program": program,
        "period": period,
        "days": build_days(period=period, program=program, sessions=sessions),
        "can_edit": program.access == Access.MANAGE and program_is_open(program),
        "closed_message": "" if program_is_open(program) else program_closed_message(program),
        **extra,
    }


@login_required
@require_GET
def timetable(request, pk):
    program = program_get(user=request.user, pk=pk)
    period = _period(request, program)
    ctx = _timetable_ctx(request, program, period)
    if request.htmx:
        only = request.GET.get("day")
        if only:
            ctx["days"] = [d for d in ctx["days"] if d.date.isoformat() == only]
            return (
                render(request, "programs/timetable.html#day", {**ctx, "day": ctx["days"][0]})
                if ctx["days"]
                else HttpResponse("")
            )
        return render(request, "programs/timetable.html#board", ctx)
    return render(request, "programs/timetable.html", ctx)


def _program_to_schedule(request, pk) -> Program:
    program = program_get(user=request.user, pk=pk, need=Access.MANAGE)
    return program


def _session_to_schedule(request, pk) -> Session:
    """A session whose timetable the user may change: program managers only (venue managers
    run check-in for a session but do not move it)."""
    session = session_get(user=request.user, pk=pk)
    session.program.access = program_get(user=request.user, pk=session.program_id).access
    if session.program.access < Access.MANAGE:
        raise PermissionDenied
    return session


def _session_form(request, program, **kwargs):
    return SessionForm(
        request.POST or None,
        venues=selectors.venue_choices_for_program(program=program),
        lecturers=selectors.lecturers_for_user(user=request.user),
        **kwargs,
    )


def _changed_days(request, program, days: set, *, flash="", undo=None) -> HttpResponse:
    """The day cells that changed, each swapped out of band, from the page's own partial, and
    the flash line saying what happened (with an undo for a drag-and-drop move)."""
    period = _period(request, program)
    bounds = RangeForm(request.POST).bounds()
    if bounds:
        period = Period(period.view, period.anchor, bounds[0], bounds[1], period.prev, period.next)
    ctx = _timetable_ctx(request, program, period)
    html = "".join(
        render_to_string(
            "programs/timetable.html#day", {**ctx, "day": day, "oob": True}, request=request
        )
        for day in ctx["days"]
        if day.date in days
    )
    html += render_to_string(
        "programs/timetable.html#flash",
        {**ctx, "flash": flash, "flash_ok": True, "undo": undo, "oob": True},
        request=request,
    )
    response = HttpResponse(html)
    return reswap(response, "none")


def _form_response(
    request, program, period, form, *, session=None, new_date=None, conflicts=(), plan=None
):
    ctx = _timetable_ctx(
        request,
        program,
        period,
        form=form,
        editing_session=session,
        adding_date=new_date,
        conflicts=list(conflicts),
        acknowledgeable=_acknowledgeable(conflicts, form),
        plan=plan,
    )
    if request.htmx:
        return render(request, "programs/timetable.html#session_form", ctx)
    return render(request, "programs/timetable.html", ctx)


def _schedule_write(request, program, form, write):
    """Run a schedule write; return (ok, warnings): every blocking problem goes on the form,
    the trainee clashes that may be acknowledged come back as warnings."""
    try:
        write()
    except services.ConflictError as err:
        for c in err.blocking:
            form.add_error(None, c.message)
        return False, err.warnings
    except DomainError as err:
        add_domain_error(form, err)
        return False, []
    return True, []


@login_required
def session_create(request, pk):
    program = _program_to_schedule(request, pk)
    day = default_anchor(program, request.GET.get("date") or request.POST.get("date"))
    period = _period(request, program)
    form = _session_form(
        request,
        program,
        initial={
            "date": day,
            "start_time": dt.time(9, 0),
            "end_time": dt.time(12, 0),
            "credit_hours": 3,
            "venue": getattr(program.sessions.exclude(venue=None).last(), "venue_id", None),
        },
    )
    conflicts = []
    if request.method == "POST" and form.is_valid():
        data = form.session_data()
        ok, conflicts = _schedule_write(
            request,
            program,
            form,
            lambda: services.session_create(
                program=program,
                by=request.user,
                data=data,
                acknowledge_warnings=form.cleaned_data["acknowledge"],
            ),
        )
        if ok:
            return _saved(
                request,
                program,
                {timezone.localdate(data["start"])},
                timezone.localdate(data["start"]),
            )
    return _form_response(request, program, period, form, new_date=day, conflicts=conflicts)


def _saved(request, program, days, anchor, *, message=""):
    message = message or _("课表已更新。")
    if request.htmx:
        return _changed_days(request, program, days, flash=message)
    messages.success(request, message)
    view = request.POST.get("view", "week")
    return redirect(
        reverse("programs:timetable", args=[program.pk]) + f"?view={view}&d={anchor.isoformat()}"
    )


def _plan_signature(plan) -> str:
    """What the organizer confirmed: the sessions and fields that would change."""
    return ",".join(str(i.session.pk) for i in plan.items) + "|" + ",".join(plan.changed)


@login_required
def session_edit(request, pk):
    """Edit one occurrence or, for a series, it and every later one. "此次及以后各次" first shows
    how many sessions will change and what (session_edit_plan), and saves on confirmation."""
    session = _session_to_schedule(request, pk)
    program = session.program
    period = _period(request, program)
    form = _session_form(request, program, initial=SessionForm.initial_for(session))
    conflicts = []
    plan = None
    if request.method == "POST" and form.is_valid():
        data = form.session_data()
        scope = form.cleaned_data.get("scope") or "this"
        if scope == "following" and session.series_id:
            plan = services.session_edit_plan(session=session, data=data, scope=scope)
            if plan.count > 1 and request.POST.get("confirmed") != _plan_signature(plan):
                plan.signature = _plan_signature(plan)
                return _form_response(request, program, period, form, session=session, plan=plan)
        old_days = {
            timezone.localdate(s.start)
            for s in (
                Session.objects.filter(series_id=session.series_id, start__gte=session.start)
                if scope == "following" and session.series_id
                else [session]
            )
        }
        result = []
        ok, conflicts = _schedule_write(
            request,
            program,
            form,
            lambda: result.extend(
                services.session_update(
                    session=session,
                    by=request.user,
                    data=data,
                    scope=scope,
                    acknowledge_warnings=form.cleaned_data["acknowledge"],
                )
            ),
        )
        if ok:
            new_days = {timezone.localdate(s.start) for s in result}
            message = (
                _("已修改 %(n)s 节课。") % {"n": len(result)}
                if result
                else _("没有需要修改的内容。")
            )
            return _saved(
                request,
                program,
                old_days | new_days,
                timezone.localdate(data["start"]),
                message=message,
            )
        if plan is not None and plan.count > 1:
            # Confirmed already: keep the confirmation while the organizer fixes or acknowledges.
            plan.signature = _plan_signature(plan)
        else:
            plan = None
    return _form_response(
        request, program, period, form, session=session, conflicts=conflicts, plan=plan
    )


@login_required
@require_POST
def session_delete(request, pk):
    session = _session_to_schedule(request, pk)
    day = timezone.localdate(session.start)
    try:
        services.session_delete(session=session, by=request.user)
    except DomainError as err:
        return _refused(request, session.program, err.message, day)
    return _saved(request, session.program, {day}, day)


def _refused(request, program, message, anchor):
    if request.htmx:
        html = render_to_string(
            "programs/timetable.html#flash", {"flash": message, "oob": True}, request=request
        )
        return reswap(HttpResponse(html), "none")
    messages.error(request, message)
    return redirect(reverse("programs:timetable", args=[program.pk]) + f"?d={anchor}")


@login_required
@require_POST
def session_move(request, pk):
    session = _session_to_schedule(request, pk)
    old_day = timezone.localdate(session.start)
    form = MoveForm(request.POST)
    if not form.is_valid():
        return _refused(request, session.program, _("请选择要移动到的日期。"), old_day)
    new_day = form.cleaned_data["date"]
    try:
        services.session_move(
            session=session,
            by=request.user,
            day=new_day,
            acknowledge_warnings=form.cleaned_data["acknowledge"],
        )
    except services.ConflictError as err:
        return _refused(
            request, session.program, " ".join(c.message for c in err.conflicts), old_day
        )
    except DomainError as err:
        return _refused(request, session.program, err.message, old_day)
    message = _("已将“%(topic)s”从 %(old)s 移到 %(new)s。") % {
        "topic": session.topic,
        "old": old_day.isoformat(),
        "new": new_day.isoformat(),
    }
    if request.htmx:
        undo = None
        if new_day != old_day:
            undo = {"url": reverse("programs:session_move", args=[session.pk]), "date": old_day}
        return _changed_days(request, session.program, {old_day, new_day}, flash=message, undo=undo)
    return _saved(request, session.program, {old_day, new_day}, new_day, message=message)


@login_required
def series_create(request, pk):
    program = _program_to_schedule(request, pk)
    form = SeriesForm(
        request.POST or None,
        venues=selectors.venue_choices_for_program(program=program),
        lecturers=selectors.lecturers_for_user(user=request.user),
        initial={
            "first_date": program.start_date,
            "start_time": dt.time(14, 30),
            "end_time": dt.time(17, 30),
            "credit_hours": 3,
        },
    )
    conflicts = []
    if request.method == "POST" and form.is_valid():
        holder = []
        ok, conflicts = _schedule_write(
            request,
            program,
            form,
            lambda: holder.append(
                services.series_create(
                    program=program,
                    by=request.user,
                    data=form.series_data(),
                    acknowledge_warnings=form.cleaned_data["acknowledge"],
                )
            ),
        )
        if ok:
            series = holder[0]
            messages.success(
                request, _("已按规则生成 %(n)s 节课。") % {"n": series.sessions.count()}
            )
            url = (
                reverse("programs:timetable", args=[program.pk])
                + f"?view=month&d={series.first_date.isoformat()}"
            )
            return HttpResponseClientRedirect(url) if request.htmx else redirect(url)
    ctx = {
        "program": program,
        "form": form,
        "conflicts": conflicts,
        "acknowledgeable": _acknowledgeable(conflicts, form),
    }
    template = "programs/series_form.html#form" if request.htmx else "programs/series_form.html"
    return render(request, template, ctx)


# --- venues and lecturers ------------------------------------------------------------------


@login_required
@require_organizer
@require_GET
def venue_list(request):
    venues = (
        selectors.venues_for_user(user=request.user)
        .prefetch_related("managers")
        .order_by("unit__path", "name")
    )
    return render(request, "programs/venues.html", {"venues": venues})


@login_required
@require_organizer
def venue_edit(request, pk=None):
    venue = selectors.venue_get_for_edit(user=request.user, pk=pk) if pk else None
    form = VenueForm(
        request.POST or None, instance=venue, units=selectors.units_for_choice(user=request.user)
    )
    if request.method == "POST" and form.is_valid():
        data = {
            k: form.cleaned_data[k] for k in ("name", "address", "capacity", "unit", "managers")
        }
        try:
            services.venue_save(by=request.user, data=data, venue=venue)
        except DomainError as err:
            add_domain_error(form, err)
        else:
            messages.success(request, _("场地已保存。"))
            return redirect("programs:venue_list")
    return render(request, "programs/venue_form.html", {"form": form, "venue": venue})


@login_required
@require_organizer
@require_GET
def lecturer_list(request):
    search = request.GET.get("q", "").strip()
    lecturers = selectors.lecturers_for_user(user=request.user, search=search)
    return render(request, "programs/lecturers.html", {"lecturers": lecturers, "search": search})


@login_required
@require_organizer
def lecturer_edit(request, pk=None):
    lecturer = selectors.lecturer_get_for_edit(user=request.user, pk=pk) if pk else None
    form = LecturerForm(
        request.POST or None, instance=lecturer, units=selectors.units_for_choice(user=request.user)
    )
    if request.method == "POST" and form.is_valid():
        data = {k: form.cleaned_data[k] for k in ("name", "title", "affiliation", "bio", "unit")}
        data["user"] = form.cleaned_data["account"]
        try:
            lecturer = services.lecturer_save(by=request.user, data=data, lecturer=lecturer)
        except DomainError as err:
            add_domain_error(form, err)
        else:
            messages.success(request, _("授课人已保存。"))
            return redirect("programs:lecturer_edit", pk=lecturer.pk)
    feed = ""
    if lecturer is not None:
        feed = _feed_url(request, services.calendar_feed_get_or_create(lecturer=lecturer))
    return render(
        request, "programs/lecturer_form.html", {"form": form, "lecturer": lecturer, "feed": feed}
    )


@login_required
@require_organizer
@require_POST
def lecturer_feed_regenerate(request, pk):
    lecturer = selectors.lecturer_get_for_edit(user=request.user, pk=pk)
    services.calendar_feed_regenerate(by=request.user, lecturer=lecturer)
    messages.success(request, _("订阅地址已更换,旧地址已失效。"))
    return redirect("programs:lecturer_edit", pk=lecturer.pk)


# --- my schedule and feeds -----------------------------------------------------------------


def _feed_url(request, feed) -> str:
    """The subscription address to copy: SITE_URL, else the address the user is using."""
    return absolute_url(reverse("programs:feed", args=[feed.token]), request)


@login_required
@require_GET
def my_schedule(request):
    try:
        first = dt.date.fromisoformat(request.GET.get("from", ""))
    except ValueError:
        first = timezone.localdate()
    last = first + dt.timedelta(days=27)
    sessions = selectors.schedule_for_user(user=request.user, first=first, last=last)
    days: dict = {}
    for s in sessions:
        days.setdefault(timezone.localdate(s.start), []).append(s)
    lecturer = getattr(request.user, "lecturer_profile", None)
    ctx = {
        "days": sorted(days.items()),
        "first": first,
        "last": last,
        "prev": first - dt.timedelta(days=28),
        "next": last + dt.timedelta(days=1),
        "trainee_feed": _feed_url(request, services.calendar_feed_get_or_create(user=request.user)),
        "lecturer_feed": _feed_url(request, services.calendar_feed_get_or_create(lecturer=lecturer))
        if lecturer
        else "",
    }
    template = "programs/my_schedule.html#agenda" if request.htmx else "programs/my_schedule.html"
    return render(request, template, ctx)


@login_required
@require_POST
def feed_regenerate(request):
    if request.POST.get("kind") == "lecturer":
        lecturer = getattr(request.user, "lecturer_profile", None)
        if lecturer is None:
            raise PermissionDenied
        services.calendar_feed_regenerate(by=request.user, lecturer=lecturer)
    else:
        services.calendar_feed_regenerate(by=request.user, user=request.user)
    messages.success(request, _("订阅地址已更换,旧地址已失效。"))
    return redirect("programs:my_schedule")


@require_safe
def feed(request, token):
    """The secret-URL calendar; no login (calendar clients cannot log in). HEAD (which some
    calendar apps send to check a subscription) gets the same status and headers, no body."""
    calendar_feed = selectors.feed_by_token(token=token)
    if request.method == "HEAD":
        body = b""
    else:
        body = feed_calendar(
            feed=calendar_feed,
            sessions=selectors.feed_sessions(feed=calendar_feed),
            request=request,
        )
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'inline; filename="lectern.ics"'
    response["Cache-Control"] = "private, max-age=300"
    return response


# --- budget versus actual (issue 16 item 7) ----------------------------------------------------


@login_required
def program_costs(request, pk):
    """经费: the organizer enters the actual cost per category; the page compares it with the
    plan item's budget and the training-cost cap and warns when either is passed."""
    from programs.costs import program_budget
    from programs.forms import CostForm

    program = program_get_to_organize(user=request.user, pk=pk)
    program = (
        Program.objects.select_related("organizing_unit", "plan_item__plan__unit")
        .prefetch_related("costs", "plan_item__budget")
        .get(pk=program.pk)
    )
    closed = program.status == Program.Status.ARCHIVED and not program_is_reopened(program)
    form = CostForm(request.POST or None, program=program)
    if request.method == "POST" and not closed and form.is_valid():
        try:
            services.program_costs_save(program=program, by=request.user, amounts=form.amounts())
        except DomainError as err:
            add_domain_error(form, err)
        else:
            messages.success(request, _("实际经费已保存。"))
            return redirect("programs:costs", pk=program.pk)
    budget = program_budget(program)
    return render(
        request,
        "programs/costs.html",
        {
            "program": program,
            "form": form,
            "budget": budget,
            "lines": [(row, form[f"cost_{row.category}"]) for row in budget.rows],
            "closed_message": program_closed_message(program) if closed else "",
        },
    )


# --- plan versus actual (issue 16 item 3) ------------------------------------------------------


@login_required
@require_GET
@require_organizer
def plan_execution(request):
    """计划执行情况: the year's approved plan items against the classes held, per unit and in all,
    for the units the user organizes (admins: everywhere); ?export=xlsx downloads it."""
    from accounts.scoping import units_organized_by
    from programs.access import JURISDICTION_KINDS
    from programs.execution import execution_sheets
    from programs.execution import plan_execution as build

    today = timezone.localdate()
    try:
        year = int(request.GET.get("year", ""))
    except ValueError:
        year = today.year
    if not 2000 <= year <= 2100:
        year = today.year
    units = units_organized_by(request.user).filter(kind__in=JURISDICTION_KINDS).order_by("path")
    unit = None
    if request.GET.get("unit", "").isdigit():
        unit = units.filter(pk=int(request.GET["unit"])).first()
    execution = build(user=request.user, year=year, unit=unit)
    scope_name = unit.name if unit else _("管辖范围")
    if request.GET.get("export") == "xlsx":
        from django.utils.http import content_disposition_header

        from core.files import safe_filename
        from core.services import audit_log
        from core.tabular import XLSX_CONTENT_TYPE, xlsx_bytes

        title, sheets = execution_sheets(execution, scope_name=scope_name)
        response = HttpResponse(
            xlsx_bytes(sheets, title=title, creator=request.user.full_name),
            content_type=XLSX_CONTENT_TYPE,
        )
        response["Content-Disposition"] = content_disposition_header(
            True, safe_filename(f"{title}.xlsx")
        )
        response["X-Content-Type-Options"] = "nosniff"
        response["Cache-Control"] = "private, no-store"
        audit_log(
            actor=request.user,
            action="export.create",
            target=request.user,
            after={"kind": "plan_execution", "year": year, "unit": unit.pk if unit else None},
            request=request,
        )
        return response
    return render(
        request,
        "programs/plan_execution.html",
        {
            "execution": execution,
            "year": year,
            "years": range(today.year + 1, today.year - 5, -1),
            "units": units,
            "unit": unit,
            "scope_name": scope_name,
        },
    )
