"""Reads for evaluation: access checks, review lists, aggregates, rankings, credit hours.

Every function that takes user input returns 404 outside the user's scope (programs.access)."""

import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.core.exceptions import PermissionDenied
from django.db.models import (
    Avg,
    Case,
    Count,
    DecimalField,
    Exists,
    ExpressionWrapper,
    F,
    IntegerField,
    OuterRef,
    Q,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce, Round
from django.http import Http404
from django.utils import timezone

from accounts.models import Rank, User
from accounts.scoping import organizer_scope_q, roles_of
from attendance.models import AttendanceRecord, AttendanceStatus
from attendance.rules import IN_ROOM as ATTENDED  # in the room, pending check-out included
from core.numbers import round_hours
from enrollment.models import Enrollment
from evaluation.models import (
    DEFAULT_CREDIT_PERCENT,
    DEFAULT_REQUIRED_HOURS,
    INDICATORS,
    CallOnPick,
    Certificate,
    Commitment,
    Completion,
    CreditRequirement,
    EvaluationAnswer,
    EvaluationReceipt,
    Grade,
    Judge,
    Presenter,
    Rating,
    Reflection,
    ReflectionAssignment,
    ScoreSheet,
    ScoringRound,
    SimilarityFlag,
)
from programs.access import Access, program_access
from programs.models import Lecturer, Program, ProgramStaff, Session

# Below this many answers a session's ratings and comments are shown to nobody (lecturers,
# class managers, organizers, admins alike): with two or three answers, an average or a comment
# points at the person too easily. Only the number of answers is shown.
MIN_ANSWERS = 5
TWO = Decimal("0.01")


def _require(user, program: Program, need: Access) -> Access:
    level = program_access(user, program)
    if level == Access.NONE:
        raise Http404
    if level < need:
        raise PermissionDenied
    return level


def _get(qs, pk):
    try:
        return qs.get(pk=pk)
    except (qs.model.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def is_enrolled(user, program: Program) -> bool:
    return Enrollment.objects.filter(
        program=program, user=user, status=Enrollment.Status.ENROLLED
    ).exists()


def enrolled_users(program: Program):
    return User.objects.filter(
        enrollments__program=program, enrollments__status=Enrollment.Status.ENROLLED
    ).select_related("unit")


# --- Reflections ----------------------------------------------------------------------------


def assignment_get(*, user, pk, need: Access = Access.MANAGE) -> ReflectionAssignment:
    assignment = _get(ReflectionAssignment.objects.select_related("program__organizing_unit"), pk)
    assignment.access = _require(user, assignment.program, need)
    return assignment


def assignment_get_for_trainee(*, user, pk) -> ReflectionAssignment:
    """The assignment if `user` is an enrolled trainee of its program (404 / 403 otherwise)."""
    assignment = assignment_get(user=user, pk=pk, need=Access.AUDIENCE)
    if not is_enrolled(user, assignment.program):
        raise PermissionDenied
    return assignment


def reflection_of(*, assignment, user) -> Reflection | None:
    return Reflection.objects.filter(assignment=assignment, author=user).first()


def reflection_get_for_review(*, user, pk) -> Reflection:
    reflection = _get(
        Reflection.objects.select_related(
            "assignment__program__organizing_unit", "author__unit", "reviewed_by"
        ),
        pk,
    )
    _require(user, reflection.assignment.program, Access.MANAGE)
    return reflection


def reflection_with_attachment_get(*, user, pk) -> Reflection:
    """A reflection whose attachment `user` may open: their own, or one in a program they
    MANAGE. Anything else is a 404 (nobody learns that the reflection exists)."""
    reflection = _get(
        Reflection.objects.select_related("assignment__program__organizing_unit", "author"), pk
    )
    if not reflection.attachment:
        raise Http404
    if reflection.author_id != user.pk and (
        program_access(user, reflection.assignment.program) < Access.MANAGE
    ):
        raise Http404
    return reflection


@dataclass
class ReviewRow:
    user: User
    reflection: Reflection | None
    flags: int = 0


REVIEW_PAGE_SIZE = 50


def assignment_review_page(*, assignment, show: str = "", page=None, per_page=REVIEW_PAGE_SIZE):
    """One page of enrolled trainees (by name) with their reflection and similarity-flag count.
    `show`: "todo" (submitted, not yet reviewed) or "flagged" (touched by a similarity flag).
    Four queries whatever the class size: count, the page of users, their reflections, flags."""
    from django.core.paginator import Paginator

    users = enrolled_users(assignment.program)
    mine = Reflection.objects.filter(assignment=assignment, author=OuterRef("pk"))
    if show == "todo":
        users = users.filter(Exists(mine.filter(status=Reflection.Status.SUBMITTED)))
    elif show == "flagged":
        flags = SimilarityFlag.objects.filter(assignment=assignment)
        users = users.filter(
            Exists(flags.filter(first__author=OuterRef("pk")))
            | Exists(flags.filter(second__author=OuterRef("pk")))
        )
    page_obj = Paginator(users.order_by("full_name", "id"), per_page).get_page(page)
    page_users = list(page_obj.object_list)
    reflections = {
        r.author_id: r
        for r in Reflection.objects.filter(
            assignment=assignment, author__in=[u.pk for u in page_users]
        ).only(
            "id",
            "author_id",
            "status",
            "grade",
            "score",
            "submitted_at",
            "is_late",
            "draft_saved_at",
            "assignment_id",
        )
    }
    ids = [r.pk for r in reflections.values()]
    flag_counts: Counter = Counter()
    for a, b in SimilarityFlag.objects.filter(
        Q(first_id__in=ids) | Q(second_id__in=ids), assignment=assignment
    ).values_list("first_id", "second_id"):
        flag_counts[a] += 1
        flag_counts[b] += 1
    page_obj.object_list = [
        ReviewRow(
            user=u,
            reflection=reflections.get(u.pk),
            flags=flag_counts[reflections[u.pk].pk] if u.pk in reflections else 0,
        )
        for u in page_users
    ]
    return page_obj


def assignment_review_counts(*, assignment) -> dict:
    """How many enrolled trainees have not submitted, await review, were returned, reviewed.
    Two queries."""
    total = enrolled_users(assignment.program).count()
    by_status = dict(
        Reflection.objects.filter(
            assignment=assignment,
            author__enrollments__program=assignment.program_id,
            author__enrollments__status=Enrollment.Status.ENROLLED,
        )
        .values_list("status")
        .annotate(n=Count("id"))
        .order_by()
    )
    handed_in = sum(n for st, n in by_status.items() if st != Reflection.Status.DRAFT)
    return {
        "total": total,
        "missing": total - handed_in,
        "submitted": by_status.get(Reflection.Status.SUBMITTED, 0),
        "returned": by_status.get(Reflection.Status.RETURNED, 0),
        "reviewed": by_status.get(Reflection.Status.REVIEWED, 0),
    }


def reflections_to_review(*, user):
    """Submitted reflections awaiting review in the programs `user` works on as class staff:
    what the home panel counts and the review queue lists."""
    staff = ProgramStaff.objects.filter(program=OuterRef("assignment__program"), user=user)
    return (
        Reflection.objects.filter(Exists(staff), status=Reflection.Status.SUBMITTED)
        .select_related("assignment__program", "author__unit")
        .defer("body", "review_comment")
        .order_by("submitted_at", "id")
    )


def similarity_flags_for(*, reflection):
    return SimilarityFlag.objects.filter(Q(first=reflection) | Q(second=reflection)).select_related(
        "first__author", "second__author"
    )


def excellent_reflections(*, assignment):
    return (
        Reflection.objects.filter(assignment=assignment, grade=Grade.EXCELLENT)
        .exclude(status=Reflection.Status.RETURNED)
        .select_related("author__unit")
        .order_by("author__full_name", "id")
    )


def trainee_assignments(*, user):
    """Assignments of the programs the user is enrolled in, each with the user's reflection."""
    assignments = list(
        ReflectionAssignment.objects.filter(
            program__enrollments__user=user,
            program__enrollments__status=Enrollment.Status.ENROLLED,
        )
        .select_related("program")
        .order_by("-deadline")
    )
    mine = {
        r.assignment_id: r
        for r in Reflection.objects.filter(author=user, assignment__in=assignments).only(
            "id", "assignment_id", "status", "grade", "draft_saved_at", "submitted_at"
        )
    }
    for a in assignments:
        a.mine = mine.get(a.pk)
    return assignments


# --- Course evaluation ------------------------------------------------------------------------


def attended(*, user, session) -> bool:
    return AttendanceRecord.objects.filter(session=session, user=user, status__in=ATTENDED).exists()


def sessions_to_evaluate(*, user, limit: int = 50):
    """Sessions the user attended (and that have ended) without a receipt yet."""
    now = timezone.now()
    return (
        Session.objects.filter(attendance__user=user, attendance__status__in=ATTENDED, end__lte=now)
        .exclude(evaluation_receipts__user=user)
        .select_related("program")
        .order_by("-start")[:limit]
    )


def _aggregate_kwargs() -> dict:
    kwargs = {"n": Count("id")}
    for name, _label in INDICATORS:
        kwargs[f"{name}_avg"] = Avg(name)
        for value in Rating.values:
            kwargs[f"{name}_{value}"] = Count("id", filter=Q(**{name: value}))
    return kwargs


@dataclass
class IndicatorSummary:
    key: str
    label: str
    average: Decimal | None
    counts: list  # [(label, count, percent)]
    satisfaction: Decimal | None  # share of 满意 + 较满意, percent


def _summaries(agg: dict) -> list[IndicatorSummary]:
    n = agg["n"] or 0
    out = []
    for name, label in INDICATORS:
        counts = []
        for value, rating_label in Rating.choices:
            c = agg[f"{name}_{value}"]
            pct = (Decimal(c) * 100 / n).quantize(Decimal("0.1")) if n else Decimal(0)
            counts.append((rating_label, c, pct))
        good = agg[f"{name}_{Rating.SATISFIED}"] + agg[f"{name}_{Rating.FAIRLY}"]
        avg = agg[f"{name}_avg"]
        out.append(
            IndicatorSummary(
                key=name,
                label=label,
                average=Decimal(str(avg)).quantize(TWO) if avg is not None else None,
                counts=counts,
                satisfaction=(Decimal(good) * 100 / n).quantize(Decimal("0.1")) if n else None,
            )
        )
    return out


def session_evaluation_summary(*, session) -> dict:
    """Aggregates of one session's answers, in one query (plus one for the comments). Below
    MIN_ANSWERS answers only the count comes back (`hidden`): no breakdown, no comments."""
    agg = EvaluationAnswer.objects.filter(session=session).aggregate(**_aggregate_kwargs())
    if agg["n"] < MIN_ANSWERS:
        return {"n": agg["n"], "hidden": True, "indicators": [], "comments": []}
    comments = list(
        EvaluationAnswer.objects.filter(session=session)
        .exclude(comment="")
        .order_by("id")
        .values_list("comment", flat=True)[:200]
    )
    return {"n": agg["n"], "hidden": False, "indicators": _summaries(agg), "comments": comments}


def session_results_get(*, user, pk) -> tuple[Session, bool]:
    """The session and whether the user may open its results page: its managers and its
    lecturers (403/404 for others). `visible` is whether there are MIN_ANSWERS answers, below
    which no one sees ratings or comments (session_evaluation_summary enforces it as well)."""
    session = _get(Session.objects.select_related("program__organizing_unit"), pk)
    level = program_access(user, session.program)
    if level == Access.NONE:
        raise Http404
    if level != Access.MANAGE and not session.lecturers.filter(user=user).exists():
        raise PermissionDenied
    n = EvaluationAnswer.objects.filter(session=session).count()
    session.answer_count = n
    return session, n >= MIN_ANSWERS


def _session_rollup(qs):
    receipts = (
        EvaluationReceipt.objects.filter(session=OuterRef("pk"))
        .order_by()
        .values("session")
        .annotate(c=Count("id"))
        .values("c")
    )
    attended_count = (
        AttendanceRecord.objects.filter(session=OuterRef("pk"), status__in=ATTENDED)
        .order_by()
        .values("session")
        .annotate(c=Count("id"))
        .values("c")
    )
    return qs.annotate(
        answers=Count("evaluation_answers"),
        overall_avg=Avg("evaluation_answers__overall"),
        satisfied=Count(
            "evaluation_answers", filter=Q(evaluation_answers__overall__gte=Rating.FAIRLY)
        ),
        receipts=Coalesce(Subquery(receipts, output_field=IntegerField()), 0),
        attended_count=Coalesce(Subquery(attended_count, output_field=IntegerField()), 0),
    )


def _with_rates(sessions):
    """Satisfaction and average per session, left out (None, `visible` False) below
    MIN_ANSWERS answers."""
    for s in sessions:
        s.visible = s.answers >= MIN_ANSWERS
        if not s.visible:
            s.satisfaction = s.overall_avg = None
            continue
        s.satisfaction = (
            (Decimal(s.satisfied) * 100 / s.answers).quantize(Decimal("0.1")) if s.answers else None
        )
        s.overall_avg = Decimal(str(s.overall_avg)).quantize(TWO) if s.overall_avg else None
    return sessions


def program_evaluation_rows(*, program):
    """Each session of the program with answer counts, receipts and satisfaction: one query."""
    qs = Session.objects.filter(program=program).order_by("start")
    return _with_rates(list(_session_rollup(qs)))


def lecturer_evaluation_rows(*, user):
    """The sessions a lecturer taught, with aggregates hidden below MIN_ANSWERS."""
    lecturer = Lecturer.objects.filter(user=user).first()
    if lecturer is None:
        raise PermissionDenied
    qs = Session.objects.filter(lecturers=lecturer).select_related("program").order_by("-start")
    return lecturer, _with_rates(list(_session_rollup(qs)))


def pending_evaluators(*, session):
    """Attendees of the session who have not yet evaluated it."""
    return User.objects.filter(
        attendance__session=session, attendance__status__in=ATTENDED
    ).exclude(evaluation_receipts__session=session)


# --- Live scoring -----------------------------------------------------------------------------


def round_get(*, user, pk, need: Access = Access.MANAGE) -> ScoringRound:
    """A scoring round. Judges count as INVOLVED even outside the program."""
    rnd = _get(ScoringRound.objects.select_related("program__organizing_unit"), pk)
    level = program_access(user, rnd.program)
    if level < Access.INVOLVED and Judge.objects.filter(round=rnd, user=user).exists():
        level = Access.INVOLVED
    if level == Access.NONE:
        raise Http404
    if level < need:
        raise PermissionDenied
    rnd.access = level
    return rnd


def judge_get(*, user, rnd) -> Judge:
    judge = Judge.objects.filter(round=rnd, user=user).first()
    if judge is None:
        raise PermissionDenied
    return judge


@dataclass
class RankingRow:
    presenter: Presenter
    scores: list = field(default_factory=list)
    dropped: list = field(default_factory=list)
    average: Decimal | None = None
    rank: int | None = None


def round_ranking(*, rnd) -> list[RankingRow]:
    """Presenters ranked by their mean weighted score (highest and lowest dropped when the round
    says so and at least three judges have scored). Two queries."""
    rows = {p.pk: RankingRow(presenter=p) for p in Presenter.objects.filter(round=rnd)}
    for presenter_id, total in ScoreSheet.objects.filter(round=rnd).values_list(
        "presenter_id", "total"
    ):
        rows[presenter_id].scores.append(total)
    for row in rows.values():
        scores = sorted(row.scores)
        if rnd.drop_extremes and len(scores) >= 3:
            row.dropped = [scores[0], scores[-1]]
            scores = scores[1:-1]
        if scores:
            row.average = (sum(scores) / len(scores)).quantize(TWO, rounding=ROUND_HALF_UP)
    ranked = sorted(
        rows.values(),
        key=lambda r: (r.average is None, -(r.average or 0), r.presenter.order, r.presenter.pk),
    )
    position = 0
    previous = None
    for i, row in enumerate(ranked, start=1):
        if row.average is None:
            continue
        if row.average != previous:
            position = i
            previous = row.average
        row.rank = position
    return ranked


def judge_progress(*, rnd):
    """For the organizer: how many sheets each judge has written. One query."""
    return (
        Judge.objects.filter(round=rnd)
        .select_related("user")
        .annotate(done=Count("sheets"))
        .order_by("user__full_name")
    )


def judge_presenters(*, rnd, judge):
    done = set(ScoreSheet.objects.filter(judge=judge).values_list("presenter_id", flat=True))
    presenters = list(Presenter.objects.filter(round=rnd))
    for p in presenters:
        p.scored = p.pk in done
    return presenters


# --- Call-on ----------------------------------------------------------------------------------


def callon_candidates(*, session) -> list[tuple[User, int]]:
    """Trainees checked in to the session and not yet called in it, each with how many times
    they have spoken in the whole program."""
    picked_here = CallOnPick.objects.filter(session=session).values("user_id")
    users = list(
        User.objects.filter(
            attendance__session=session,
            attendance__checkin_at__isnull=False,
            attendance__status__in=ATTENDED,
            enrollments__program_id=session.program_id,
            enrollments__status=Enrollment.Status.ENROLLED,
        )
        .exclude(pk__in=picked_here)
        .select_related("unit")
        .distinct()
    )
    spoken = Counter(
        CallOnPick.objects.filter(program_id=session.program_id).values_list("user_id", flat=True)
    )
    return [(u, spoken[u.pk]) for u in users]


def callon_history(*, session, limit: int = 50):
    return CallOnPick.objects.filter(session=session).select_related("user__unit")[:limit]


# --- Completion -------------------------------------------------------------------------------


@dataclass
class CompletionRow:
    user: User
    sessions_total: int
    attended: int
    on_leave: int
    unexcused: int
    rate: Decimal
    reflection_ok: bool
    score: Decimal | None
    passed: bool
    reasons: list
    completion: Completion | None = None


def completion_assess(*, program, until=None) -> list[CompletionRow]:
    """Each enrolled trainee's result under the program's completion rules, with reasons.
    A fixed number of queries whatever the class size."""
    from django.utils.translation import gettext as _

    from attendance.selectors import rate_tallies

    # The one attendance rate (attendance.rules), as on the trainee's and the manager's pages.
    tallies = rate_tallies(programs=[program], now=until or timezone.now())
    assignments = list(
        ReflectionAssignment.objects.filter(program=program).values_list("pk", flat=True)
    )
    accepted: Counter = Counter()
    scores: dict = defaultdict(list)
    for author_id, status, grade, score in Reflection.objects.filter(
        assignment_id__in=assignments
    ).values_list("author_id", "status", "grade", "score"):
        if status == Reflection.Status.REVIEWED and grade and grade != Grade.FAIL:
            accepted[author_id] += 1
        if status == Reflection.Status.REVIEWED and score is not None:
            scores[author_id].append(score)
    completions = {
        c.user_id: c
        for c in Completion.objects.filter(program=program).select_related("certificate")
    }
    rows = []
    for user in enrolled_users(program).order_by("full_name", "id"):
        tally = tallies.get(program.pk, user.pk)
        attended_n = sum(tally.n(s) for s in ATTENDED)
        leave = tally.n(AttendanceStatus.ON_LEAVE)
        unexcused = tally.unexcused
        rate = Decimal(str(tally.rate)) if tally.rate is not None else Decimal(100)
        reflection_ok = accepted[user.pk] >= len(assignments)
        score = (
            (sum(scores[user.pk]) / len(scores[user.pk])).quantize(Decimal("0.1"))
            if scores[user.pk]
            else None
        )
        reasons = []
        if tally.expected and tally.below(program.completion_min_attendance_rate):
            reasons.append(
                _("出勤率 %(rate)s%% 低于要求的 %(min)s%%")
                % {"rate": rate, "min": program.completion_min_attendance_rate}
            )
        if unexcused > program.completion_max_unexcused_absences:
            reasons.append(
                _("旷课 %(n)s 次,超过允许的 %(max)s 次")
                % {"n": unexcused, "max": program.completion_max_unexcused_absences}
            )
        if program.completion_requires_reflection and not reflection_ok:
            reasons.append(_("学习体会未提交或未通过评阅"))
        if program.completion_min_score is not None and score is None:
            reasons.append(
                _("尚无成绩(要求不低于 %(min)s)") % {"min": program.completion_min_score}
            )
        elif program.completion_min_score is not None and score < program.completion_min_score:
            reasons.append(
                _("成绩 %(score)s 低于要求的 %(min)s")
                % {"score": score, "min": program.completion_min_score}
            )
        rows.append(
            CompletionRow(
                user=user,
                sessions_total=tally.expected,
                attended=attended_n,
                on_leave=leave,
                unexcused=unexcused,
                rate=rate,
                reflection_ok=reflection_ok,
                score=score,
                passed=not reasons,
                reasons=reasons,
                completion=completions.get(user.pk),
            )
        )
    return rows


def completions_of_non_trainees(*, program):
    """Completions still marked passed, or with a certificate not yet revoked, of people who are
    no longer enrolled trainees of the program (withdrawn after a confirmation, say)."""
    return (
        Completion.objects.filter(program=program)
        .exclude(
            Exists(
                Enrollment.objects.filter(
                    program=program, user=OuterRef("user"), status=Enrollment.Status.ENROLLED
                )
            )
        )
        .filter(Q(passed=True) | Q(certificate__isnull=False, certificate__revoked_at__isnull=True))
        .select_related("certificate", "user")
    )


def certificate_of(completion) -> Certificate | None:
    if completion is None:
        return None
    try:
        return completion.certificate
    except Certificate.DoesNotExist:
        return None


def certificates_to_revoke(*, program, rows: list[CompletionRow]) -> int:
    """How many valid certificates a confirmation now would revoke: enrolled holders who no
    longer pass (from `rows`, completion_assess's) and holders no longer enrolled (one query)."""
    failing = sum(
        1
        for row in rows
        if not row.passed
        and (cert := certificate_of(row.completion)) is not None
        and not cert.is_revoked
    )
    gone = (
        completions_of_non_trainees(program=program)
        .filter(certificate__isnull=False, certificate__revoked_at__isnull=True)
        .count()
    )
    return failing + gone


_SERIAL = re.compile(r"^[A-Z0-9-]{1,40}$")


def serial_from_input(text: str) -> str:
    """The serial in what a verifier typed or pasted: the serial itself, or the verification URL
    (with or without scheme, query or fragment), whose last path segment is the serial. An empty
    string when nothing in it can be a serial."""
    text = (text or "").strip()[:500]
    text = text.split("#", 1)[0].split("?", 1)[0]
    parts = [p for p in text.split("/") if p.strip()]
    serial = parts[-1].strip().upper() if parts else ""
    return serial if _SERIAL.match(serial) else ""


def certificate_by_serial(serial: str) -> Certificate | None:
    serial = serial_from_input(serial)
    if not serial:
        return None
    return Certificate.objects.filter(serial=serial).select_related("completion__program").first()


def masked_name(name: str) -> str:
    """A holder's name as the public verification page shows it: 江沐阳 → 江*阳, 李娜 → 李*."""
    name = (name or "").strip()
    if len(name) <= 1:
        return name
    if len(name) == 2:
        return name[0] + "*"
    return name[0] + "*" * (len(name) - 2) + name[-1]


def certificate_get(*, user, pk) -> Certificate:
    """The holder downloads their own certificate; the program's managers any of theirs."""
    cert = _get(
        Certificate.objects.select_related(
            "completion__program__organizing_unit", "completion__user"
        ),
        pk,
    )
    if cert.completion.user_id != user.pk:
        _require(user, cert.completion.program, Access.MANAGE)
    return cert


def my_certificates(*, user, include_revoked: bool = False):
    """The user's certificates: the valid ones (what other apps list as held), or with
    include_revoked also those withdrawn, for the holder's own page."""
    qs = Certificate.objects.filter(completion__user=user).select_related("completion__program")
    if not include_revoked:
        qs = qs.filter(revoked_at__isnull=True)
    return qs


# --- Credit hours -----------------------------------------------------------------------------


def _credit_expr(prefix: str = ""):
    """Credit hours one attendance record earns: the session's hours × the program's percentage
    for the record's status (CreditPolicy, or the defaults)."""
    hours = F(f"{prefix}session__credit_hours")
    policy = f"{prefix}session__program__credit_policy__"

    def pct(status, column):
        return ExpressionWrapper(
            hours
            * Coalesce(F(policy + column), Value(DEFAULT_CREDIT_PERCENT[status]))
            * Value(Decimal("0.01")),
            output_field=DecimalField(max_digits=8, decimal_places=2),
        )

    status = f"{prefix}status"
    return Case(
        When(**{status: AttendanceStatus.PRESENT}, then=hours),
        When(**{status: AttendanceStatus.LATE}, then=pct("late", "late_percent")),
        When(**{status: AttendanceStatus.LEFT_EARLY}, then=pct("left_early", "left_early_percent")),
        When(
            **{status: AttendanceStatus.LATE_LEFT_EARLY},
            then=pct("late_left_early", "late_left_early_percent"),
        ),
        When(**{status: AttendanceStatus.ON_LEAVE}, then=pct("on_leave", "leave_percent")),
        default=Value(Decimal(0)),
        output_field=DecimalField(max_digits=8, decimal_places=2),
    )


def program_credit_hours(*, program) -> Decimal:
    """The hours a certificate states: the program's declared total (总学时), or when none was
    declared the sum of its sessions that were held (cancelled ones never count)."""
    if program.credit_hours:
        return round_hours(program.credit_hours)
    total = (
        Session.objects.filter(program=program)
        .exclude(status=Session.Status.CANCELLED)
        .aggregate(t=Sum("credit_hours"))["t"]
    )
    return round_hours(total)


def required_hours_by_rank() -> dict:
    required = dict(DEFAULT_REQUIRED_HOURS)
    required.update(dict(CreditRequirement.objects.values_list("rank", "hours")))
    return required


def credit_requirement_rows():
    required = required_hours_by_rank()
    return [(value, label, required[value]) for value, label in Rank.choices]


def _counts_for_credit(prefix: str = "", user_ref: str = "user") -> Q:
    """Which attendance records earn credit hours: those of sessions that were not cancelled, in
    programs the trainee is (still) enrolled in. The statistics rollups and the trainee record
    apply the same rule (reports.rollups, reports.selectors.trainee_record_data)."""
    enrolled = Enrollment.objects.filter(
        program=OuterRef(f"{prefix}session__program"),
        user=OuterRef(user_ref),
        status=Enrollment.Status.ENROLLED,
    )
    return ~Q(**{f"{prefix}session__status": Session.Status.CANCELLED}) & Q(Exists(enrolled))


def credit_record(*, user, year: int):
    """The user's attendance in `year` with the hours each record earned, and the total."""
    records = list(
        AttendanceRecord.objects.filter(
            _counts_for_credit(user_ref="user"), user=user, session__start__year=year
        )
        .select_related("session__program")
        .annotate(earned=_credit_expr())
        .order_by("session__start")
    )
    total = sum((r.earned or Decimal(0) for r in records), Decimal(0))
    required = required_hours_by_rank().get(user.rank) if user.rank else None
    return records, round_hours(total), required


def credit_overview(*, user, year: int, behind_only: bool = False):
    """Cadres in the organizer's units with their hours in `year` against their rank's
    requirement, most behind first. One query (plus the requirement table)."""
    roles = roles_of(user)
    if not (roles.is_admin or roles.is_organizer):
        raise PermissionDenied
    required = required_hours_by_rank()
    required_expr = Case(
        *[When(rank=rank, then=Value(hours)) for rank, hours in required.items()],
        default=Value(Decimal(0)),
        output_field=DecimalField(max_digits=6, decimal_places=1),
    )
    # Summed unrounded, rounded once to a tenth (ROUND, as the statistics rollups do;
    # core.numbers.round_hours on the trainee's page), so the shortfall is that of the shown hours.
    earned = Round(
        Coalesce(
            Sum(
                _credit_expr("attendance__"),
                filter=Q(attendance__session__start__year=year)
                & _counts_for_credit("attendance__", user_ref="pk"),
            ),
            Value(Decimal(0)),
            output_field=DecimalField(max_digits=8, decimal_places=2),
        ),
        1,
        output_field=DecimalField(max_digits=8, decimal_places=1),
    )
    qs = (
        User.objects.filter(organizer_scope_q(user, "unit"), is_active=True)
        .exclude(rank="")
        .annotate(earned=earned, required=required_expr)
        .annotate(
            shortfall=ExpressionWrapper(
                F("required") - F("earned"),
                output_field=DecimalField(max_digits=8, decimal_places=2),
            )
        )
        .select_related("unit")
        .order_by("-shortfall", "full_name", "id")
    )
    if behind_only:
        qs = qs.filter(shortfall__gt=0)
    return qs


# --- Follow-up --------------------------------------------------------------------------------

STALE_DAYS = 30


def commitments_of(*, user):
    return (
        Commitment.objects.filter(user=user).select_related("program").prefetch_related("updates")
    )


def completed_programs_of(*, user):
    return Program.objects.filter(completions__user=user, completions__passed=True).order_by(
        "-end_date"
    )


def commitment_get_for_owner(*, user, pk) -> Commitment:
    commitment = _get(Commitment.objects.select_related("program"), pk)
    if commitment.user_id != user.pk:
        raise Http404
    return commitment


def followup_rows(*, program, today=None):
    """The program's commitments with a `behind` flag: overdue and not done, or no update for
    STALE_DAYS days. One query."""
    today = today or timezone.localdate()
    stale_before = timezone.now() - timezone.timedelta(days=STALE_DAYS)
    rows = list(
        Commitment.objects.filter(program=program)
        .select_related("user__unit")
        .order_by("user__full_name", "due_date", "id")
    )
    for c in rows:
        overdue = c.status == Commitment.Status.OPEN and c.due_date < today
        stale = c.status == Commitment.Status.OPEN and (
            (c.last_update_at or c.created_at) < stale_before
        )
        c.overdue, c.stale = overdue, stale
        c.behind = overdue or stale
    return rows


def round_sheets_for_export(*, rnd):
    return (
        ScoreSheet.objects.filter(round=rnd)
        .select_related("presenter", "judge__user")
        .order_by("presenter__order", "presenter_id", "judge__user__full_name")
    )


# --- Dashboards -------------------------------------------------------------------------------


def managed_programs(*, user, limit: int = 30):
    """Programs the user runs (organizer scope or program staff), newest first."""
    from programs.selectors import programs_managed_by

    return (
        programs_managed_by(user=user)
        .exclude(status=Program.Status.DRAFT)
        .order_by("-start_date", "code")[:limit]
    )


def program_dashboard_counts(*, program) -> dict:
    return {
        "assignments": ReflectionAssignment.objects.filter(program=program)
        .annotate(
            submitted=Count(
                "reflections",
                filter=Q(
                    reflections__status__in=[
                        Reflection.Status.SUBMITTED,
                        Reflection.Status.REVIEWED,
                    ]
                ),
            ),
            to_review=Count(
                "reflections", filter=Q(reflections__status=Reflection.Status.SUBMITTED)
            ),
        )
        .order_by("deadline"),
        "rounds": ScoringRound.objects.filter(program=program).annotate(
            presenters_n=Count("presenters", distinct=True), judges_n=Count("judges", distinct=True)
        ),
        "enrolled": enrolled_users(program).count(),
        "completions": Completion.objects.filter(program=program).aggregate(
            total=Count("id"), passed=Count("id", filter=Q(passed=True))
        ),
    }
