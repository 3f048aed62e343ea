"""Every write of the evaluation app. Expected failures raise DomainError with a message the
user reads; nothing is half-written (each service is one transaction)."""

import os
import random
import secrets
from decimal import Decimal, InvalidOperation

from django.db import IntegrityError, transaction
from django.db.models.functions import Left
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.errors import DomainError, self_decision_guard
from core.numbers import TENTH
from core.services import AuditEntry, audit_log, audit_log_many, notify, notify_many
from evaluation import selectors, similarity
from evaluation.models import (
    COMMENT_MAX,
    COMMITMENT_MAX,
    CRITERIA_MAX,
    INDICATORS,
    PRESENTERS_MAX,
    PROMPT_MAX,
    REFLECTION_MAX,
    SCORE_MAX,
    WEIGHT_MAX,
    CallOnPick,
    Certificate,
    Commitment,
    CommitmentUpdate,
    Completion,
    CreditPolicy,
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
    ScoringCriterion,
    ScoringRound,
    SimilarityFlag,
)
from programs.models import Program, Session

# --- Closed programs --------------------------------------------------------------------------


def _ensure_open(program_id: int, *, lock: bool = False) -> Program:
    """The program's fresh row, or DomainError when it is completed or archived and no admin
    reopened it (programs.access.ensure_program_open): grades, scores, completion and the
    rules behind them are read-only then."""
    from programs.access import ensure_program_open

    qs = Program.objects.select_for_update() if lock else Program.objects
    program = qs.get(pk=program_id)
    ensure_program_open(program)
    return program


# --- Bounds -----------------------------------------------------------------------------------


def _bounded(text, *, limit: int, field: str, label) -> str:
    """`text` stripped, or a DomainError when it is longer than `limit` characters (checked
    before anything else looks at it, so a huge paste costs nothing more than this)."""
    text = text or ""
    if len(text) > limit:
        raise DomainError(
            _("%(label)s过长:最多 %(max)s 字,现有 %(n)s 字。")
            % {"label": label, "max": limit, "n": len(text)},
            field=field,
        )
    return text.strip()


# --- Reflections ------------------------------------------------------------------------------


@transaction.atomic
def assignment_create(
    *, program, title, prompt, deadline, min_chars, attachment_types="", allow_late=False, by
) -> ReflectionAssignment:
    _ensure_open(program.pk)
    prompt = _bounded(prompt, limit=PROMPT_MAX, field="prompt", label=_("写作要求"))
    if not title.strip() or not prompt:
        raise DomainError(_("请填写标题和写作要求。"))
    assignment = ReflectionAssignment.objects.create(
        program=program,
        title=title.strip()[:200],
        prompt=prompt,
        deadline=deadline,
        min_chars=min_chars,
        attachment_types=_clean_types(attachment_types),
        allow_late=allow_late,
        created_by=by,
    )
    audit_log(
        actor=by,
        action="reflection_assignment.create",
        target=assignment,
        after={"title": assignment.title, "deadline": deadline.isoformat()},
    )
    return assignment


@transaction.atomic
def assignment_update(*, assignment, by, **fields) -> ReflectionAssignment:
    _ensure_open(assignment.program_id)
    before = {k: str(getattr(assignment, k)) for k in fields}
    if "prompt" in fields:
        fields["prompt"] = _bounded(
            fields["prompt"], limit=PROMPT_MAX, field="prompt", label=_("写作要求")
        )
    if "attachment_types" in fields:
        fields["attachment_types"] = _clean_types(fields["attachment_types"])
    for k, v in fields.items():
        setattr(assignment, k, v)
    assignment.save(update_fields=[*fields, "updated_at"])
    audit_log(
        actor=by,
        action="reflection_assignment.update",
        target=assignment,
        before=before,
        after={k: str(v) for k, v in fields.items()},
    )
    return assignment


def _clean_types(raw: str) -> str:
    parts = [p.strip().lower().lstrip(".") for p in (raw or "").replace(",", ",").split(",")]
    parts = list(dict.fromkeys(p for p in parts if p))
    unknown = [p for p in parts if p not in ATTACHMENT_KINDS]
    if unknown:
        raise DomainError(
            _("不支持的附件类型:%(bad)s。可选:%(ok)s。")
            % {"bad": "、".join(unknown), "ok": ",".join(ATTACHMENT_KINDS)},
            field="attachment_types",
        )
    return ",".join(parts)


def _lock_own_reflection(*, assignment, user) -> Reflection:
    reflection, _created = Reflection.objects.get_or_create(assignment=assignment, author=user)
    return Reflection.objects.select_for_update().get(pk=reflection.pk)


@transaction.atomic
def reflection_save_draft(
    *, assignment, user, body: str, title: str = "", rev: int = 0
) -> Reflection:
    """Store the draft as typed. An autosave older than the one already stored (by the client's
    edit counter `rev`) changes nothing, so a late-arriving request never rolls text back."""
    if len(body or "") > REFLECTION_MAX:
        raise DomainError(
            _("正文过长:最多 %(max)s 字,现有 %(n)s 字。未保存。")
            % {"max": REFLECTION_MAX, "n": len(body)},
            field="body",
        )
    reflection = _lock_own_reflection(assignment=assignment, user=user)
    if not reflection.editable:
        raise DomainError(_("心得已提交,不能再修改。"))
    if rev and rev < reflection.draft_rev:
        return reflection
    reflection.body = body
    reflection.title = title[:200]
    reflection.draft_rev = max(rev, reflection.draft_rev)
    reflection.draft_saved_at = timezone.now()
    reflection.save(update_fields=["body", "title", "draft_rev", "draft_saved_at", "updated_at"])
    return reflection


# Attachment extensions a writing task may accept, and the kind core.uploads checks them as.
ATTACHMENT_KINDS = {
    "pdf": "pdf",
    "doc": "word",
    "docx": "word",
    "xlsx": "xlsx",
    "jpg": "image",
    "jpeg": "image",
    "png": "image",
}
ATTACHMENT_MAX_BYTES = 10 * 1024 * 1024


def _check_attachment(*, assignment, upload):
    """The upload's detected type (core.uploads: content sniffed, size bounded), or DomainError
    when the task takes no attachment or not of this type."""
    from core.uploads import check_upload_detail

    allowed = assignment.allowed_extensions
    if not allowed:
        raise DomainError(_("本任务不接受附件。"), field="attachment")
    ext = os.path.splitext(upload.name)[1].lower().lstrip(".")
    if ext not in allowed:
        raise DomainError(
            _("附件类型不符:只接受 %(types)s。") % {"types": "、".join(allowed)}, field="attachment"
        )
    kinds = {ATTACHMENT_KINDS[e] for e in allowed if e in ATTACHMENT_KINDS}
    return check_upload_detail(
        upload, kinds=kinds, max_bytes=ATTACHMENT_MAX_BYTES, field="attachment"
    )


@transaction.atomic
def reflection_submit(
    *, assignment, user, body: str, title: str = "", attachment=None, now=None
) -> Reflection:
    """Submit the essay: long enough, before the deadline (or late when allowed), attachment of
    an allowed type and size. On success, similarity with classmates is recomputed."""
    now = now or timezone.now()
    body = _bounded(body, limit=REFLECTION_MAX, field="body", label=_("正文"))
    if not body:
        raise DomainError(_("正文不能为空。"), field="body")
    length = similarity.chinese_length(body)
    if length < assignment.min_chars:
        raise DomainError(
            _("正文 %(n)s 字,少于要求的 %(min)s 字。") % {"n": length, "min": assignment.min_chars},
            field="body",
        )
    late = now > assignment.deadline
    if late and not assignment.allow_late:
        raise DomainError(_("已过截止时间,本任务不接受逾期提交。"))
    detected = None
    if attachment is not None:
        detected = _check_attachment(assignment=assignment, upload=attachment)
    reflection = _lock_own_reflection(assignment=assignment, user=user)
    if not reflection.editable:
        raise DomainError(_("心得已提交,请勿重复提交。"))
    before = reflection.status
    reflection.body, reflection.title = body, title[:200]
    reflection.status = Reflection.Status.SUBMITTED
    reflection.submitted_at = now
    reflection.is_late = late
    fields = ["body", "title", "status", "submitted_at", "is_late", "updated_at"]
    if attachment is not None:
        # Stored under a name of our making, with the extension of what the file really is.
        reflection.attachment.save(f"attachment.{detected.extension}", attachment, save=False)
        fields.append("attachment")
    reflection.save(update_fields=fields)
    audit_log(
        actor=user,
        action="reflection.submit",
        target=reflection,
        before={"status": before},
        after={"status": reflection.status, "late": late},
    )
    reflection_similarity_refresh(reflection=reflection)
    return reflection


def reflection_similarity_refresh(*, reflection) -> list[SimilarityFlag]:
    """Compare one submitted essay with every other submitted essay of the assignment and
    store a flag for each pair at or above the threshold (pairs below lose their flag)."""
    # Only the first SCAN_CHARS characters of each essay leave the database: a text stored
    # oversized (before the bound, or by hand) costs no more than a long essay.
    others = (
        Reflection.objects.filter(assignment_id=reflection.assignment_id)
        .exclude(pk=reflection.pk)
        .exclude(status=Reflection.Status.DRAFT)
        .annotate(head=Left("body", similarity.SCAN_CHARS))
        .only("id")
    )
    SimilarityFlag.objects.filter(first=reflection).delete()
    SimilarityFlag.objects.filter(second=reflection).delete()
    my_head = reflection.body[: similarity.SCAN_CHARS]
    mine = similarity.shingles(my_head)
    flags = []
    for other in others.iterator(chunk_size=100):
        theirs = similarity.shingles(other.head)
        score = similarity.jaccard(mine, theirs)
        if score < similarity.THRESHOLD:
            continue
        first, second = sorted([reflection, other], key=lambda r: r.pk)
        if first is reflection:
            passages = similarity.shared_passages(my_head, theirs)
        else:
            passages = similarity.shared_passages(other.head, mine)
        flags.append(
            SimilarityFlag(
                assignment_id=reflection.assignment_id,
                first=first,
                second=second,
                score=round(score, 3),
                passages=passages[:20],
            )
        )
    return SimilarityFlag.objects.bulk_create(flags)


@transaction.atomic
def reflection_review(*, reflection, grade: str, score, comment: str, by) -> Reflection:
    """Grade a submitted (or re-grade a reviewed) reflection."""
    reflection = Reflection.objects.select_for_update().get(pk=reflection.pk)
    self_decision_guard(subject=reflection.author, by=by)
    _ensure_open(reflection.assignment.program_id)
    comment = _bounded(comment, limit=COMMENT_MAX, field="comment", label=_("评语"))
    if reflection.status not in (Reflection.Status.SUBMITTED, Reflection.Status.REVIEWED):
        raise DomainError(_("只能评阅已提交的心得。"))
    if grade not in Grade.values:
        raise DomainError(_("请选择等次。"), field="grade")
    score = _decimal_or_none(score, field="score")
    if score is not None and not (0 <= score <= 100):
        raise DomainError(_("得分须在 0 到 100 之间。"), field="score")
    before = {
        "status": reflection.status,
        "grade": reflection.grade,
        "score": str(reflection.score) if reflection.score is not None else None,
    }
    reflection.grade, reflection.score = grade, score
    reflection.review_comment = comment
    reflection.status = Reflection.Status.REVIEWED
    reflection.reviewed_by, reflection.reviewed_at = by, timezone.now()
    reflection.save(
        update_fields=[
            "grade",
            "score",
            "review_comment",
            "status",
            "reviewed_by",
            "reviewed_at",
            "updated_at",
        ]
    )
    audit_log(
        actor=by,
        action="reflection.review",
        target=reflection,
        before=before,
        after={
            "status": reflection.status,
            "grade": grade,
            "score": str(score) if score is not None else None,
        },
    )
    notify(
        user=reflection.author,
        kind="reflection_reviewed",
        title=gettext_lazy("您的心得“%(t)s”已评阅:%(g)s"),
        params={"t": reflection.assignment.title, "g": Grade(grade).label},
        body=reflection.review_comment,
        url=reverse("evaluation:reflection_write", args=[reflection.assignment_id]),
    )
    return reflection


@transaction.atomic
def reflection_return(*, reflection, comment: str, by) -> Reflection:
    """Send a submitted reflection back to its author for revision, with a reason."""
    reflection = Reflection.objects.select_for_update().get(pk=reflection.pk)
    self_decision_guard(subject=reflection.author, by=by)
    _ensure_open(reflection.assignment.program_id)
    comment = _bounded(comment, limit=COMMENT_MAX, field="comment", label=_("修改意见"))
    if reflection.status not in (Reflection.Status.SUBMITTED, Reflection.Status.REVIEWED):
        raise DomainError(_("只能退回已提交的心得。"))
    if not comment:
        raise DomainError(_("退回修改时请写明修改意见。"), field="comment")
    before = reflection.status
    reflection.status = Reflection.Status.RETURNED
    reflection.review_comment = comment
    reflection.grade, reflection.score = "", None
    reflection.reviewed_by, reflection.reviewed_at = by, timezone.now()
    reflection.save(
        update_fields=[
            "status",
            "review_comment",
            "grade",
            "score",
            "reviewed_by",
            "reviewed_at",
            "updated_at",
        ]
    )
    audit_log(
        actor=by,
        action="reflection.return",
        target=reflection,
        before={"status": before},
        after={"status": reflection.status},
        reason=reflection.review_comment,
    )
    notify(
        user=reflection.author,
        kind="reflection_returned",
        title=gettext_lazy("您的心得“%(t)s”被退回修改"),
        params={"t": reflection.assignment.title},
        body=reflection.review_comment,
        url=reverse("evaluation:reflection_write", args=[reflection.assignment_id]),
    )
    return reflection


def _decimal_or_none(value, *, field):
    """A finite decimal (NaN, sNaN and ±Infinity are refused like any other non-number)."""
    if value in (None, ""):
        return None
    try:
        number = Decimal(str(value).strip()[:40])
    except (InvalidOperation, ValueError):
        raise DomainError(_("请输入数字。"), field=field) from None
    if not number.is_finite():
        raise DomainError(_("请输入有限的数字。"), field=field)
    return number


# --- Course evaluation ------------------------------------------------------------------------


@transaction.atomic
def evaluation_submit(*, session, user, ratings: dict, comment: str = "") -> None:
    """Record one anonymous answer and, separately, the receipt that `user` has answered.

    Only trainees who attended may answer, once. The answer row has no user, no timestamp and a
    random key; the receipt keeps only the day. So that neither the transaction id (xmin) nor the
    physical order of rows ties the new answer to this receipt, the session's answers are
    rewritten together (see _store_among_the_sessions_answers)."""
    if session.end > timezone.now():
        raise DomainError(_("课程结束后才能评价。"))
    if not selectors.attended(user=user, session=session):
        raise DomainError(_("您没有参加这次课程的签到记录,不能评价。"))
    values = {}
    for name, label in INDICATORS:
        try:
            value = int(ratings.get(name, 0))
        except (TypeError, ValueError):
            value = 0
        if value not in Rating.values:
            raise DomainError(_("请为“%(label)s”选择评价。") % {"label": label}, field=name)
        values[name] = value
    comment = _bounded(comment, limit=COMMENT_MAX, field="comment", label=_("意见建议"))
    # One submission per session at a time, so the rewrite below never loses a concurrent answer.
    # NO KEY UPDATE: check-ins and other rows that merely reference the session are not held up.
    list(Session.objects.select_for_update(no_key=True).filter(pk=session.pk).values_list("pk"))
    try:
        with transaction.atomic():
            EvaluationReceipt.objects.create(
                session=session, user=user, answered_on=timezone.localdate()
            )
    except IntegrityError:
        raise DomainError(_("您已评价过这次课程。")) from None
    _store_among_the_sessions_answers(
        session=session,
        answer=EvaluationAnswer(session=session, comment=comment, **values),
    )


def _store_among_the_sessions_answers(*, session, answer) -> None:
    """Delete the session's answers and insert them again with the new one, ordered by their
    random ids, in this (the receipt's) transaction. Afterwards every live answer of the session
    carries this transaction's xmin, and their physical order follows the random ids rather than
    the order of answering. Three statements; the rows rewritten are one class's answers."""
    answers = list(EvaluationAnswer.objects.filter(session=session))
    EvaluationAnswer.objects.filter(session=session).delete()
    EvaluationAnswer.objects.bulk_create(sorted([*answers, answer], key=lambda a: a.id))


def evaluation_remind(*, session, by) -> int:
    """Remind attendees who have not evaluated the session yet. Returns how many."""
    users = list(selectors.pending_evaluators(session=session))
    if users:
        notify_many(
            users=users,
            kind="evaluation_reminder",
            title=gettext_lazy("请对课程“%(topic)s”进行满意度评价"),
            params={"topic": session.topic},
            url=reverse("evaluation:evaluate", args=[session.pk]),
        )
    return len(users)


# --- Live scoring -----------------------------------------------------------------------------


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


# --- Call-on ----------------------------------------------------------------------------------


@transaction.atomic
def callon_pick(*, session, by, rng: random.Random | None = None) -> CallOnPick:
    """Pick one trainee at random among those checked in and not yet called in this session.
    Someone who has spoken n times in the program has weight 1 / (n + 1)², so those who have
    not spoken are much more likely to be called."""
    candidates = selectors.callon_candidates(session=session)
    if not candidates:
        raise DomainError(_("没有可点名的学员:签到的学员都已被点过名,或尚无人签到。"))
    rng = rng or random.SystemRandom()
    weights = [1 / (n + 1) ** 2 for _u, n in candidates]
    user, _n = rng.choices(candidates, weights=weights, k=1)[0]
    pick = CallOnPick.objects.create(
        session=session, program_id=session.program_id, user=user, picked_by=by
    )
    audit_log(actor=by, action="callon.pick", target=pick, after={"user": user.pk})
    return pick


# --- Completion and certificates ----------------------------------------------------------------


def _serial(program, year) -> str:
    alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
    suffix = "".join(secrets.choice(alphabet) for _i in range(6))
    return f"JY{year}-{program.pk:05d}-{suffix}"


COMPLETION_FIELDS = [
    "passed",
    "reasons",
    "attendance_rate",
    "unexcused_absences",
    "score",
    "confirmed_by",
    "confirmed_at",
    "updated_at",
]
REVOCATION_FIELDS = ["revoked_at", "revoked_reason", "revoked_by", "updated_at"]


def _audit_many(*, actor, entries) -> None:
    """One INSERT for many audit entries ((action, certificate, reason) triples)."""
    audit_log_many(
        AuditEntry(
            actor=actor,
            action=action,
            target=cert,
            after={"serial": cert.serial, "user": cert.completion.user_id},
            reason=reason,
        )
        for action, cert, reason in entries
    )


def _issue_certificates(*, program, completions, issued_on) -> list[Certificate]:
    """New certificates for `completions`, one INSERT; on the (very unlikely) serial collision
    the whole batch is retried with fresh serials."""
    if not completions:
        return []
    for _attempt in range(5):
        certs = [
            Certificate(
                completion=c,
                serial=_serial(program, issued_on.year),
                holder_name=c.user.full_name,
                program_title=program.title,
                issued_on=issued_on,
            )
            for c in completions
        ]
        if len({c.serial for c in certs}) < len(certs):
            continue
        try:
            with transaction.atomic():
                return Certificate.objects.bulk_create(certs)
        except IntegrityError:
            continue
    raise DomainError(_("证书编号生成失败,请重试。"))


@transaction.atomic
def completion_confirm(*, program, by, issued_on=None) -> dict:
    """Freeze every enrolled trainee's result under the program's rules and keep certificates in
    step with it, in one transaction and a fixed number of queries whatever the class size:

    - a trainee who passes and has no certificate gets one, with a new serial;
    - a holder who no longer passes (or is no longer an enrolled trainee) has the certificate
      revoked, with the reasons, and is told so;
    - a holder whose revoked certificate passes again gets the same serial back (the printed
      copy is valid again, and the trail keeps both the revocation and the reinstatement).

    Confirmations of one program run one at a time (the program row is locked)."""
    issued_on = issued_on or timezone.localdate()
    now = timezone.now()
    _ensure_open(program.pk, lock=True)  # confirmations of one program run one at a time
    rows = selectors.completion_assess(program=program)
    for row in rows:  # nobody confirms their own completion
        self_decision_guard(subject=row.user, by=by)
    stale = selectors.completions_of_non_trainees(program=program)
    not_enrolled = [_("不在本班录取学员名单中")]

    fresh, changed = [], []
    results = []  # (completion, passed, reasons, existing certificate)
    for row in rows:
        values = {
            "passed": row.passed,
            "reasons": row.reasons,
            "attendance_rate": row.rate,
            "unexcused_absences": row.unexcused,
            "score": row.score,
            "confirmed_by": by,
            "confirmed_at": now,
        }
        if row.completion is None:
            completion = Completion(program=program, user=row.user, **values)
            fresh.append(completion)
            cert = None
        else:
            completion = row.completion
            completion.user = row.user  # already loaded; spares a query per holder below
            for k, v in values.items():
                setattr(completion, k, v)
            completion.updated_at = now
            changed.append(completion)
            cert = selectors.certificate_of(completion)
        results.append((completion, row.passed, row.reasons, cert))
    for completion in stale:
        completion.passed, completion.reasons = False, not_enrolled
        completion.confirmed_by, completion.confirmed_at = by, now
        completion.updated_at = now
        changed.append(completion)
        results.append((completion, False, not_enrolled, selectors.certificate_of(completion)))
    Completion.objects.bulk_create(fresh)
    if changed:
        Completion.objects.bulk_update(changed, COMPLETION_FIELDS)

    to_issue, revoked, reinstated = [], [], []
    for completion, passed, reasons, cert in results:
        if cert is not None:
            cert.completion = completion  # cached both ways: no query per holder below
        if passed and cert is None:
            to_issue.append(completion)
        elif passed and cert.is_revoked:
            cert.revoked_at, cert.revoked_reason, cert.revoked_by = None, "", None
            reinstated.append(cert)
        elif not passed and cert is not None and not cert.is_revoked:
            cert.revoked_at, cert.revoked_by = now, by
            cert.revoked_reason = (
                _("重新确认结业结果时不再符合结业条件:%(r)s")
                % {"r": ";".join(str(r) for r in reasons)}
            )[:COMMENT_MAX]
            revoked.append(cert)
    issued = _issue_certificates(program=program, completions=to_issue, issued_on=issued_on)
    for cert in revoked + reinstated:
        cert.updated_at = now
    if revoked or reinstated:
        Certificate.objects.bulk_update(revoked + reinstated, REVOCATION_FIELDS)
        _audit_many(
            actor=by,
            entries=[("certificate.revoke", c, c.revoked_reason) for c in revoked]
            + [("certificate.reinstate", c, "") for c in reinstated],
        )

    passed = sum(1 for _c, ok, _r, _cert in results if ok)
    audit_log(
        actor=by,
        action="completion.confirm",
        target=program,
        after={
            "trainees": len(rows),
            "passed": passed,
            "certificates_issued": len(issued),
            "certificates_revoked": [c.serial for c in revoked],
            "certificates_reinstated": [c.serial for c in reinstated],
        },
    )
    url = reverse("evaluation:index")
    if issued:  # only those whose certificate this run issued
        notify_many(
            users=[c.completion.user for c in issued],
            kind="completion",
            title=gettext_lazy("您已完成“%(p)s”的学习,结业证书已生成"),
            params={"p": program.title},
            url=url,
        )
    if revoked:
        notify_many(
            users=[c.completion.user for c in revoked],
            kind="certificate_revoked",
            title=gettext_lazy("您在“%(p)s”的结业证书已撤销"),
            params={"p": program.title},
            body=gettext_lazy(
                "结业结果经重新确认,您目前不符合结业条件,证书已撤销,"
                "查验证书编号时将显示“已撤销”。如有疑问,请联系培训班班主任。"
            ),
            url=url,
        )
    if reinstated:
        notify_many(
            users=[c.completion.user for c in reinstated],
            kind="certificate_reinstated",
            title=gettext_lazy("您在“%(p)s”的结业证书已恢复有效"),
            params={"p": program.title},
            body=gettext_lazy("结业结果经重新确认,您符合结业条件,原证书编号继续有效。"),
            url=url,
        )
    return {
        "trainees": len(rows),
        "passed": passed,
        "issued": len(issued),
        "revoked": len(revoked),
        "reinstated": len(reinstated),
    }


def certificate_verify_url(*, cert, request=None) -> str:
    """The public verification link printed on the certificate: SITE_URL when set, else the
    address the user (or the job started from their request) is using (core.links)."""
    from core.links import absolute_url

    return absolute_url(reverse("evaluation:verify", args=[cert.serial]), request)


def certificate_qr_svg(*, cert, url: str = "") -> str:
    import segno

    url = url or certificate_verify_url(cert=cert)
    return segno.make(url, error="m").svg_data_uri(scale=4, border=2)


def certificate_refusal(cert) -> str | None:
    """Why the certificate's PDF may not be made or downloaded (None when it may)."""
    if cert.is_revoked:
        return _("证书 %(s)s 已于 %(d)s 撤销,不能再下载。") % {
            "s": cert.serial,
            "d": timezone.localtime(cert.revoked_at).strftime("%Y-%m-%d"),
        }
    return None


def certificate_pdf(*, cert) -> bytes:
    from core.pdf import render_pdf

    refusal = certificate_refusal(cert)
    if refusal:
        raise DomainError(refusal)
    url = certificate_verify_url(cert=cert)
    program = cert.completion.program
    return render_pdf(
        "evaluation/pdf/certificate.html",
        {
            "cert": cert,
            "program": program,
            "hours": selectors.program_credit_hours(program=program),
            "qr": certificate_qr_svg(cert=cert, url=url),
            "verify_url": url,
        },
    )


def certificate_filename(cert) -> str:
    """结业证书-江沐阳-JY2026-00001-ABC123.pdf"""
    return f"{_('结业证书')}-{cert.holder_name}-{cert.serial}.pdf"


def reflection_attachment_filename(reflection) -> str:
    """张三-学习体会.pdf (the extension is that of the stored file, i.e. of its content)."""
    ext = os.path.splitext(reflection.attachment.name)[1]
    return f"{reflection.author.full_name}-{reflection.assignment.title}{ext}"


def reflection_collection_filename(assignment) -> str:
    """优秀心得汇编-<program>-<assignment>.pdf"""
    return f"{_('优秀心得汇编')}-{assignment.program.title}-{assignment.title}.pdf"


def round_export_filename(rnd) -> str:
    return f"{_('评分结果')}-{rnd.title}.xlsx"


def reflection_collection_pdf(*, assignment) -> bytes:
    from core.pdf import render_pdf

    items = list(selectors.excellent_reflections(assignment=assignment))
    if not items:
        raise DomainError(_("还没有评为优秀的心得,无法汇编。"))
    return render_pdf("evaluation/pdf/collection.html", {"assignment": assignment, "items": items})


# --- Credit hours -------------------------------------------------------------------------------


@transaction.atomic
def credit_policy_set(*, program, by, **percents) -> CreditPolicy:
    for k, v in percents.items():
        if not isinstance(v, int) or not 0 <= v <= 100:
            raise DomainError(_("比例须在 0 到 100 之间。"), field=k)
    _ensure_open(program.pk)
    policy, _created = CreditPolicy.objects.get_or_create(program=program)
    before = {k: getattr(policy, k) for k in percents}
    for k, v in percents.items():
        setattr(policy, k, v)
    policy.save(update_fields=[*percents, "updated_at"])
    audit_log(actor=by, action="credit_policy.set", target=program, before=before, after=percents)
    return policy


@transaction.atomic
def credit_requirement_set(*, rank, hours, by) -> CreditRequirement:
    hours = _decimal_or_none(hours, field=rank)
    if hours is None or hours < 0 or hours > 1000:
        raise DomainError(_("学时要求须在 0 到 1000 之间。"), field=rank)
    req, _created = CreditRequirement.objects.update_or_create(rank=rank, defaults={"hours": hours})
    audit_log(actor=by, action="credit_requirement.set", target=req, after={"hours": str(hours)})
    return req


# --- Follow-up --------------------------------------------------------------------------------


@transaction.atomic
def commitment_create(*, program, user, title, description, due_date) -> Commitment:
    if not Completion.objects.filter(program=program, user=user, passed=True).exists():
        raise DomainError(_("结业后才能填写成果转化承诺。"))
    if not (title or "").strip():
        raise DomainError(_("请填写承诺事项。"), field="title")
    title = _bounded(title, limit=200, field="title", label=_("承诺事项"))
    description = _bounded(
        description, limit=COMMITMENT_MAX, field="description", label=_("具体措施")
    )
    if due_date is None or due_date < timezone.localdate():
        raise DomainError(_("完成时限不能早于今天。"), field="due_date")
    return Commitment.objects.create(
        program=program,
        user=user,
        title=title,
        description=description,
        due_date=due_date,
    )


@transaction.atomic
def commitment_progress(*, commitment, user, note, progress) -> CommitmentUpdate:
    commitment = Commitment.objects.select_for_update().get(pk=commitment.pk)
    if commitment.user_id != user.pk:
        raise DomainError(_("只能更新自己的承诺。"))
    note = _bounded(note, limit=COMMITMENT_MAX, field="note", label=_("进展情况"))
    if not note:
        raise DomainError(_("请填写进展情况。"), field="note")
    try:
        progress = int(progress)
    except (TypeError, ValueError):
        raise DomainError(_("进度须为 0 到 100 的整数。"), field="progress") from None
    if not 0 <= progress <= 100:
        raise DomainError(_("进度须为 0 到 100 的整数。"), field="progress")
    update = CommitmentUpdate.objects.create(commitment=commitment, note=note, progress=progress)
    commitment.progress = progress
    commitment.status = Commitment.Status.DONE if progress == 100 else Commitment.Status.OPEN
    commitment.last_update_at = timezone.now()
    commitment.save(update_fields=["progress", "status", "last_update_at", "updated_at"])
    return update


@transaction.atomic
def followup_remind(*, program, by, today=None) -> int:
    """Remind the owners of commitments that are behind (overdue or not updated lately)."""
    behind = [c for c in selectors.followup_rows(program=program, today=today) if c.behind]
    users = list({c.user_id: c.user for c in behind}.values())
    if users:
        notify_many(
            users=users,
            kind="followup_reminder",
            title=gettext_lazy("请更新“%(p)s”成果转化承诺的进展"),
            params={"p": program.title},
            url=reverse("evaluation:followup_mine"),
        )
        Commitment.objects.filter(pk__in=[c.pk for c in behind]).update(
            last_reminded_at=timezone.now()
        )
    audit_log(actor=by, action="followup.remind", target=program, after={"users": len(users)})
    return len(users)
