"""The user's own attendance and today's work."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from attendance import selectors
from attendance.models import AttendanceRecord


@login_required
def index(request):
    user = request.user
    programs = list(selectors.my_programs(user=user))
    rates = selectors.my_rates(user=user, programs=programs)
    return render(
        request,
        "attendance/index.html",
        {
            "today": selectors.sessions_today_for_trainee(user=user),
            "rates": rates,
            "leave_requests": selectors.leave_requests_of(user=user),
            "manage_today": selectors.sessions_today_to_manage(user=user),
            "at_venues": selectors.sessions_at_my_venues(user=user),
            "days": selectors.VENUE_DAYS,
            "pending_leave": selectors.pending_leave_for_manager(user=user),
            "records": AttendanceRecord.objects.filter(user=user)
            .select_related("session__program")
            .order_by("-session__start")[:30],
        },
    )
