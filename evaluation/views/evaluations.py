"""Course evaluation (满意度测评): anonymous answers, receipts, results with the anonymity threshold,
reminders."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.errors import DomainError
from evaluation import selectors, services
from evaluation.forms import (
    EvaluationForm,
)
from evaluation.views._common import _form_error
from programs.access import Access, can_manage_program, program_get, session_get


@login_required
def evaluate(request, session_pk):
    session = session_get(user=request.user, pk=session_pk, need=Access.INVOLVED)
    if not selectors.attended(user=request.user, session=session):
        raise PermissionDenied
    done = session.evaluation_receipts.filter(user=request.user).exists()
    not_yet = session.end > timezone.now()
    form = EvaluationForm(request.POST or None)
    if request.method == "POST" and not done and not not_yet and form.is_valid():
        data = form.cleaned_data
        try:
            services.evaluation_submit(
                session=session, user=request.user, ratings=data, comment=data["comment"]
            )
        except DomainError as exc:
            _form_error(form, exc)
        else:
            messages.success(request, _("感谢您的评价!评价内容匿名保存。"))
            return redirect("evaluation:index")
    return render(
        request,
        "evaluation/evaluate.html",
        {"session": session, "form": form, "done": done, "not_yet": not_yet},
    )


@login_required
def session_results(request, session_pk):
    session, visible = selectors.session_results_get(user=request.user, pk=session_pk)
    summary = selectors.session_evaluation_summary(session=session) if visible else None
    return render(
        request,
        "evaluation/session_results.html",
        {
            "session": session,
            "answers": session.answer_count,
            "summary": summary,
            "visible": visible,
            "minimum": selectors.MIN_ANSWERS,
            "can_remind": can_manage_program(request.user, session.program),
        },
    )


@login_required
def program_results(request, program_pk):
    prog = program_get(user=request.user, pk=program_pk, need=Access.MANAGE)
    return render(
        request,
        "evaluation/program_results.html",
        {
            "program": prog,
            "rows": selectors.program_evaluation_rows(program=prog),
            "minimum": selectors.MIN_ANSWERS,
        },
    )


@login_required
@require_POST
def evaluation_remind(request, session_pk):
    session = session_get(user=request.user, pk=session_pk, need=Access.INVOLVED)
    if not can_manage_program(request.user, session.program):
        raise PermissionDenied
    n = services.evaluation_remind(session=session, by=request.user)
    messages.success(request, _("已提醒 %(n)s 位尚未评价的学员。") % {"n": n})
    return redirect("evaluation:session_results", session_pk=session.pk)


@login_required
def lecturer_results(request):
    lecturer, rows = selectors.lecturer_evaluation_rows(user=request.user)
    return render(
        request,
        "evaluation/lecturer_results.html",
        {
            "lecturer": lecturer,
            "rows": rows,
            "minimum": selectors.MIN_ANSWERS,
        },
    )
