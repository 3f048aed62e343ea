import contextlib
import datetime as dt
import time

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Q
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe
from django_htmx.http import HttpResponseStopPolling

from accounts.models import Rank, Role, RoleGrant, User
from accounts.scoping import roles_of
from core.errors import DomainError
from core.files import serve_file
from core.services import generated_file_start
from evaluation import selectors, services, tasks
from evaluation.forms import (
    AssignmentForm,
    CommitmentForm,
    CreditPolicyForm,
    EvaluationForm,
    ProgressForm,
    ReviewForm,
    RoundForm,
)
from evaluation.models import REFLECTION_MAX, CreditPolicy
from programs.access import Access, can_manage_program, program_get, session_get
from programs.models import ProgramStaff, Session

PAGE_SIZE = 50


def _form_error(form, exc: DomainError):
    form.add_error(exc.field if exc.field in form.fields else None, exc.message)


def _start_file(request, *, kind, title, params, task, **task_kwargs):
    """Start a file-producing job (core queues it after commit, or keeps it waiting while the
    broker is down) and go to its progress page."""
    gf = generated_file_start(
        owner=request.user,
        kind=kind,
        title=title,
        params=params,
        task=task,
        args=list(task_kwargs.values()),
    )
    return redirect("generated_file", pk=gf.pk)


# --- Home ---------------------------------------------------------------------------------------


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


# --- Reflections ----------------------------------------------------------------------------


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


# --- Course evaluation ------------------------------------------------------------------------


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


# --- Live scoring -----------------------------------------------------------------------------


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


# --- Call-on ----------------------------------------------------------------------------------


@login_required
def callon(request, session_pk):
    session = session_get(user=request.user, pk=session_pk, need=Access.MANAGE)
    return render(
        request,
        "evaluation/callon.html",
        {
            "session": session,
            "history": selectors.callon_history(session=session),
            "remaining": len(selectors.callon_candidates(session=session)),
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
    ctx["remaining"] = len(selectors.callon_candidates(session=session))
    return render(request, "evaluation/callon.html#stage", ctx)


# --- Completion and certificates ----------------------------------------------------------------


@login_required
def completion(request, program_pk):
    prog = program_get(user=request.user, pk=program_pk, need=Access.MANAGE)
    rows = selectors.completion_assess(program=prog)  # everyone: the totals need them all
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "evaluation/completion.html",
        {
            "program": prog,
            "page": page,
            "rows": page.object_list,
            "total": len(rows),
            "passed": sum(r.passed for r in rows),
            "confirmed": any(r.completion for r in rows),
            "would_revoke": selectors.certificates_to_revoke(program=prog, rows=rows),
        },
    )


@login_required
@require_POST
def completion_confirm(request, program_pk):
    prog = program_get(user=request.user, pk=program_pk, need=Access.MANAGE)
    try:
        result = services.completion_confirm(program=prog, by=request.user)
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("evaluation:completion", program_pk=prog.pk)
    messages.success(
        request,
        _("结业结果已确认:%(p)s / %(t)s 人准予结业,新发证书 %(i)s 份。")
        % {"p": result["passed"], "t": result["trainees"], "i": result["issued"]},
    )
    if result["revoked"]:
        messages.warning(
            request,
            _("%(n)s 名学员不再符合结业条件,其证书已撤销并已通知本人。") % {"n": result["revoked"]},
        )
    if result["reinstated"]:
        messages.success(
            request,
            _("%(n)s 份此前撤销的证书已恢复有效(原编号)。") % {"n": result["reinstated"]},
        )
    return redirect("evaluation:completion", program_pk=prog.pk)


@login_required
@require_POST
def certificate_pdf(request, pk):
    cert = selectors.certificate_get(user=request.user, pk=pk)
    refusal = services.certificate_refusal(cert)
    if refusal:
        messages.error(request, refusal)
        if cert.completion.user_id == request.user.pk:
            return redirect("evaluation:index")
        return redirect("evaluation:completion", program_pk=cert.completion.program_id)
    return _start_file(
        request,
        kind="evaluation.certificate",
        title=_("结业证书 %(s)s") % {"s": cert.serial},
        params={"certificate": cert.pk},
        task=tasks.certificate_pdf_task,
        certificate_id=cert.pk,
    )


# Public certificate checks per client address: enough for an HR office checking a stack of
# certificates by hand, far too few to walk the serial space.
VERIFY_LIMIT = 30
VERIFY_WINDOW = 600  # seconds


def _verify_allowed(request) -> bool:
    """Count one lookup for the client (REMOTE_ADDR, which the proxy middleware sets to the real
    client behind a configured reverse proxy); False once over the limit in this window."""
    window = int(time.time()) // VERIFY_WINDOW
    key = f"evaluation:verify:{request.META.get('REMOTE_ADDR', '')}:{window}"
    cache.add(key, 0, VERIFY_WINDOW + 5)
    try:
        n = cache.incr(key)
    except ValueError:  # evicted between add and incr
        cache.set(key, 1, VERIFY_WINDOW + 5)
        n = 1
    return n <= VERIFY_LIMIT


def _too_many(request, typed=""):
    return render(
        request,
        "evaluation/verify.html",
        {"limited": True, "serial": typed[:60], "minutes": VERIFY_WINDOW // 60},
        status=429,
    )


def verify_form(request):
    """The public box: takes a serial or a pasted verification URL."""
    typed = request.GET.get("serial", "").strip()
    if not typed:
        return render(request, "evaluation/verify.html", {"searched": False})
    serial = selectors.serial_from_input(typed)
    if serial:
        return redirect("evaluation:verify", serial=serial)
    if not _verify_allowed(request):
        return _too_many(request, typed)
    return render(
        request,
        "evaluation/verify.html",
        {"cert": None, "serial": typed[:60], "searched": True},
        status=404,
    )


def verify(request, serial):
    """Public: what a verifier needs (masked name, program, period, status), nothing else."""
    if not _verify_allowed(request):
        return _too_many(request, serial)
    cert = selectors.certificate_by_serial(serial)
    return render(
        request,
        "evaluation/verify.html",
        {
            "cert": cert,
            "serial": serial[:60],
            "searched": True,
            "holder": selectors.masked_name(cert.holder_name) if cert else "",
            "program": cert.completion.program if cert else None,
        },
        status=200 if cert else 404,
    )


# --- Credit hours -----------------------------------------------------------------------------


def _year(request) -> int:
    try:
        year = int(request.GET.get("year", ""))
    except ValueError:
        year = timezone.localdate().year
    return year if 2000 <= year <= 2100 else timezone.localdate().year


@login_required
def credits_mine(request):
    year = _year(request)
    records, total, required = selectors.credit_record(user=request.user, year=year)
    return render(
        request,
        "evaluation/credits_mine.html",
        {
            "year": year,
            "records": records,
            "total": total,
            "required": required,
            "short": (required - total) if required is not None and total < required else None,
            "years": range(timezone.localdate().year, timezone.localdate().year - 4, -1),
        },
    )


@login_required
def credits_overview(request):
    year = _year(request)
    behind = request.GET.get("behind") == "1"
    qs = selectors.credit_overview(user=request.user, year=year, behind_only=behind)
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "evaluation/credits_overview.html",
        {
            "year": year,
            "page": page,
            "behind": behind,
            "years": range(timezone.localdate().year, timezone.localdate().year - 4, -1),
        },
    )


@login_required
def credit_policy(request, program_pk):
    prog = program_get(user=request.user, pk=program_pk, need=Access.MANAGE)
    instance = CreditPolicy.objects.filter(program=prog).first() or CreditPolicy(program=prog)
    form = CreditPolicyForm(request.POST or None, instance=instance)
    if request.method == "POST" and form.is_valid():
        try:
            services.credit_policy_set(
                program=prog,
                by=request.user,
                **{k: form.cleaned_data[k] for k in CreditPolicyForm.Meta.fields},
            )
        except DomainError as exc:
            _form_error(form, exc)
        else:
            messages.success(request, _("学时认定规则已保存。"))
            return redirect("evaluation:program", pk=prog.pk)
    return render(request, "evaluation/credit_policy.html", {"form": form, "program": prog})


@login_required
def credit_requirements(request):
    if not roles_of(request.user).is_admin:
        raise PermissionDenied
    errors = {}
    if request.method == "POST":
        for rank in Rank.values:
            try:
                with transaction.atomic():
                    services.credit_requirement_set(
                        rank=rank, hours=request.POST.get(rank), by=request.user
                    )
            except DomainError as exc:
                errors[rank] = exc.message
        if not errors:
            messages.success(request, _("学时要求已保存。"))
            return redirect("evaluation:credit_requirements")
    rows = [
        (v, label, hours, errors.get(v)) for v, label, hours in selectors.credit_requirement_rows()
    ]
    return render(
        request,
        "evaluation/credit_requirements.html",
        {"rows": rows},
        status=400 if errors else 200,
    )


# --- Follow-up --------------------------------------------------------------------------------


@login_required
def followup_mine(request):
    programs = selectors.completed_programs_of(user=request.user)
    return render(
        request,
        "evaluation/followup_mine.html",
        {
            "commitments": selectors.commitments_of(user=request.user),
            "form": CommitmentForm(programs=programs) if programs.exists() else None,
            "today": timezone.localdate(),
        },
    )


@login_required
@require_POST
def commitment_create(request):
    programs = selectors.completed_programs_of(user=request.user)
    form = CommitmentForm(request.POST, programs=programs)
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.commitment_create(
                program=data["program"],
                user=request.user,
                title=data["title"],
                description=data["description"],
                due_date=data["due_date"],
            )
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("承诺已记录。"))
    else:
        messages.error(
            request,
            _("请检查填写内容:")
            + "; ".join(
                f"{form.fields[f].label if f in form.fields else ''}{' '.join(e)}"
                for f, e in form.errors.items()
            ),
        )
    return redirect("evaluation:followup_mine")


@login_required
@require_POST
def commitment_progress(request, pk):
    commitment = selectors.commitment_get_for_owner(user=request.user, pk=pk)
    form = ProgressForm(request.POST)
    if form.is_valid():
        try:
            services.commitment_progress(
                commitment=commitment, user=request.user, **form.cleaned_data
            )
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("进展已更新。"))
    else:
        messages.error(request, _("请填写进展情况和 0–100 的进度。"))
    return redirect("evaluation:followup_mine")


@login_required
def followup_program(request, program_pk):
    prog = program_get(user=request.user, pk=program_pk, need=Access.MANAGE)
    rows = selectors.followup_rows(program=prog)  # everyone: `behind` counts them all
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "evaluation/followup_program.html",
        {
            "program": prog,
            "page": page,
            "rows": page.object_list,
            "behind": sum(c.behind for c in rows),
        },
    )


@login_required
@require_POST
def followup_remind(request, program_pk):
    prog = program_get(user=request.user, pk=program_pk, need=Access.MANAGE)
    n = services.followup_remind(program=prog, by=request.user)
    messages.success(request, _("已提醒 %(n)s 位进度落后的学员。") % {"n": n})
    return redirect("evaluation:followup_program", program_pk=prog.pk)
