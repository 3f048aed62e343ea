"""Credit hours (学时): the per-program policy. The trainee's hours, the overview and the yearly
requirements live in credits' 培训档案 (one record): the old addresses here redirect to it."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from accounts.scoping import roles_of
from core.errors import DomainError
from evaluation import services
from evaluation.forms import CreditPolicyForm
from evaluation.models import CreditPolicy
from evaluation.views._common import _form_error
from programs.access import Access, program_get


def _year(request) -> int:
    try:
        year = int(request.GET.get("year", ""))
    except ValueError:
        year = timezone.localdate().year
    return year if 2000 <= year <= 2100 else timezone.localdate().year


def _to(name: str, **query) -> str:
    query = {k: v for k, v in query.items() if v}
    return reverse(name) + (f"?{urlencode(query)}" if query else "")


@login_required
@require_GET
def credits_mine(request):
    """我的学时 is the cadre's 培训档案 (every source, the requirement and progress)."""
    return redirect(_to("credits:mine", year=request.GET.get("year") and _year(request)))


@login_required
@require_GET
def credits_overview(request):
    """The organizer's overview is the compliance list of the training record."""
    roles = roles_of(request.user)
    if not (roles.is_admin or roles.is_organizer):
        raise PermissionDenied
    everyone = "" if request.GET.get("behind") == "1" else "on"
    return redirect(_to("credits:compliance", year=_year(request), all=everyone))


@login_required
@require_GET
def credit_requirements(request):
    """The requirements by rank are policy data of the training record (edited, audited, with
    effective dates, in the administration of 学时要求)."""
    if not roles_of(request.user).is_admin:
        raise PermissionDenied
    return redirect("admin:credits_requirement_changelist")


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
