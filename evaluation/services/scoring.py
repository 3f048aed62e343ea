"""Live scoring (现场打分、公开晒分): rounds, criteria, judges' sheets, ranking, the projector board and the
export."""

from decimal import Decimal

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.errors import DomainError, self_decision_guard
from core.numbers import TENTH
from core.services import audit_log
from evaluation import selectors
from evaluation.models import (
    CRITERIA_MAX,
    PRESENTERS_MAX,
    SCORE_MAX,
    WEIGHT_MAX,
    Judge,
    Presenter,
    ScoreSheet,
    ScoringCriterion,
    ScoringRound,
)
from evaluation.services._common import _decimal_or_none, _ensure_open


def parse_lines(text: str, *, min_parts: int) -> list[list[str]]:
    rows = []
    for line in (text or "").splitlines():
        line = line.strip()
        if not line:
            continue
        parts = [p.strip() for p in line.replace("|", "|").split("|")]
        if len(parts) < min_parts:
            raise DomainError(_("格式有误:“%(line)s”") % {"line": line})
        rows.append(parts)
    return rows


@transaction.atomic
def round_create(
    *,
    program,
    title,
    criteria: list[dict],
    presenters: list[dict],
    judge_users,
    drop_extremes=False,
    by,
) -> ScoringRound:
    """A round with its criteria (name, weight, min, max), presenters and judges."""
    _ensure_open(program.pk)
    if not title.strip():
        raise DomainError(_("请填写名称。"), field="title")
    if not criteria:
        raise DomainError(_("至少需要一个评分项。"), field="criteria")
    if len(criteria) > CRITERIA_MAX:
        raise DomainError(_("评分项最多 %(n)s 项。") % {"n": CRITERIA_MAX}, field="criteria")
    if not presenters:
        raise DomainError(_("至少需要一名汇报人。"), field="presenters")
    if len(presenters) > PRESENTERS_MAX:
        raise DomainError(_("汇报人最多 %(n)s 名。") % {"n": PRESENTERS_MAX}, field="presenters")
    judge_users = list({u.pk: u for u in judge_users}.values())
    if not judge_users:
        raise DomainError(_("至少需要一名评委。"), field="judges")
    rnd = ScoringRound.objects.create(
        program=program, title=title.strip(), drop_extremes=drop_extremes
    )
    objs = []
    for i, c in enumerate(criteria):
        weight = _decimal_or_none(c.get("weight"), field="criteria")
        lo = _decimal_or_none(c.get("min", 0), field="criteria") or Decimal(0)
        hi = _decimal_or_none(c.get("max"), field="criteria")
        if (
            not c.get("name")
            or weight is None
            or not Decimal("0.01") <= weight <= WEIGHT_MAX
            or hi is None
            or lo < 0
            or hi > SCORE_MAX
            or hi <= lo
        ):
            raise DomainError(
                _(
                    "评分项“%(n)s”的权重或分值范围有误:权重须在 0.01 到 %(w)s 之间,"
                    "分值须满足 0 ≤ 最低分 < 最高分 ≤ %(s)s。"
                )
                % {"n": c.get("name", "")[:100], "w": WEIGHT_MAX, "s": SCORE_MAX},
                field="criteria",
            )
        weight, lo, hi = weight.quantize(Decimal("0.01")), lo.quantize(TENTH), hi.quantize(TENTH)
        objs.append(
            ScoringCriterion(
                round=rnd,
                name=c["name"][:100],
                weight=weight,
                min_score=lo,
                max_score=hi,
                position=i,
            )
        )
    ScoringCriterion.objects.bulk_create(objs)
    Presenter.objects.bulk_create(
        [
            Presenter(
                round=rnd,
                name=p["name"][:60],
                position=p.get("position", "")[:120],
                topic=p.get("topic", "")[:200],
                user=p.get("user"),
                order=i + 1,
            )
            for i, p in enumerate(presenters)
        ]
    )
    Judge.objects.bulk_create([Judge(round=rnd, user=u) for u in judge_users])
    audit_log(
        actor=by,
        action="scoring_round.create",
        target=rnd,
        after={"title": rnd.title, "judges": [u.pk for u in judge_users]},
    )
    return rnd


def weighted_total(criteria, values: dict) -> Decimal:
    """Σ weight × (score / max) ÷ Σ weight, on a 0–100 scale."""
    weights = sum(c.weight for c in criteria)
    total = sum(c.weight * values[c.pk] / c.max_score for c in criteria)
    return (total * 100 / weights).quantize(Decimal("0.01"))


@transaction.atomic
def score_submit(*, rnd, presenter, judge_user, values: dict) -> ScoreSheet:
    """One judge's scores for one presenter: every criterion within its range, once only."""
    rnd = ScoringRound.objects.select_for_update().get(pk=rnd.pk)
    if rnd.is_locked:
        raise DomainError(_("评分已锁定,不能再提交。"))
    _ensure_open(rnd.program_id)
    if presenter.round_id != rnd.pk:
        raise DomainError(_("汇报人不属于本轮评分。"))
    judge = Judge.objects.filter(round=rnd, user=judge_user).first()
    if judge is None:
        raise DomainError(_("您不是本轮评委。"))
    if presenter.user_id is not None:
        self_decision_guard(subject=presenter, by=judge_user)
    criteria = list(rnd.criteria.all())
    clean = {}
    for c in criteria:
        value = _decimal_or_none(values.get(str(c.pk), values.get(c.pk)), field=f"c{c.pk}")
        if value is None:
            raise DomainError(_("请为“%(n)s”打分。") % {"n": c.name}, field=f"c{c.pk}")
        if not (c.min_score <= value <= c.max_score):
            raise DomainError(
                _("“%(n)s”的分数须在 %(lo)s 到 %(hi)s 之间。")
                % {"n": c.name, "lo": c.min_score, "hi": c.max_score},
                field=f"c{c.pk}",
            )
        clean[c.pk] = value.quantize(Decimal("0.01"))
    try:
        with transaction.atomic():
            sheet = ScoreSheet.objects.create(
                round=rnd,
                presenter=presenter,
                judge=judge,
                total=weighted_total(criteria, clean),
                values={str(k): str(v) for k, v in clean.items()},
            )
    except IntegrityError:
        raise DomainError(_("您已为“%(n)s”打过分,不能重复打分。") % {"n": presenter.name}) from None
    return sheet


@transaction.atomic
def round_lock(*, rnd, by) -> ScoringRound:
    rnd = ScoringRound.objects.select_for_update().get(pk=rnd.pk)
    if rnd.is_locked:
        return rnd
    _ensure_open(rnd.program_id)
    rnd.locked_at, rnd.locked_by = timezone.now(), by
    rnd.save(update_fields=["locked_at", "locked_by", "updated_at"])
    ranking = selectors.round_ranking(rnd=rnd)
    audit_log(
        actor=by,
        action="scoring_round.lock",
        target=rnd,
        after={"ranking": [[r.presenter.name, str(r.average)] for r in ranking]},
    )
    return rnd


def round_export_xlsx(*, rnd) -> bytes:
    """The ranking and every judge's sheet as an Excel workbook (core.tabular: formula-safe,
    column widths, frozen header, A4 print set-up)."""
    from core.tabular import Column, Sheet, xlsx_bytes

    program = rnd.program
    title_lines = [
        _("%(p)s · %(t)s") % {"p": program.title, "t": rnd.title},
        _("导出时间:%(t)s") % {"t": timezone.localtime().strftime("%Y-%m-%d %H:%M")},
    ]
    ranking = Sheet(
        name=_("排名"),
        columns=[
            Column(_("名次"), width=6),
            Column(_("汇报人"), width=12),
            Column(_("职务"), width=22, wrap=True),
            Column(_("汇报题目"), width=36, wrap=True),
            Column(_("最后得分"), width=10, number_format="0.00"),
            Column(_("评委数"), width=8),
        ],
        rows=(
            [
                row.rank,
                row.presenter.name,
                row.presenter.position,
                row.presenter.topic,
                float(row.average) if row.average is not None else None,
                len(row.scores),
            ]
            for row in selectors.round_ranking(rnd=rnd)
        ),
        title_lines=title_lines,
    )
    criteria = list(rnd.criteria.all())
    detail = Sheet(
        name=_("评分明细"),
        columns=[
            Column(_("汇报人"), width=12),
            Column(_("评委"), width=12),
            *[
                Column(
                    f"{c.name}({c.weight})",
                    width=max(10, len(c.name) * 2 + 6),
                    number_format="0.0#",
                )
                for c in criteria
            ],
            Column(_("加权得分"), width=10, number_format="0.00"),
        ],
        rows=(
            [
                sheet.presenter.name,
                sheet.judge.user.full_name,
                *[float(sheet.values.get(str(c.pk), 0)) for c in criteria],
                float(sheet.total),
            ]
            for sheet in selectors.round_sheets_for_export(rnd=rnd)
        ),
        title_lines=title_lines,
        landscape=len(criteria) > 4,
    )
    return xlsx_bytes(
        [ranking, detail], title=_("评分结果 · %(t)s") % {"t": rnd.title}, subject=program.title
    )


def round_export_filename(rnd) -> str:
    return f"{_('评分结果')}-{rnd.title}.xlsx"
