"""Reflections (学习体会): writing tasks, drafts and submission, similarity, review and the collection
of excellent essays."""

import contextlib
import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from core.errors import DomainError
from core.files import serve_file
from evaluation import selectors, services, tasks
from evaluation.forms import (
    AssignmentForm,
    ReviewForm,
)
from evaluation.models import REFLECTION_MAX
from evaluation.views._common import PAGE_SIZE, _form_error, _start_file
from programs.access import Access, program_get


@login_required
def assignment_create(request, program_pk):
    prog = program_get(user=request.user, pk=program_pk, need=Access.MANAGE)
    form = AssignmentForm(
        request.POST or None,
        initial={
            "deadline": timezone.localtime().replace(hour=18, minute=0) + dt.timedelta(days=3),
            "min_chars": 1000,
        },
    )
    if request.method == "POST" and form.is_valid():
        try:
            a = services.assignment_create(program=prog, by=request.user, **form.cleaned_data)
        except DomainError as exc:
            _form_error(form, exc)
        else:
            messages.success(request, _("心得体会任务已发布。"))
            return redirect("evaluation:assignment_detail", pk=a.pk)
    return render(request, "evaluation/assignment_form.html", {"form": form, "program": prog})


@login_required
def assignment_edit(request, pk):
    assignment = selectors.assignment_get(user=request.user, pk=pk)
    form = AssignmentForm(request.POST or None, instance=assignment)
    if request.method == "POST" and form.is_valid():
        fields = {k: form.cleaned_data[k] for k in form.changed_data}
        try:
            if fields:
                services.assignment_update(assignment=assignment, by=request.user, **fields)
        except DomainError as exc:
            _form_error(form, exc)
        else:
            messages.success(request, _("已保存。"))
            return redirect("evaluation:assignment_detail", pk=assignment.pk)
    return render(
        request,
        "evaluation/assignment_form.html",
        {"form": form, "program": assignment.program, "assignment": assignment},
    )


@login_required
def assignment_detail(request, pk):
    assignment = selectors.assignment_get(user=request.user, pk=pk)
    show = request.GET.get("show", "")
    show = show if show in ("todo", "flagged") else ""
    page = selectors.assignment_review_page(
        assignment=assignment, show=show, page=request.GET.get("page")
    )
    return render(
        request,
        "evaluation/assignment_detail.html",
        {
            "assignment": assignment,
            "page": page,
            "rows": page.object_list,
            "counts": selectors.assignment_review_counts(assignment=assignment),
            "show": show,
        },
    )


@login_required
def reflection_write(request, pk):
    assignment = selectors.assignment_get_for_trainee(user=request.user, pk=pk)
    reflection = selectors.reflection_of(assignment=assignment, user=request.user)
    return render(
        request,
        "evaluation/reflection_write.html",
        {
            "assignment": assignment,
            "reflection": reflection,
            "past_deadline": timezone.now() > assignment.deadline,
            "body_max": REFLECTION_MAX,
        },
    )


@login_required
@require_POST
def reflection_autosave(request, pk):
    """htmx autosave: returns the save-status partial; 409 when the essay can no longer change."""
    assignment = selectors.assignment_get_for_trainee(user=request.user, pk=pk)
    try:
        rev = int(request.POST.get("rev") or 0)
    except ValueError:
        rev = 0
    ctx = {"assignment": assignment}
    try:
        ctx["reflection"] = services.reflection_save_draft(
            assignment=assignment,
            user=request.user,
            body=request.POST.get("body", ""),
            title=request.POST.get("title", ""),
            rev=rev,
        )
    except DomainError as exc:
        ctx["save_error"] = exc.message
        return render(request, "evaluation/reflection_write.html#save_status", ctx, status=409)
    return render(request, "evaluation/reflection_write.html#save_status", ctx)


@login_required
@require_POST
def reflection_submit(request, pk):
    assignment = selectors.assignment_get_for_trainee(user=request.user, pk=pk)
    body, title = request.POST.get("body", ""), request.POST.get("title", "")
    try:
        services.reflection_submit(
            assignment=assignment,
            user=request.user,
            body=body,
            title=title,
            attachment=request.FILES.get("attachment"),
        )
    except DomainError as exc:
        # Keep what was typed: store it as the draft, then show the editor with the message.
        with contextlib.suppress(DomainError):
            services.reflection_save_draft(
                assignment=assignment, user=request.user, body=body, title=title
            )
        messages.error(request, exc.message)
        return redirect("evaluation:reflection_write", pk=assignment.pk)
    messages.success(request, _("心得已提交。"))
    return redirect("evaluation:reflection_write", pk=assignment.pk)


@login_required
def reflection_review(request, pk):
    reflection = selectors.reflection_get_for_review(user=request.user, pk=pk)
    form = ReviewForm(
        request.POST or None,
        initial={
            "grade": reflection.grade,
            "score": reflection.score,
            "comment": reflection.review_comment,
        },
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            if request.POST.get("action") == "return":
                services.reflection_return(
                    reflection=reflection, comment=data["comment"], by=request.user
                )
                messages.success(request, _("已退回修改。"))
            else:
                services.reflection_review(
                    reflection=reflection,
                    grade=data["grade"],
                    score=data["score"],
                    comment=data["comment"],
                    by=request.user,
                )
                messages.success(request, _("评阅已保存。"))
        except DomainError as exc:
            _form_error(form, exc)
        else:
            return redirect("evaluation:assignment_detail", pk=reflection.assignment_id)
    flags = selectors.similarity_flags_for(reflection=reflection)
    for f in flags:
        f.other = f.second if f.first_id == reflection.pk else f.first
    from evaluation.similarity import chinese_length

    return render(
        request,
        "evaluation/reflection_review.html",
        {
            "reflection": reflection,
            "form": form,
            "flags": flags,
            "length": chinese_length(reflection.body),
        },
    )


@login_required
@require_safe
def reflection_attachment(request, pk):
    """A reflection's attachment: for its author and the program's managers only (everyone
    else, and a reflection without one, 404), as a download with a readable Chinese name."""
    reflection = selectors.reflection_with_attachment_get(user=request.user, pk=pk)
    return serve_file(
        request,
        reflection.attachment,
        filename=services.reflection_attachment_filename(reflection),
    )


@login_required
def review_queue(request):
    """The submitted reflections waiting for the user's review, across their classes (what the
    home panel's "N 篇心得待评阅" counts)."""
    page = Paginator(selectors.reflections_to_review(user=request.user), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "evaluation/review_queue.html",
        {"page": page, "rows": page.object_list},
    )


@login_required
@require_POST
def collection_pdf(request, pk):
    assignment = selectors.assignment_get(user=request.user, pk=pk)
    if not selectors.excellent_reflections(assignment=assignment).exists():
        messages.error(request, _("还没有评为优秀的心得,无法汇编。"))
        return redirect("evaluation:assignment_detail", pk=assignment.pk)
    return _start_file(
        request,
        kind="evaluation.reflection_collection",
        title=_("优秀心得汇编 · %(t)s") % {"t": assignment.title},
        params={"assignment": assignment.pk},
        task=tasks.reflection_collection_task,
        assignment_id=assignment.pk,
    )
