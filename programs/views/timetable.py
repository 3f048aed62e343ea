"""The timetable: the week or month of sessions, and the htmx forms that create, edit, move and
delete sessions and series in place."""

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST
from django_htmx.http import HttpResponseClientRedirect, reswap

from core.errors import DomainError
from programs import selectors, services
from programs.access import (
    Access,
    program_closed_message,
    program_get,
    program_is_open,
    session_get,
)
from programs.forms import (
    MoveForm,
    RangeForm,
    SeriesForm,
    SessionForm,
    add_domain_error,
)
from programs.models import Program, Session
from programs.timetable import Period, build_days, default_anchor, period_for

# --- timetable -----------------------------------------------------------------------------


def _acknowledgeable(warnings, form) -> bool:
    """The "已知晓学员时间冲突" box is offered only when every problem may be overridden: there
    are trainee clashes and nothing that blocks (clashes, capacity, field errors)."""
    return bool(warnings) and not form.errors


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
