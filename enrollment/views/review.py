"""A program's roster and review queue (nominations, applications, waitlist, withdrawals,
substitution requests), the organizer's review overview, and the decisions on them."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from enrollment import forms, selectors, services
from enrollment.selectors import notices as selectors_notices
from enrollment.views.base import _back, _page, _paginate, _run, manager_page
from programs.access import Access
from programs.models import Program
from programs.selectors import runs_programs

# ---- manager: roster, review -------------------------------------------------------------------


@manager_page
def roster(request, program):
    return _page(
        request,
        "enrollment/roster.html",
        program,
        "roster",
        enrollments=_paginate(request, selectors.roster(program), "page", ROSTER_PER_PAGE),
        history=_paginate(request, selectors.history(program), "hp", HISTORY_PER_PAGE),
    )


# A large class's roster (2,000 trainees) is read a page at a time; the exports hold everyone.
ROSTER_PER_PAGE = 100
HISTORY_PER_PAGE = 30


REVIEW_PER_PAGE = 20
# The organizer's list of programs (an admin's is every program of the province).
REVIEWS_PER_PAGE = 30
# Each section of the review queue pages on its own: query parameter per section.
REVIEW_SECTIONS = {
    "nominations": "np",
    "applications": "ap",
    "waitlist": "wp",
    "withdrawals": "dp",
    "substitutions": "sp",
}


@manager_page
def review(request, program):
    sections = {
        **selectors.review_queue(program),
        "substitutions": selectors_notices.substitutions_pending(program),
    }
    queue = {
        name: _paginate(request, qs, REVIEW_SECTIONS[name], REVIEW_PER_PAGE)
        for name, qs in sections.items()
    }
    return _page(
        request, "enrollment/review.html", program, "review", queue=queue, form=forms.ReasonForm()
    )


@login_required
def reviews(request):
    if not runs_programs(user=request.user):
        raise PermissionDenied
    programs = selectors.managed_programs(request.user).exclude(status=Program.Status.ARCHIVED)
    page = Paginator(programs, REVIEWS_PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "enrollment/reviews.html", {"programs": page, "page": page})


def _decide(request, pk, action, success):
    e = selectors.enrollment_get(user=request.user, pk=pk, need=Access.MANAGE)
    _run(request, lambda: action(e), success)
    return _back(request, reverse("enrollment:review", args=[e.program_id]))


def _reason(request):
    form = forms.ReasonForm(request.POST)
    return form.cleaned_data["reason"] if form.is_valid() else ""


@login_required
@require_POST
def nomination_confirm(request, pk):
    return _decide(
        request,
        pk,
        lambda e: services.nomination_confirm(enrollment=e, by=request.user),
        _("已确认。"),
    )


@login_required
@require_POST
def nomination_send_back(request, pk):
    reason = _reason(request)
    return _decide(
        request,
        pk,
        lambda e: services.nomination_send_back(enrollment=e, by=request.user, reason=reason),
        _("已退回。"),
    )


@login_required
@require_POST
def application_approve(request, pk):
    return _decide(
        request,
        pk,
        lambda e: services.application_approve(enrollment=e, by=request.user),
        _("已审核通过。"),
    )


@login_required
@require_POST
def application_reject(request, pk):
    reason = _reason(request)
    return _decide(
        request,
        pk,
        lambda e: services.application_reject(enrollment=e, by=request.user, reason=reason),
        _("已标记为未通过。"),
    )


@login_required
@require_POST
def withdrawal_approve(request, pk):
    wr = selectors.withdrawal_get(user=request.user, pk=pk)
    _run(
        request,
        lambda: services.withdrawal_approve(
            request=wr, by=request.user, note=request.POST.get("reason", "")
        ),
        _("已批准退训。"),
    )
    return _back(request, reverse("enrollment:review", args=[wr.enrollment.program_id]))


@login_required
@require_POST
def withdrawal_reject(request, pk):
    wr = selectors.withdrawal_get(user=request.user, pk=pk)
    _run(
        request,
        lambda: services.withdrawal_reject(request=wr, by=request.user, note=_reason(request)),
        _("已驳回退训申请。"),
    )
    return _back(request, reverse("enrollment:review", args=[wr.enrollment.program_id]))
