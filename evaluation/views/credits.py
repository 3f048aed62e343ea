"""Credit hours (学时): the per-program policy, yearly requirements, a trainee's record and the
organizer's overview."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db import transaction
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Rank
from accounts.scoping import roles_of
from core.errors import DomainError
from evaluation import selectors, services
from evaluation.forms import (
    CreditPolicyForm,
)
from evaluation.models import CreditPolicy
from evaluation.views._common import _form_error
from programs.access import Access, program_get


def _year(request) -> int:
    try:
        year = int(request.GET.get("year", ""))
    except ValueError:
        year = timezone.localdate().year
    return year if 2000 <= year <= 2100 else timezone.localdate().year


@login_required
def credits_mine(request):
    year = _year(request)
    records, total, required = selectors.credit_record(user=request.user, year=year)
    return render(
        request,
        "evaluation/credits_mine.html",
        {
            "year": year,
            "records": records,
            "total": total,
            "required": required,
            "short": (required - total) if required is not None and total < required else None,
            "years": range(timezone.localdate().year, timezone.localdate().year - 4, -1),
        },
    )


@login_required
def credits_overview(request):
    year = _year(request)
    behind = request.GET.get("behind") == "1"
    qs = selectors.credit_overview(user=request.user, year=year, behind_only=behind)
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "evaluation/credits_overview.html",
        {
            "year": year,
            "page": page,
            "behind": behind,
            "years": range(timezone.localdate().year, timezone.localdate().year - 4, -1),
        },
    )


@login_required
def credit_policy(request, program_pk):
    prog = program_get(user=request.user, pk=program_pk, need=Access.MANAGE)
    instance = CreditPolicy.objects.filter(program=prog).first() or CreditPolicy(program=prog)
    form = CreditPolicyForm(request.POST or None, instance=instance)
    if request.method == "POST" and form.is_valid():
        try:
            services.credit_policy_set(
                program=prog,
                by=request.user,
                **{k: form.cleaned_data[k] for k in CreditPolicyForm.Meta.fields},
            )
        except DomainError as exc:
            _form_error(form, exc)
        else:
            messages.success(request, _("学时认定规则已保存。"))
            return redirect("evaluation:program", pk=prog.pk)
    return render(request, "evaluation/credit_policy.html", {"form": form, "program": prog})


@login_required
def credit_requirements(request):
    if not roles_of(request.user).is_admin:
        raise PermissionDenied
    errors = {}
    if request.method == "POST":
        for rank in Rank.values:
            try:
                with transaction.atomic():
                    services.credit_requirement_set(
                        rank=rank, hours=request.POST.get(rank), by=request.user
                    )
            except DomainError as exc:
                errors[rank] = exc.message
        if not errors:
            messages.success(request, _("学时要求已保存。"))
            return redirect("evaluation:credit_requirements")
    rows = [
        (v, label, hours, errors.get(v)) for v, label, hours in selectors.credit_requirement_rows()
    ]
    return render(
        request,
        "evaluation/credit_requirements.html",
        {"rows": rows},
        status=400 if errors else 200,
    )
