from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from accounts.models import Rank
from accounts.scoping import units_organized_by
from core.errors import DomainError
from core.files import serve_file
from credits import access, selectors, services
from credits.forms import ComplianceFilter, DecisionForm, EntryForm, ImportForm, add_domain_error
from credits.models import OnlineImport
from credits.rules import progress_for

PAGE_SIZE = 50


def _year(request) -> int:
    try:
        year = int(request.GET.get("year", ""))
    except ValueError:
        year = 0
    return year if 2000 <= year <= 2100 else timezone.localdate().year


def _record_page(request, cadre):
    year = _year(request)
    return render(
        request,
        "credits/record.html",
        {
            "cadre": cadre,
            "year": year,
            "own": cadre.pk == request.user.pk,
            "may_file": access.may_file_for(request.user, cadre),
            "may_review": access.may_oversee(request.user),
            "may_compliance": access.may_see_compliance(request.user),
            "may_import": access.may_import(request.user),
            **selectors.record_data(cadre=cadre, year=year),
        },
    )


@login_required
@require_GET
def my_record(request):
    return _record_page(request, access.cadre_get(user=request.user, pk=request.user.pk))


@login_required
@require_GET
def record(request, pk):
    cadre = access.cadre_get(user=request.user, pk=pk)
    return _record_page(request, cadre)


@login_required
@require_GET
def promotion(request, pk):
    cadre = access.cadre_get(user=request.user, pk=pk)
    if not access.may_see_compliance(request.user):
        raise PermissionDenied
    year = _year(request)
    return render(
        request,
        "credits/promotion.html",
        {"cadre": cadre, "year": year, "progress": progress_for(cadre, year=year)},
    )


@login_required
def entry_create(request):
    people = access.people_to_file_for(request.user)
    initial = {"cadre": request.user.pk, "category": "required"}
    if request.GET.get("for", "").isdigit():
        initial["cadre"] = int(request.GET["for"])
    form = EntryForm(request.POST or None, request.FILES or None, people=people, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            entry = services.entry_file(
                cadre=form.cleaned_data["cadre"],
                data=form.entry_data(),
                evidence=form.cleaned_data["evidence"],
                by=request.user,
            )
        except DomainError as err:
            add_domain_error(form, err)
        else:
            messages.success(request, _("学时记录已提交,等待审核。"))
            return redirect("credits:entry", entry.pk)
    return render(request, "credits/entry_form.html", {"form": form})


@login_required
@require_GET
def entry_detail(request, pk):
    entry = access.entry_get(user=request.user, pk=pk)
    may_decide = access.may_decide(request.user, entry) and entry.user_id != request.user.pk
    return render(
        request,
        "credits/entry.html",
        {"entry": entry, "may_decide": may_decide, "form": DecisionForm() if may_decide else None},
    )


@login_required
@require_GET
def evidence(request, pk):
    entry = access.entry_get(user=request.user, pk=pk)
    ext = entry.evidence.name.rsplit(".", 1)[-1] if entry.evidence else "pdf"
    return serve_file(
        request, entry.evidence, filename=f"{entry.user.full_name}-{entry.title}.{ext}"
    )


@login_required
@require_POST
def entry_decide(request, pk):
    entry = access.entry_get(user=request.user, pk=pk, decide=True)
    form = DecisionForm(request.POST)
    if form.is_valid():
        try:
            services.entry_decide(
                entry=entry,
                approve=form.cleaned_data["decision"] == "approve",
                reason=form.cleaned_data["reason"],
                by=request.user,
            )
        except DomainError as err:
            messages.error(request, str(err))
        else:
            messages.success(request, _("已审核:%(title)s") % {"title": entry.title})
            if request.POST.get("next") == "review":
                return redirect("credits:review")
    else:
        messages.error(request, _("请选择审核意见。"))
    return redirect("credits:entry", entry.pk)


@login_required
@require_GET
def review(request):
    if not access.may_oversee(request.user):
        raise PermissionDenied
    page = Paginator(selectors.review_queue(user=request.user), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(request, "credits/review.html", {"page": page, "form": DecisionForm()})


@login_required
@require_GET
def compliance(request):
    if not access.may_see_compliance(request.user):
        raise PermissionDenied
    units = units_organized_by(request.user).order_by("path")
    form = ComplianceFilter(
        request.GET or None,
        units=units,
        ranks=Rank.choices,
        initial={"year": timezone.localdate().year},
    )
    year, unit, rank, show_all = timezone.localdate().year, None, "", False
    if form.is_valid():
        year = form.cleaned_data["year"] or year
        unit = form.cleaned_data["unit"]
        rank = form.cleaned_data["rank"]
        show_all = form.cleaned_data["all"]
    rows = selectors.compliance_rows(
        user=request.user, year=year, unit=unit, rank=rank, behind_only=not show_all
    )
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "credits/compliance.html",
        {"form": form, "page": page, "year": year, "query": query.urlencode(), "count": len(rows)},
    )


def _require_import(user):
    if not access.may_import(user):
        raise PermissionDenied


@login_required
def online_import(request):
    _require_import(request.user)
    form = ImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            batch = services.online_import_preview(
                upload=form.cleaned_data["file"], by=request.user
            )
        except DomainError as err:
            add_domain_error(form, err)
        else:
            return redirect("credits:import_preview", batch.pk)
    return render(request, "credits/import.html", {"form": form})


@login_required
@require_GET
def online_import_preview(request, pk):
    _require_import(request.user)
    batch = get_object_or_404(OnlineImport, pk=pk)
    rows = batch.rows
    return render(
        request,
        "credits/import_preview.html",
        {
            "batch": batch,
            "counts": services.online_import_counts(rows),
            "report": [r for r in rows if r["problem"] or r["unmatched"] or r.get("known")][:500],
        },
    )


@login_required
@require_POST
def online_import_confirm(request, pk):
    _require_import(request.user)
    batch = get_object_or_404(OnlineImport, pk=pk)
    try:
        n = services.online_import_commit(batch=batch, by=request.user)
    except DomainError as err:
        messages.error(request, str(err))
    else:
        messages.success(request, _("已导入 %(n)s 条网络学院学时记录。") % {"n": n})
    return redirect("credits:import_preview", batch.pk)
