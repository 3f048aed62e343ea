"""Course evaluation (满意度测评): anonymous answers, receipts, results with the anonymity threshold,
reminders."""

from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import PermissionDenied
from django.db.models import (
    Avg,
    Count,
    IntegerField,
    OuterRef,
    Q,
    Subquery,
)
from django.db.models.functions import Coalesce
from django.http import Http404
from django.utils import timezone

from accounts.models import User
from attendance.models import AttendanceRecord
from attendance.rules import IN_ROOM as ATTENDED  # in the room, pending check-out included
from evaluation.models import (
    INDICATORS,
    EvaluationAnswer,
    EvaluationReceipt,
    Rating,
)
from evaluation.selectors._common import MIN_ANSWERS, TWO, _get
from programs.access import Access, program_access
from programs.models import Lecturer, Session


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
