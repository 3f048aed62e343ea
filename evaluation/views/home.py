"""The evaluation home page and a program's evaluation dashboard."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from accounts.scoping import roles_of
from evaluation import selectors
from programs.access import Access, program_get
from programs.models import Session


@login_required
def index(request):
    user = request.user
    roles = roles_of(user)
    return render(
        request,
        "evaluation/index.html",
        {
            "assignments": selectors.trainee_assignments(user=user),
            "to_evaluate": selectors.sessions_to_evaluate(user=user, limit=20),
            "certificates": selectors.my_certificates(user=user, include_revoked=True),
            "programs": selectors.managed_programs(user=user),
            "is_lecturer": hasattr(user, "lecturer_profile"),
            "is_organizer": roles.is_admin or roles.is_organizer,
            "is_admin": roles.is_admin,
            "judging": user.judging.select_related("round__program").filter(
                round__locked_at__isnull=True
            ),
        },
    )


@login_required
def program(request, pk):
    prog = program_get(user=request.user, pk=pk, need=Access.MANAGE)
    sessions = Session.objects.filter(program=prog).order_by("start")
    return render(
        request,
        "evaluation/program.html",
        {
            "program": prog,
            "sessions": sessions,
            **selectors.program_dashboard_counts(program=prog),
        },
    )
