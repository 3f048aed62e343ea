"""Random call-on (现场点名) among the trainees checked in to a session."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from core.errors import DomainError
from evaluation import selectors, services
from programs.access import Access, session_get


@login_required
def callon(request, session_pk):
    session = session_get(user=request.user, pk=session_pk, need=Access.MANAGE)
    return render(
        request,
        "evaluation/callon.html",
        {
            "session": session,
            "history": selectors.callon_history(session=session),
            "remaining": selectors.callon_remaining(session=session),
        },
    )


@login_required
@require_POST
def callon_pick(request, session_pk):
    session = session_get(user=request.user, pk=session_pk, need=Access.MANAGE)
    ctx = {"session": session}
    try:
        ctx["pick"] = services.callon_pick(session=session, by=request.user)
    except DomainError as exc:
        ctx["pick_error"] = exc.message
        if not request.htmx:
            messages.error(request, exc.message)
    if not request.htmx:
        return redirect("evaluation:callon", session_pk=session.pk)
    ctx["history"] = selectors.callon_history(session=session)
    ctx["remaining"] = selectors.callon_remaining(session=session)
    return render(request, "evaluation/callon.html#stage", ctx)
