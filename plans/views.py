from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from accounts.scoping import roles_of
from core.errors import DomainError
from core.widgets import picker_response
from plans import access, selectors, services
from plans.forms import ItemForm, PlanForm, ReviewForm, add_domain_error
from plans.models import ClassCategory, CostCap, LecturerFeeCap, PlanItem


def _require_planner(user):
    if not access.may_plan(user):
        raise PermissionDenied


@login_required
@require_GET
def plan_list(request):
    _require_planner(request.user)
    try:
        year = int(request.GET.get("year", "")) or None
    except ValueError:
        year = None
    plans = selectors.plan_list_for_user(user=request.user, year=year)[:200]
    return render(
        request,
        "plans/list.html",
        {
            "plans": plans,
            "year": year,
            "may_review": access.may_review(request.user),
            "pending": selectors.pending_review_count(user=request.user),
            # the plan-versus-actual page (programs:plan_execution) is for organizers and admins
            "may_see_execution": roles_of(request.user).is_admin
            or roles_of(request.user).is_organizer,
        },
    )


@login_required
def plan_create(request):
    _require_planner(request.user)
    form = PlanForm(request.POST or None, units=access.units_to_file_for(request.user))
    if request.method == "POST" and form.is_valid():
        try:
            plan = services.plan_create(**form.cleaned_data, by=request.user)
        except DomainError as err:
            add_domain_error(form, err)
        else:
            messages.success(request, _("已创建培训计划,请添加班次。"))
            return redirect("plans:detail", plan.pk)
    return render(request, "plans/plan_form.html", {"form": form})


@login_required
@require_GET
def plan_detail(request, pk):
    plan = access.plan_get(user=request.user, pk=pk)
    rows = selectors.plan_items_checked(plan=plan)
    may_review = access.may_review(request.user)
    return render(
        request,
        "plans/detail.html",
        {
            "plan": plan,
            "rows": [(item, check, ReviewForm(auto_id=f"r{item.pk}-%s")) for item, check in rows],
            "may_edit": access.may_file_for(request.user, plan.unit),
            "may_review": may_review,
            "deadline": services.plan_deadline(plan=plan),
            "to_submit": sum(
                1
                for item, _check in rows
                if item.status in (PlanItem.Status.DRAFT, PlanItem.Status.RETURNED)
            ),
        },
    )


def _item_form_page(request, *, plan, item=None):
    form = ItemForm(request.POST or None, item=item)
    if request.method == "POST" and form.is_valid():
        try:
            services.plan_item_save(
                plan=plan, item=item, data=form.item_data(), budget=form.budget(), by=request.user
            )
        except DomainError as err:
            add_domain_error(form, err)
        else:
            if item is not None and item.status == PlanItem.Status.APPROVED:
                messages.warning(request, _("已备案班次已修改,需重新审核。"))
            else:
                messages.success(request, _("班次已保存。"))
            return redirect("plans:detail", plan.pk)
    return render(request, "plans/item_form.html", {"form": form, "plan": plan, "item": item})


@login_required
def item_create(request, pk):
    plan = access.plan_get(user=request.user, pk=pk, edit=True)
    return _item_form_page(request, plan=plan)


@login_required
def item_edit(request, pk):
    item = access.item_get(user=request.user, pk=pk, edit=True)
    return _item_form_page(request, plan=item.plan, item=item)


@login_required
@require_POST
def item_delete(request, pk):
    item = access.item_get(user=request.user, pk=pk, edit=True)
    try:
        services.plan_item_delete(item=item, by=request.user)
    except DomainError as err:
        messages.error(request, str(err))
    else:
        messages.success(request, _("班次已删除。"))
    return redirect("plans:detail", item.plan_id)


@login_required
@require_POST
def plan_submit(request, pk):
    plan = access.plan_get(user=request.user, pk=pk, edit=True)
    try:
        count = services.plan_submit(plan=plan, by=request.user)
    except DomainError as err:
        messages.error(request, str(err))
    else:
        messages.success(request, _("已报送 %(n)s 个班次,等待组织部审核。") % {"n": count})
    return redirect("plans:detail", plan.pk)


@login_required
@require_POST
def item_review(request, pk):
    item = access.item_get(user=request.user, pk=pk)
    if not access.may_review(request.user):
        raise PermissionDenied
    form = ReviewForm(request.POST)
    if form.is_valid():
        try:
            services.plan_item_review(
                item=item,
                decision=form.cleaned_data["decision"],
                comment=form.cleaned_data["comment"],
                by=request.user,
            )
        except DomainError as err:
            messages.error(request, str(err))
        else:
            messages.success(request, _("已审核:%(title)s") % {"title": item.title})
    else:
        errors = [str(e) for field_errors in form.errors.values() for e in field_errors]
        messages.error(request, " ".join(errors))
    return redirect("plans:detail", item.plan_id)


@login_required
@require_GET
def standards(request):
    _require_planner(request.user)
    return render(
        request,
        "plans/standards.html",
        {
            "caps": CostCap.objects.select_related("unit").order_by(
                "class_category", "unit__path", "-effective_from"
            ),
            "fees": LecturerFeeCap.objects.select_related("unit").order_by(
                "title_level", "unit__path", "-effective_from"
            ),
            "categories": ClassCategory,
            "is_admin": access.may_review(request.user),
        },
    )


@login_required
@require_GET
def pick_units(request):
    """The plan form's unit picker: units the user may file a plan for, by name or code (at
    most core.widgets.PICKER_LIMIT)."""
    _require_planner(request.user)
    q = request.GET.get("q", "").strip()[:50]
    rows = access.units_to_file_for(request.user).only("pk", "name").order_by("path")
    if q:
        rows = rows.filter(Q(name__icontains=q) | Q(code__icontains=q))
    return picker_response(rows)
