"""What every enrollment page shares: the back link, running a service with its DomainError
as a message, the MANAGE gate of a program's pages, the program page context, pagination."""

from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme

from core.errors import DomainError
from enrollment import selectors
from enrollment.models import Enrollment
from programs.access import Access, program_get

S = Enrollment.Status


def _back(request, fallback: str):
    target = request.POST.get("next") or request.GET.get("next")
    if target and url_has_allowed_host_and_scheme(target, {request.get_host()}):
        return redirect(target)
    return redirect(fallback)


def _run(request, action, success: str):
    """Call a service; a DomainError becomes an error message. Returns the result or None."""
    try:
        result = action()
    except DomainError as exc:
        messages.error(request, exc.message)
        return None
    if success:
        messages.success(request, success)
    return result


def _manage(request, pk):
    return program_get(user=request.user, pk=pk, need=Access.MANAGE)


def manager_page(view):
    """Views of one program's enrollment pages: login, MANAGE access, program in context."""

    @wraps(view)
    @login_required
    def wrapper(request, pk, *args, **kwargs):
        return view(request, _manage(request, pk), *args, **kwargs)

    return wrapper


def _page(request, template, program, tab, **context):
    counts = selectors.status_counts(program)
    return render(request, template, {"program": program, "tab": tab, "counts": counts, **context})


def _paginate(request, qs, param: str, per_page: int):
    """A page of `qs` from `?<param>=`, with prev_url/next_url that keep every other query
    parameter (filters, the other sections' pages)."""
    page = Paginator(qs, per_page).get_page(request.GET.get(param))

    def url(number):
        query = request.GET.copy()
        query[param] = number
        return f"?{query.urlencode()}"

    page.prev_url = url(page.previous_page_number()) if page.has_previous() else ""
    page.next_url = url(page.next_page_number()) if page.has_next() else ""
    return page
