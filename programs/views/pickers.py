"""The query endpoints behind the forms' searchable pickers (core.widgets.SearchPicker): at most
core.widgets.PICKER_LIMIT matches, from what the user may choose in those forms."""

from django.contrib.auth.decorators import login_required
from django.db.models import Q
from django.views.decorators.http import require_GET

from accounts.scoping import require_organizer
from core.widgets import picker_response
from plans.selectors import approved_items_for
from programs import selectors
from programs.access import JURISDICTION_KINDS
from programs.forms import plan_item_label


def _query(request) -> str:
    return request.GET.get("q", "").strip()[:50]


@login_required
@require_organizer
@require_GET
def pick_units(request):
    """Units the user organizes (the program, venue and lecturer forms' unit), by name or code;
    with ?area=1 only jurisdictions (province, city, county, township: the plan execution
    page's filter)."""
    q = _query(request)
    rows = selectors.units_for_choice(user=request.user).only("pk", "name")
    if request.GET.get("area") == "1":
        rows = rows.filter(kind__in=JURISDICTION_KINDS)
    if q:
        rows = rows.filter(Q(name__icontains=q) | Q(code__icontains=q))
    return picker_response(rows)


@login_required
@require_organizer
@require_GET
def pick_plan_items(request):
    """Approved plan items in the user's scope, by title or the planning unit's name."""
    q = _query(request)
    rows = approved_items_for(user=request.user)
    if q:
        rows = rows.filter(Q(title__icontains=q) | Q(plan__unit__name__icontains=q))
    return picker_response(rows, label=plan_item_label)
