"""Plan versus actual over a jurisdiction (issue 16 item 3)."""

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from accounts.scoping import require_organizer
from programs.forms import AreaFilterForm

# --- plan versus actual (issue 16 item 3) ------------------------------------------------------

LIST_PAGE = 50  # the two lists (held without a plan, planned not held) a page at a time


def _pages(request, lists: dict) -> dict:
    """Each list as a page of LIST_PAGE rows (its own GET parameter), its links keeping the year,
    the unit and the other list's page (templates/_pager.html). No query: the lists are in
    memory; the per-unit table and its total are figured over all of them."""
    pages = {}
    for param, rows in lists.items():
        page = Paginator(rows, LIST_PAGE).get_page(request.GET.get(param))
        query = request.GET.copy()
        query.pop(param, None)
        query.pop("export", None)
        base = "?" + (query.urlencode() + "&" if query else "") + param + "="
        if page.has_previous():
            page.prev_url = f"{base}{page.previous_page_number()}"
        if page.has_next():
            page.next_url = f"{base}{page.next_page_number()}"
        pages[param] = page
    return pages


@login_required
@require_GET
@require_organizer
def plan_execution(request):
    """计划执行情况: the year's approved plan items against the classes held, per unit and in all,
    for the units the user organizes (admins: everywhere); ?export=xlsx downloads it."""
    from accounts.scoping import units_organized_by
    from programs.access import JURISDICTION_KINDS
    from programs.execution import execution_sheets
    from programs.execution import plan_execution as build

    today = timezone.localdate()
    try:
        year = int(request.GET.get("year", ""))
    except ValueError:
        year = today.year
    if not 2000 <= year <= 2100:
        year = today.year
    units = units_organized_by(request.user).filter(kind__in=JURISDICTION_KINDS).order_by("path")
    unit = None
    if request.GET.get("unit", "").isdigit():
        unit = units.filter(pk=int(request.GET["unit"])).first()
    execution = build(user=request.user, year=year, unit=unit)
    scope_name = unit.name if unit else _("管辖范围")
    if request.GET.get("export") == "xlsx":
        from django.utils.http import content_disposition_header

        from core.files import safe_filename
        from core.services import audit_log
        from core.tabular import XLSX_CONTENT_TYPE, xlsx_bytes

        title, sheets = execution_sheets(execution, scope_name=scope_name)
        response = HttpResponse(
            xlsx_bytes(sheets, title=title, creator=request.user.full_name),
            content_type=XLSX_CONTENT_TYPE,
        )
        response["Content-Disposition"] = content_disposition_header(
            True, safe_filename(f"{title}.xlsx")
        )
        response["X-Content-Type-Options"] = "nosniff"
        response["Cache-Control"] = "private, no-store"
        audit_log(
            actor=request.user,
            action="export.create",
            target=request.user,
            after={"kind": "plan_execution", "year": year, "unit": unit.pk if unit else None},
            request=request,
        )
        return response
    pages = _pages(request, {"upage": execution.unplanned, "page": execution.not_held})
    return render(
        request,
        "programs/plan_execution.html",
        {
            "execution": execution,
            "unplanned": pages["upage"],
            "not_held": pages["page"],
            "year": year,
            "years": range(today.year + 1, today.year - 5, -1),
            "unit_form": AreaFilterForm(initial={"unit": unit}, units=units),
            "unit": unit,
            "scope_name": scope_name,
        },
    )
