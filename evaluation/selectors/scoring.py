"""Live scoring (现场打分、公开晒分): rounds, criteria, judges' sheets, ranking, the projector board and the
export."""

from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.core.exceptions import PermissionDenied
from django.db.models import (
    Count,
)
from django.http import Http404

from evaluation.models import (
    Judge,
    Presenter,
    ScoreSheet,
    ScoringRound,
)
from evaluation.selectors._common import TWO, _get
from programs.access import Access, program_access


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
