"""Live scoring (现场打分、公开晒分): rounds, criteria, judges' sheets, ranking, the projector board and the
export."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Q
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django_htmx.http import HttpResponseStopPolling

from accounts.models import Role, RoleGrant, User
from core.errors import DomainError
from evaluation import selectors, services, tasks
from evaluation.forms import (
    RoundForm,
)
from evaluation.views._common import _form_error, _start_file
from programs.access import Access, program_get
from programs.models import ProgramStaff


def _judge_candidates(prog, user):
    organizers = RoleGrant.objects.filter(
        role__in=[Role.ORGANIZER, Role.ADMIN], unit__in=prog.organizing_unit.ancestors()
    ).values("user_id")
    return (
        User.objects.filter(
            Q(pk__in=organizers)
            | Q(pk__in=ProgramStaff.objects.filter(program=prog).values("user_id"))
            | Q(lecturer_profile__sessions__program=prog)
            | Q(pk=user.pk)
        )
        .distinct()
        .order_by("full_name")
    )


@login_required
def round_create(request, program_pk):
    prog = program_get(user=request.user, pk=program_pk, need=Access.MANAGE)
    form = RoundForm(request.POST or None, judge_candidates=_judge_candidates(prog, request.user))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            criteria = [
                {"name": p[0], "weight": p[1], "min": p[2] if len(p) > 3 else 0, "max": p[-1]}
                for p in services.parse_lines(data["criteria"], min_parts=3)
            ]
            presenters = [
                {
                    "name": p[0],
                    "position": p[1] if len(p) > 1 else "",
                    "topic": p[2] if len(p) > 2 else "",
                }
                for p in services.parse_lines(data["presenters"], min_parts=1)
            ]
            rnd = services.round_create(
                program=prog,
                title=data["title"],
                criteria=criteria,
                presenters=presenters,
                judge_users=data["judges"],
                drop_extremes=data["drop_extremes"],
                by=request.user,
            )
        except DomainError as exc:
            _form_error(form, exc)
        else:
            messages.success(request, _("评分轮次已创建,评委可以在手机上打分。"))
            return redirect("evaluation:round_detail", pk=rnd.pk)
    return render(request, "evaluation/round_form.html", {"form": form, "program": prog})


@login_required
def round_detail(request, pk):
    rnd = selectors.round_get(user=request.user, pk=pk)
    return render(
        request,
        "evaluation/round_detail.html",
        {
            "round": rnd,
            "ranking": selectors.round_ranking(rnd=rnd),
            "judges": selectors.judge_progress(rnd=rnd),
            "criteria": rnd.criteria.all(),
        },
    )


@login_required
def round_board(request, pk):
    """The projector ranking; htmx polls the #ranking partial until the round is locked."""
    rnd = selectors.round_get(user=request.user, pk=pk, need=Access.INVOLVED)
    ctx = {"round": rnd, "ranking": selectors.round_ranking(rnd=rnd)}
    if request.htmx:
        response = render(request, "evaluation/round_board.html#ranking", ctx)
        return HttpResponseStopPolling(response.content) if rnd.is_locked else response
    return render(request, "evaluation/round_board.html", ctx)


@login_required
@require_POST
def round_lock(request, pk):
    rnd = selectors.round_get(user=request.user, pk=pk)
    try:
        services.round_lock(rnd=rnd, by=request.user)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("评分已锁定,结果已保存。"))
    return redirect("evaluation:round_detail", pk=rnd.pk)


@login_required
@require_POST
def round_export(request, pk):
    rnd = selectors.round_get(user=request.user, pk=pk)
    return _start_file(
        request,
        kind="evaluation.scoring_export",
        title=_("评分结果 · %(t)s") % {"t": rnd.title},
        params={"round": rnd.pk},
        task=tasks.round_export_task,
        round_id=rnd.pk,
    )


@login_required
def judge_home(request, pk):
    rnd = selectors.round_get(user=request.user, pk=pk, need=Access.NONE)
    judge = selectors.judge_get(user=request.user, rnd=rnd)
    return render(
        request,
        "evaluation/judge_home.html",
        {
            "round": rnd,
            "presenters": selectors.judge_presenters(rnd=rnd, judge=judge),
        },
    )


@login_required
def judge_score(request, pk, presenter_pk):
    rnd = selectors.round_get(user=request.user, pk=pk, need=Access.NONE)
    selectors.judge_get(user=request.user, rnd=rnd)
    presenter = selectors._get(rnd.presenters.all(), presenter_pk)
    criteria = list(rnd.criteria.all())
    error, values = None, {}
    if request.method == "POST":
        values = {str(c.pk): request.POST.get(f"c{c.pk}", "") for c in criteria}
        try:
            services.score_submit(
                rnd=rnd, presenter=presenter, judge_user=request.user, values=values
            )
        except DomainError as exc:
            error = exc.message
        else:
            messages.success(request, _("已提交对 %(n)s 的评分。") % {"n": presenter.name})
            return redirect("evaluation:judge_home", pk=rnd.pk)
    for c in criteria:
        c.value = values.get(str(c.pk), "")
    sheet = presenter.sheets.filter(judge__user=request.user).first()
    return render(
        request,
        "evaluation/judge_score.html",
        {
            "round": rnd,
            "presenter": presenter,
            "criteria": criteria,
            "error": error,
            "sheet": sheet,
        },
        status=400 if error else 200,
    )
