"""Venues and lecturers."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from accounts.scoping import require_organizer
from core.errors import DomainError
from programs import selectors, services
from programs.forms import (
    LecturerForm,
    VenueForm,
    add_domain_error,
)
from programs.views.schedule import _feed_url

# --- venues and lecturers ------------------------------------------------------------------


@login_required
@require_organizer
@require_GET
def venue_list(request):
    venues = (
        selectors.venues_for_user(user=request.user)
        .prefetch_related("managers")
        .order_by("unit__path", "name")
    )
    return render(request, "programs/venues.html", {"venues": venues})


@login_required
@require_organizer
def venue_edit(request, pk=None):
    venue = selectors.venue_get_for_edit(user=request.user, pk=pk) if pk else None
    form = VenueForm(
        request.POST or None, instance=venue, units=selectors.units_for_choice(user=request.user)
    )
    if request.method == "POST" and form.is_valid():
        data = {
            k: form.cleaned_data[k] for k in ("name", "address", "capacity", "unit", "managers")
        }
        try:
            services.venue_save(by=request.user, data=data, venue=venue)
        except DomainError as err:
            add_domain_error(form, err)
        else:
            messages.success(request, _("场地已保存。"))
            return redirect("programs:venue_list")
    return render(request, "programs/venue_form.html", {"form": form, "venue": venue})


@login_required
@require_organizer
@require_GET
def lecturer_list(request):
    search = request.GET.get("q", "").strip()
    lecturers = selectors.lecturers_for_user(user=request.user, search=search)
    return render(request, "programs/lecturers.html", {"lecturers": lecturers, "search": search})


@login_required
@require_organizer
def lecturer_edit(request, pk=None):
    lecturer = selectors.lecturer_get_for_edit(user=request.user, pk=pk) if pk else None
    form = LecturerForm(
        request.POST or None, instance=lecturer, units=selectors.units_for_choice(user=request.user)
    )
    if request.method == "POST" and form.is_valid():
        data = {
            k: form.cleaned_data[k]
            for k in ("name", "title", "title_level", "affiliation", "bio", "unit")
        }
        data["user"] = form.cleaned_data["account"]
        try:
            lecturer = services.lecturer_save(by=request.user, data=data, lecturer=lecturer)
        except DomainError as err:
            add_domain_error(form, err)
        else:
            messages.success(request, _("授课人已保存。"))
            return redirect("programs:lecturer_edit", pk=lecturer.pk)
    feed = ""
    if lecturer is not None:
        feed = _feed_url(request, services.calendar_feed_get_or_create(lecturer=lecturer))
    return render(
        request, "programs/lecturer_form.html", {"form": form, "lecturer": lecturer, "feed": feed}
    )


@login_required
@require_organizer
@require_POST
def lecturer_feed_regenerate(request, pk):
    lecturer = selectors.lecturer_get_for_edit(user=request.user, pk=pk)
    services.calendar_feed_regenerate(by=request.user, lecturer=lecturer)
    messages.success(request, _("订阅地址已更换,旧地址已失效。"))
    return redirect("programs:lecturer_edit", pk=lecturer.pk)
