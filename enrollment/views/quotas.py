"""Quotas and the enrolment policy (the host), and a unit liaison's quota pages: nominate,
substitute (before the reply deadline) or ask to (after it)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.models import OrgUnit
from accounts.scoping import roles_of
from enrollment import forms, selectors, services
from enrollment.selectors import notices as selectors_notices
from enrollment.views.base import _page, _run, manager_page
from programs.access import jurisdiction_path

# ---- quotas and policy -------------------------------------------------------------------------


def _quota_units(program):
    """Units that may receive a quota: below the program's jurisdiction, not schools."""
    return (
        OrgUnit.objects.filter(path__startswith=jurisdiction_path(program.organizing_unit))
        .exclude(kind__in=[OrgUnit.Kind.SCHOOL, OrgUnit.Kind.PROVINCE])
        .order_by("path")
    )


@manager_page
def quotas(request, program):
    units = _quota_units(program)
    form = forms.QuotaForm(request.POST or None, units=units)
    if request.method == "POST" and form.is_valid():
        done = _run(
            request,
            lambda: (
                services.quota_set(
                    program=program,
                    unit=form.cleaned_data["unit"],
                    seats=form.cleaned_data["seats"],
                    by=request.user,
                )
                or True
            ),
            _("名额已保存。"),
        )
        if done:
            return redirect("enrollment:quotas", program.pk)
    policy = selectors.policy_for(program)
    return _page(
        request,
        "enrollment/quotas.html",
        program,
        "quotas",
        quotas=selectors.program_quotas(program),
        form=form,
        policy_form=forms.PolicyForm(instance=policy),
        units=units,
    )


@manager_page
@require_POST
def policy(request, program):
    form = forms.PolicyForm(request.POST, instance=selectors.policy_for(program))
    if form.is_valid():
        data = form.cleaned_data
        services.policy_update(program=program, by=request.user, **data)
        messages.success(request, _("报名设置已保存。"))
    else:
        messages.error(request, _("报名设置有误:%(e)s") % {"e": form.errors.as_text()})
    return redirect("enrollment:quotas", program.pk)


# ---- liaison -------------------------------------------------------------------------------


@login_required
def liaison(request):
    if not roles_of(request.user).is_liaison:
        raise PermissionDenied
    return render(
        request, "enrollment/liaison.html", {"quotas": selectors.liaison_quotas(request.user)}
    )


@login_required
def quota(request, pk):
    q = selectors.quota_get(user=request.user, pk=pk)
    search = request.GET.get("q", "").strip()
    context = {
        "quota": q,
        "program": q.program,
        "substitutions": selectors_notices.quota_substitutions(q),
        "search": search,
        "nominees": selectors.quota_nominees(q),
        "used": selectors.quota_nominees(q).filter(status__in=selectors.QUOTA_STATUSES).count(),
        "window_open": selectors.nominations_open(q.program),
        "policy": selectors.policy_for(q.program),
    }
    if q.can_nominate:
        context["candidates"] = selectors.quota_candidates(q, search=search)
    if request.htmx:
        return render(request, "enrollment/quota.html#candidates", context)
    return render(request, "enrollment/quota.html", context)


@login_required
@require_POST
def nominate(request, pk):
    q = selectors.quota_get(user=request.user, pk=pk)
    if not q.can_nominate:
        raise PermissionDenied
    form = forms.PersonChoiceForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("请选择要提名的人员。"))
    else:
        _run(
            request,
            lambda: services.nomination_create(
                quota=q, user=form.cleaned_data["user"], by=request.user
            ),
            _("已提名 %(name)s,等待主办方审核。") % {"name": form.cleaned_data["user"]},
        )
    return redirect("enrollment:quota", q.pk)


@login_required
@require_POST
def substitute(request, pk):
    e = selectors.nomination_get(user=request.user, pk=pk)
    if not e.quota.can_nominate:
        raise PermissionDenied
    q = e.quota
    form = forms.PersonChoiceForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("请选择替换人员。"))
    else:
        new_user, reason = form.cleaned_data["user"], form.cleaned_data["reason"]
        if selectors.nominations_open(q.program):
            _run(
                request,
                lambda: services.nomination_substitute(
                    enrollment=e, new_user=new_user, by=request.user, reason=reason
                ),
                _("已用 %(new)s 替换 %(old)s,等待主办方审核。") % {"new": new_user, "old": e.user},
            )
        else:  # after the reply deadline the host decides
            _run(
                request,
                lambda: services.substitution_request(
                    enrollment=e, new_user=new_user, by=request.user, reason=reason
                ),
                _("已提交替换申请(%(old)s → %(new)s),等待主办方审批。")
                % {"new": new_user, "old": e.user},
            )
    return redirect("enrollment:quota", q.pk)
