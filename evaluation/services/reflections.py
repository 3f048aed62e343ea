"""Reflections (学习体会): writing tasks, drafts and submission, similarity, review and the collection
of excellent essays."""

import os

from django.db import transaction
from django.db.models.functions import Left
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.errors import DomainError, self_decision_guard
from core.services import audit_log, notify
from evaluation import selectors, similarity
from evaluation.models import (
    COMMENT_MAX,
    PROMPT_MAX,
    REFLECTION_MAX,
    Grade,
    Reflection,
    ReflectionAssignment,
    SimilarityFlag,
)
from evaluation.services._common import _bounded, _decimal_or_none, _ensure_open


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


def reflection_collection_pdf(*, assignment) -> bytes:
    from core.pdf import render_pdf

    items = list(selectors.excellent_reflections(assignment=assignment))
    if not items:
        raise DomainError(_("还没有评为优秀的心得,无法汇编。"))
    return render_pdf("evaluation/pdf/collection.html", {"assignment": assignment, "items": items})


def reflection_attachment_filename(reflection) -> str:
    """张三-学习体会.pdf (the extension is that of the stored file, i.e. of its content)."""
    ext = os.path.splitext(reflection.attachment.name)[1]
    return f"{reflection.author.full_name}-{reflection.assignment.title}{ext}"


def reflection_collection_filename(assignment) -> str:
    """优秀心得汇编-<program>-<assignment>.pdf"""
    return f"{_('优秀心得汇编')}-{assignment.program.title}-{assignment.title}.pdf"
