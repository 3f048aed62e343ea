from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Q
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from accounts.models import Rank, User
from accounts.scoping import units_organized_by
from core.errors import DomainError
from core.files import serve_file
from core.services import generated_file_start
from core.widgets import picker_response
from credits import access, selectors, services
from credits.forms import (
    ChangeForm,
    ComplianceFilter,
    DecisionForm,
    EntryForm,
    ImportForm,
    ProfileForm,
    add_domain_error,
)
from credits.models import CadreProfile, CreditEntry, OnlineImport
from credits.rules import progress_for
from credits.services.exports import record_rows
from credits.services.rollup import rollup_years
from credits.tasks import record_file_task

PAGE_SIZE = 50


def _year(request) -> int:
    try:
        year = int(request.GET.get("year", ""))
    except ValueError:
        year = 0
    return year if 2000 <= year <= 2100 else timezone.localdate().year


def _record_page(request, cadre):
    year = _year(request)
    profile = CadreProfile.objects.filter(user=cadre).first()
    may_profile = access.may_decide_dept(request.user) and cadre.pk != request.user.pk
    return render(
        request,
        "credits/record.html",
        {
            "cadre": cadre,
            "year": year,
            "years": range(timezone.localdate().year, timezone.localdate().year - 5, -1),
            "profile": profile,
            "profile_form": ProfileForm(
                initial={"rank_appointed_on": profile.rank_appointed_on if profile else None}
            )
            if may_profile
            else None,
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
    if not access.may_check_promotion(request.user):
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
    may_change = access.may_change(request.user, entry)
    return render(
        request,
        "credits/entry.html",
        {
            "entry": entry,
            "may_decide": may_decide,
            "form": DecisionForm() if may_decide else None,
            "may_change": may_change,
            "change": ChangeForm() if may_change else None,
        },
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
    years = rollup_years()
    form = ComplianceFilter(request.GET or None, units=units, ranks=Rank.choices, years=years)
    year, unit, rank, which, show_all = years[-1], None, "", "", False
    if form.is_valid():
        year = form.cleaned_data["year"] or year
        unit = form.cleaned_data["unit"]
        rank = form.cleaned_data["rank"]
        which = form.cleaned_data["which"]
        show_all = form.cleaned_data["all"]
    page = selectors.compliance_page(
        user=request.user,
        year=year,
        unit=unit,
        rank=rank,
        which=which,
        behind_only=not show_all,
        page=request.GET.get("page"),
        per_page=PAGE_SIZE,
    )
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "credits/compliance.html",
        {
            "form": form,
            "page": page,
            "year": year,
            "query": query.urlencode(),
            "count": page.count,
            "count_cap": selectors.COUNT_CAP,
            "may_promotion": access.may_check_promotion(request.user),
        },
    )


@login_required
@require_GET
def pick_units(request):
    """The compliance filter's unit picker: the units the viewer may filter by, by name or code
    (JSON for core.widgets.SearchPicker)."""
    if not access.may_see_compliance(request.user):
        raise PermissionDenied
    rows = units_organized_by(request.user).order_by("path").only("pk", "name")
    q = request.GET.get("q", "").strip()[:50]
    if q:
        rows = rows.filter(Q(name__icontains=q) | Q(code__icontains=q))
    return picker_response(rows)


@login_required
@require_POST
def record_file(request, pk=None, fmt="pdf"):
    """Start the record's PDF or Excel file (the cadre's own, or a cadre in the viewer's scope)."""
    cadre = access.cadre_get(user=request.user, pk=pk or request.user.pk)
    year = _post_year(request)
    title = (
        _("培训档案")
        + f" · {cadre.full_name} · {year}"
        + (" (PDF)" if fmt == "pdf" else " (Excel)")
    )
    gf = generated_file_start(
        owner=request.user,
        kind=f"credits_record_{fmt}",
        title=title,
        params={"cadre": cadre.pk, "year": year, "format": fmt},
        task=record_file_task,
        args=[cadre.pk, year, fmt],
        rows=record_rows(cadre, year),
        personal=True,
        scope=f"{cadre.unit.name if cadre.unit_id else ''} {cadre.full_name}".strip(),
    )
    return redirect("generated_file", pk=gf.pk)


def _post_year(request) -> int:
    try:
        year = int(request.POST.get("year", ""))
    except ValueError:
        year = 0
    return year if 2000 <= year <= 2100 else timezone.localdate().year


@login_required
@require_POST
def profile(request, pk):
    cadre = access.cadre_get(user=request.user, pk=pk)
    if not access.may_decide_dept(request.user):
        raise PermissionDenied
    form = ProfileForm(request.POST)
    if form.is_valid():
        try:
            services.profile_set(
                cadre=cadre,
                rank_appointed_on=form.cleaned_data["rank_appointed_on"],
                by=request.user,
            )
        except DomainError as err:
            messages.error(request, str(err))
        else:
            messages.success(request, _("任现职级时间已保存。"))
    else:
        messages.error(request, _("请填写正确的日期。"))
    return redirect("credits:record", cadre.pk)


def _approved_entry(request, pk) -> CreditEntry:
    entry = access.entry_get(user=request.user, pk=pk)
    if not access.may_change(request.user, entry):
        raise PermissionDenied
    return entry


@login_required
def entry_edit(request, pk):
    entry = _approved_entry(request, pk)
    initial = {
        "cadre": entry.user_id,
        "kind": entry.kind,
        "title": entry.title,
        "organizer_name": entry.organizer_name,
        "start_date": entry.start_date,
        "end_date": entry.end_date,
        "category": entry.category,
        "mode": entry.mode,
        "hours": entry.hours,
        "evidence_link": entry.evidence_link,
    }
    people = User.objects.filter(pk=entry.user_id)
    form = EntryForm(request.POST or None, people=people, initial=initial)
    form.fields["cadre"].disabled = True
    change = ChangeForm(request.POST or None)
    if request.method == "POST" and form.is_valid() and change.is_valid():
        try:
            services.entry_edit(
                entry=entry,
                data=form.entry_data(),
                reason=change.cleaned_data["reason"],
                by=request.user,
            )
        except DomainError as err:
            add_domain_error(change if err.field == "reason" else form, err)
        else:
            messages.success(request, _("已修改:%(title)s") % {"title": entry.title})
            return redirect("credits:entry", entry.pk)
    return render(
        request,
        "credits/entry_edit.html",
        {"form": form, "change": change, "entry": entry},
        status=400 if request.method == "POST" else 200,
    )


@login_required
@require_POST
def entry_revoke(request, pk):
    entry = _approved_entry(request, pk)
    form = ChangeForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("撤销时请说明原因。"))
        return redirect("credits:entry", entry.pk)
    try:
        services.entry_revoke(entry=entry, reason=form.cleaned_data["reason"], by=request.user)
    except DomainError as err:
        messages.error(request, str(err))
    else:
        messages.success(request, _("已撤销:%(title)s") % {"title": entry.title})
    return redirect("credits:entry", entry.pk)


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
