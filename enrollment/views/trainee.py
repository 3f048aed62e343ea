"""A trainee's pages: programs open for application, my enrolments, apply, withdraw."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.errors import DomainError
from enrollment import forms, selectors, services
from enrollment.views.base import _back, _run
from programs.access import Access, program_get

# ---- trainee ---------------------------------------------------------------------------------


@login_required
def open_programs(request):
    return render(
        request,
        "enrollment/open_programs.html",
        {"programs": selectors.open_programs_for(request.user), "form": forms.ApplyForm()},
    )


@login_required
def mine(request):
    return render(
        request,
        "enrollment/mine.html",
        {"enrollments": selectors.my_enrollments(request.user), "form": forms.ReasonForm()},
    )


@login_required
@require_POST
def apply(request, pk):
    program = program_get(user=request.user, pk=pk, need=Access.AUDIENCE)
    form = forms.ApplyForm(request.POST)
    note = form.cleaned_data["note"] if form.is_valid() else ""
    e = _run(
        request,
        lambda: services.application_create(program=program, user=request.user, note=note),
        "",
    )
    if e is not None:
        if e.program_full:
            messages.warning(request, _("报名已提交。本班名额已满,审核通过后将进入候补。"))
        else:
            messages.success(request, _("报名已提交,请等待审核。"))
    return _back(request, reverse("enrollment:open"))


@login_required
@require_POST
def withdraw(request, pk):
    e = selectors.enrollment_get(user=request.user, pk=pk, need=Access.INVOLVED)
    if e.user_id != request.user.pk:
        raise PermissionDenied
    form = forms.ReasonForm(request.POST)
    reason = form.cleaned_data["reason"] if form.is_valid() else ""
    try:
        wr = services.withdrawal_request(enrollment=e, by=request.user, reason=reason)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("退训申请已提交,请等待审批。") if wr else _("已取消报名。"))
    return redirect("enrollment:mine")
