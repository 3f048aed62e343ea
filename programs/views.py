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
from programs import selectors, services
from programs.access import (
    Access,
    can_organize_program,
    program_closed_message,
    program_get,
    program_get_to_organize,
    program_is_open,
    session_get,
)
from programs.forms import (
    CloneForm,
    LecturerForm,
    MoveForm,
    ProgramForm,
    RangeForm,
    SeriesForm,
    SessionForm,
    VenueForm,
    add_domain_error,
)
from programs.ical import feed_calendar
from programs.models import Program, Session
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


def _program_form(request, *, instance=None):
    return ProgramForm(
        request.POST or None,
        instance=instance,
        units=selectors.units_for_choice(user=request.user),
        families=selectors.families_for_user(user=request.user),
    )


@login_required
@require_organizer
def program_create(request):
    form = _program_form(request)
    if request.method == "POST" and form.is_valid():
        try:
            program = services.program_create(by=request.user, data=form.cleaned_data)
        except DomainError as err:
            add_domain_error(form, err)
        else:
            messages.success(request, _("项目已创建(草稿),请排课。"))
            return redirect("programs:detail", pk=program.pk)
    return render(request, "programs/program_form.html", {"form": form, "program": None})


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
        queryset=Program.objects.select_related("organizing_unit", "family"),
    )
    ctx = {
        "program": program,
        "sessions": selectors.program_sessions(program=program),
        "staff": program.staff.select_related("user"),
        "can_organize": can_organize_program(request.user, program),
        "can_manage": program.access == Access.MANAGE,
        "transitions": sorted(services.TRANSITIONS[program.status]),
        "status_labels": dict(Program.Status.choices),
    }
    return render(request, "programs/detail.html", ctx)


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


def _changed_days(request, program, days: set) -> HttpResponse:
    """The day cells that changed, each swapped out of band, from the page's own partial."""
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
    response = HttpResponse(html)
    return reswap(response, "none")


def _form_response(request, program, period, form, *, session=None, new_date=None, conflicts=()):
    ctx = _timetable_ctx(
        request,
        program,
        period,
        form=form,
        editing_session=session,
        adding_date=new_date,
        conflicts=list(conflicts),
    )
    if request.htmx:
        return render(request, "programs/timetable.html#session_form", ctx)
    return render(request, "programs/timetable.html", ctx)


def _schedule_write(request, program, form, write):
    """Run a schedule write; return (ok, conflicts) and put errors on the form."""
    try:
        write()
    except services.ConflictError as err:
        for c in err.blocking:
            form.add_error(None, c.message)
        return False, err.conflicts
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


def _saved(request, program, days, anchor):
    if request.htmx:
        return _changed_days(request, program, days)
    messages.success(request, _("课表已更新。"))
    view = request.POST.get("view", "week")
    return redirect(
        reverse("programs:timetable", args=[program.pk]) + f"?view={view}&d={anchor.isoformat()}"
    )


@login_required
def session_edit(request, pk):
    session = _session_to_schedule(request, pk)
    program = session.program
    period = _period(request, program)
    form = _session_form(request, program, initial=SessionForm.initial_for(session))
    conflicts = []
    if request.method == "POST" and form.is_valid():
        data = form.session_data()
        scope = form.cleaned_data.get("scope") or "this"
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
            return _saved(request, program, old_days | new_days, timezone.localdate(data["start"]))
    return _form_response(request, program, period, form, session=session, conflicts=conflicts)


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
    return _saved(request, session.program, {old_day, new_day}, new_day)


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
    ctx = {"program": program, "form": form, "conflicts": conflicts}
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
    feed = None
    if lecturer is not None:
        feed = services.calendar_feed_get_or_create(lecturer=lecturer)
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
        "trainee_feed": services.calendar_feed_get_or_create(user=request.user),
        "lecturer_feed": services.calendar_feed_get_or_create(lecturer=lecturer)
        if lecturer
        else None,
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
