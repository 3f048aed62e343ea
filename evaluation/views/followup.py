"""Follow-up (成果转化): commitments after completion, progress updates and reminders."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.errors import DomainError
from evaluation import selectors, services
from evaluation.forms import (
    CommitmentForm,
    ProgressForm,
)
from evaluation.views._common import PAGE_SIZE
from programs.access import Access, program_get


@login_required
def followup_mine(request):
    programs = selectors.completed_programs_of(user=request.user)
    return render(
        request,
        "evaluation/followup_mine.html",
        {
            "commitments": selectors.commitments_of(user=request.user),
            "form": CommitmentForm(programs=programs) if programs.exists() else None,
            "today": timezone.localdate(),
        },
    )


@login_required
@require_POST
def commitment_create(request):
    programs = selectors.completed_programs_of(user=request.user)
    form = CommitmentForm(request.POST, programs=programs)
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.commitment_create(
                program=data["program"],
                user=request.user,
                title=data["title"],
                description=data["description"],
                due_date=data["due_date"],
            )
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("承诺已记录。"))
    else:
        messages.error(
            request,
            _("请检查填写内容:")
            + "; ".join(
                f"{form.fields[f].label if f in form.fields else ''}{' '.join(e)}"
                for f, e in form.errors.items()
            ),
        )
    return redirect("evaluation:followup_mine")


@login_required
@require_POST
def commitment_progress(request, pk):
    commitment = selectors.commitment_get_for_owner(user=request.user, pk=pk)
    form = ProgressForm(request.POST)
    if form.is_valid():
        try:
            services.commitment_progress(
                commitment=commitment, user=request.user, **form.cleaned_data
            )
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("进展已更新。"))
    else:
        messages.error(request, _("请填写进展情况和 0–100 的进度。"))
    return redirect("evaluation:followup_mine")


@login_required
def followup_program(request, program_pk):
    prog = program_get(user=request.user, pk=program_pk, need=Access.MANAGE)
    rows = selectors.followup_rows(program=prog)  # everyone: `behind` counts them all
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "evaluation/followup_program.html",
        {
            "program": prog,
            "page": page,
            "rows": page.object_list,
            "behind": sum(c.behind for c in rows),
        },
    )


@login_required
@require_POST
def followup_remind(request, program_pk):
    prog = program_get(user=request.user, pk=program_pk, need=Access.MANAGE)
    n = services.followup_remind(program=prog, by=request.user)
    messages.success(request, _("已提醒 %(n)s 位进度落后的学员。") % {"n": n})
    return redirect("evaluation:followup_program", program_pk=prog.pk)
