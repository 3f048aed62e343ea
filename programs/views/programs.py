"""Program pages: the list, create and edit forms, the program page, state changes, cloning, an
admin's reopening and plan waiver."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from accounts.scoping import require_organizer, roles_of
from core.errors import DomainError
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
)
from programs.forms import (
    CloneForm,
    FromPlanForm,
    ProgramForm,
    ReopenForm,
    WaiverForm,
    add_domain_error,
)
from programs.models import Program
from programs.tabs import program_tabs

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
            "from_plan": FromPlanForm(
                initial={"plan_item": source.pk if source else None},
                plan_items=approved_items_for(user=request.user),
            ),
            "has_plan_items": approved_items_for(user=request.user).exists(),
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
        "tabs": program_tabs(request, program),  # each app offers only what this user may open
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
