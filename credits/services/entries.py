"""Writes of the training record: file an external record (with evidence), decide it at the
unit and then at the organization department, and edit or revoke an approved one (the
organization department, with a reason). Every step is audited and the cadre notified; every
change to what counts refreshes the cadre's compliance rollup in the same transaction; expected
failures raise DomainError with a message and write nothing."""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.errors import DomainError, self_decision_guard
from core.services import audit_log, notify
from core.uploads import MB, check_upload_detail
from credits import access
from credits.models import (
    FILED_KINDS,
    MAX_ENTRY_HOURS,
    ApprovalPolicy,
    CreditEntry,
    SourceKind,
)
from credits.rules import PolicyBook, _applies, _best
from credits.services.rollup import rollup_refresh

EVIDENCE_KINDS = {"pdf", "image"}
EVIDENCE_MAX_BYTES = 10 * MB


@dataclass(frozen=True)
class EntryData:
    kind: str
    title: str
    start_date: date
    end_date: date
    category: str
    mode: str
    organizer_name: str = ""
    hours: Decimal | None = None
    days: Decimal | None = None
    half_days: int | None = None
    minutes: int | None = None
    taught_hours: Decimal | None = None
    paper_level: str = ""
    evidence_link: str = ""


def unit_review_required(*, cadre, on: date) -> bool:
    path = cadre.unit.path if cadre.unit_id else ""
    rows = ApprovalPolicy.objects.select_related("unit")
    row = _best(r for r in rows if _applies(r, path, on))
    return True if row is None else row.unit_review


def _hours(data: EntryData, *, cadre, book: PolicyBook) -> Decimal:
    path = cadre.unit.path if cadre.unit_id else ""
    hours = data.hours
    if hours is None:
        hours = book.convert(
            data.kind,
            unit_path=path,
            on=data.start_date,
            days=data.days,
            half_days=data.half_days,
            minutes=data.minutes,
            taught_hours=data.taught_hours,
            paper_level=data.paper_level,
        )
    if hours is None:
        raise DomainError(_("请填写学时,或填写可折算的天数、时长或论文级别。"), field="hours")
    try:
        hours = Decimal(hours)
        finite = hours.is_finite()
    except (InvalidOperation, TypeError, ValueError):
        finite = False
    if not finite or hours < 0 or hours > MAX_ENTRY_HOURS:
        raise DomainError(
            _("学时须在 0 至 %(max)s 之间。") % {"max": MAX_ENTRY_HOURS}, field="hours"
        )
    hours = hours.quantize(Decimal("0.1"))
    cap = book.caps(unit_path=path, year=data.start_date.year).get(data.kind)
    if cap is not None and hours > cap:
        raise DomainError(
            _("%(kind)s每年最多认定 %(cap)s 学时,本条填报 %(hours)s 学时超过上限。")
            % {"kind": SourceKind(data.kind).label, "cap": cap, "hours": hours},
            field="hours",
        )
    return hours


DEAD = [CreditEntry.Status.REJECTED, CreditEntry.Status.REVOKED]


def _checked(data: EntryData, *, cadre) -> tuple[str, Decimal]:
    """The cleaned title and hours of a record, or DomainError."""
    if data.kind not in FILED_KINDS:
        raise DomainError(_("请选择学时来源。"), field="kind")
    title = data.title.strip()
    if not title:
        raise DomainError(_("请填写名称。"), field="title")
    if data.end_date < data.start_date:
        raise DomainError(_("结束日期不能早于开始日期。"), field="end_date")
    return title, _hours(data, cadre=cadre, book=PolicyBook())


def _refuse_duplicate(*, cadre, title, start_date, exclude_pk=None) -> None:
    duplicate = (
        CreditEntry.objects.select_for_update()
        .filter(user=cadre, title=title, start_date=start_date)
        .exclude(status__in=DEAD)
        .exclude(pk=exclude_pk)
        .exists()
    )
    if duplicate:
        raise DomainError(
            _("%(name)s 在 %(date)s 已有同名记录「%(title)s」,不能重复登记。")
            % {"name": cadre.full_name, "date": start_date, "title": title},
            field="title",
        )


def _years(*entries) -> set[int]:
    return {y for e in entries for y in range(e["start"].year, e["end"].year + 1)}


@transaction.atomic
def entry_file(*, cadre, data: EntryData, evidence=None, by) -> CreditEntry:
    """File a record for `cadre` (themselves, their liaison or an admin); it goes to the unit
    for review (or straight to the organization department when the policy skips the unit)."""
    if not access.may_file_for(by, cadre):
        raise PermissionDenied
    title, hours = _checked(data, cadre=cadre)
    if evidence is None and not data.evidence_link:
        raise DomainError(_("请上传证明材料(PDF 或图片),或填写证明链接。"), field="evidence")
    detected = None
    if evidence is not None:
        detected = check_upload_detail(
            evidence, kinds=EVIDENCE_KINDS, max_bytes=EVIDENCE_MAX_BYTES, field="evidence"
        )
    _refuse_duplicate(cadre=cadre, title=title, start_date=data.start_date)
    entry = CreditEntry(
        user=cadre,
        kind=data.kind,
        title=title,
        organizer_name=data.organizer_name.strip(),
        hours=hours,
        start_date=data.start_date,
        end_date=data.end_date,
        category=data.category,
        mode=data.mode,
        evidence_link=data.evidence_link,
        filed_by=by,
        status=CreditEntry.Status.UNIT_PENDING
        if unit_review_required(cadre=cadre, on=timezone.localdate())
        else CreditEntry.Status.DEPT_PENDING,
    )
    if evidence is not None:
        entry.evidence_name = (evidence.name or "evidence")[:200]
        evidence.name = f"evidence.{detected.extension}"
        entry.evidence = evidence
    entry.save()
    audit_log(
        actor=by,
        action="credits.entry.file",
        target=entry,
        after={
            "user": cadre.pk,
            "kind": entry.kind,
            "title": entry.title,
            "hours": str(entry.hours),
            "start_date": entry.start_date.isoformat(),
            "status": entry.status,
        },
    )
    if by.pk != cadre.pk:
        notify(
            user=cadre,
            title=gettext_lazy("%(by)s 为您登记了学时记录:%(title)s"),
            params={"by": by.full_name, "title": entry.title},
            url=reverse("credits:entry", args=[entry.pk]),
            kind="credits",
        )
    return entry


@transaction.atomic
def entry_decide(*, entry: CreditEntry, approve: bool, reason: str = "", by) -> CreditEntry:
    """The unit's or the organization department's decision on a pending record."""
    entry = (
        CreditEntry.objects.select_for_update(of=("self",))
        .select_related("user__unit")
        .get(pk=entry.pk)
    )
    self_decision_guard(subject=entry, by=by)
    if entry.status not in (CreditEntry.Status.UNIT_PENDING, CreditEntry.Status.DEPT_PENDING):
        raise DomainError(_("该记录已处理,无需再审核。"))
    if not access.may_decide(by, entry):
        raise PermissionDenied
    reason = reason.strip()
    if not approve and not reason:
        raise DomainError(_("退回时请说明原因。"), field="reason")
    before = entry.status
    now = timezone.now()
    stage = "unit" if before == CreditEntry.Status.UNIT_PENDING else "dept"
    if stage == "unit":
        entry.unit_decided_by, entry.unit_decided_at = by, now
    else:
        entry.dept_decided_by, entry.dept_decided_at = by, now
    if not approve:
        entry.status, entry.reject_reason = CreditEntry.Status.REJECTED, reason
    elif stage == "unit":
        entry.status = CreditEntry.Status.DEPT_PENDING
    else:
        entry.status = CreditEntry.Status.APPROVED
    entry.save()
    if entry.status == CreditEntry.Status.APPROVED:
        rollup_refresh(
            user_ids=[entry.user_id],
            years=_years({"start": entry.start_date, "end": entry.end_date}),
        )
    audit_log(
        actor=by,
        action=f"credits.entry.{stage}.{'approve' if approve else 'reject'}",
        target=entry,
        before={"status": before},
        after={"status": entry.status},
        reason=reason,
    )
    if not approve:
        title = gettext_lazy("学时记录被退回:%(title)s")
    elif entry.status == CreditEntry.Status.APPROVED:
        title = gettext_lazy("学时记录已认定:%(title)s")
    else:
        title = gettext_lazy("学时记录已通过单位审核,待组织部审核:%(title)s")
    notify(
        user=entry.user,
        title=title,
        body=gettext_lazy("原因:%(reason)s") if reason else "",
        params={"title": entry.title, "reason": reason},
        url=reverse("credits:entry", args=[entry.pk]),
        kind="credits",
    )
    return entry


EDITABLE = (
    "kind",
    "title",
    "organizer_name",
    "hours",
    "start_date",
    "end_date",
    "category",
    "mode",
)


def _approved_for_change(entry, *, by, reason) -> tuple[CreditEntry, str]:
    entry = (
        CreditEntry.objects.select_for_update(of=("self",))
        .select_related("user__unit")
        .get(pk=entry.pk)
    )
    if not access.may_decide_dept(by):
        raise PermissionDenied
    self_decision_guard(subject=entry, by=by)
    if entry.status != CreditEntry.Status.APPROVED:
        raise DomainError(_("只有已认定的记录可以修改或撤销。"))
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(_("请说明原因。"), field="reason")
    return entry, reason[:500]


@transaction.atomic
def entry_edit(*, entry: CreditEntry, data: EntryData, reason: str, by) -> CreditEntry:
    """The organization department corrects an approved record (hours, dates, source, category);
    audited with the reason and the values before and after, the cadre notified."""
    entry, reason = _approved_for_change(entry, by=by, reason=reason)
    title, hours = _checked(data, cadre=entry.user)
    _refuse_duplicate(
        cadre=entry.user, title=title, start_date=data.start_date, exclude_pk=entry.pk
    )
    before = {k: str(getattr(entry, k)) for k in EDITABLE}
    span_before = {"start": entry.start_date, "end": entry.end_date}
    entry.kind, entry.title, entry.hours = data.kind, title, hours
    entry.organizer_name = data.organizer_name.strip()
    entry.start_date, entry.end_date = data.start_date, data.end_date
    entry.category, entry.mode = data.category, data.mode
    after = {k: str(getattr(entry, k)) for k in EDITABLE}
    if after == before:
        raise DomainError(_("没有修改任何内容。"))
    entry.save()
    rollup_refresh(
        user_ids=[entry.user_id],
        years=_years(span_before, {"start": entry.start_date, "end": entry.end_date}),
    )
    audit_log(
        actor=by,
        action="credits.entry.edit",
        target=entry,
        before=before,
        after=after,
        reason=reason,
    )
    notify(
        user=entry.user,
        title=gettext_lazy("已认定的学时记录被修改:%(title)s"),
        body=gettext_lazy("原因:%(reason)s"),
        params={"title": entry.title, "reason": reason},
        url=reverse("credits:entry", args=[entry.pk]),
        kind="credits",
    )
    return entry


@transaction.atomic
def entry_revoke(*, entry: CreditEntry, reason: str, by) -> CreditEntry:
    """The organization department revokes an approved record: it no longer counts (kept, with
    who, when and why); audited, the cadre notified."""
    entry, reason = _approved_for_change(entry, by=by, reason=reason)
    entry.status = CreditEntry.Status.REVOKED
    entry.revoked_by, entry.revoked_at, entry.revoke_reason = by, timezone.now(), reason
    entry.save()
    rollup_refresh(
        user_ids=[entry.user_id], years=_years({"start": entry.start_date, "end": entry.end_date})
    )
    audit_log(
        actor=by,
        action="credits.entry.revoke",
        target=entry,
        before={"status": CreditEntry.Status.APPROVED, "hours": str(entry.hours)},
        after={"status": entry.status},
        reason=reason,
    )
    notify(
        user=entry.user,
        title=gettext_lazy("已认定的学时记录被撤销:%(title)s"),
        body=gettext_lazy("原因:%(reason)s"),
        params={"title": entry.title, "reason": reason},
        url=reverse("credits:entry", args=[entry.pk]),
        kind="credits",
    )
    return entry


def policy_changed(*, row, by, change: str) -> None:
    """After a policy row was added, changed or deleted (in the administration): when it takes
    effect on or before today (a back-dated change included) every kept rollup is recomputed
    once the change commits (a background job: at province scale it takes minutes) and the
    recomputation is audited; a row taking effect later is picked up by the nightly rebuild once
    it is in force."""
    from credits.tasks import rollup_rebuild_task

    if row.effective_from > timezone.localdate():
        return
    audit_log(
        actor=by,
        action="credits.policy.recompute",
        target=row,
        after={"change": change, "effective_from": row.effective_from.isoformat()},
    )
    transaction.on_commit(rollup_rebuild_task.delay)


@transaction.atomic
def profile_set(*, cadre, rank_appointed_on, by):
    """Record the date the cadre was appointed to their present rank (the organization
    department); audited; the cadre's rollup follows."""
    from credits.models import CadreProfile

    if not access.may_decide_dept(by):
        raise PermissionDenied
    if rank_appointed_on is not None and rank_appointed_on > timezone.localdate():
        raise DomainError(_("任现职级时间不能晚于今天。"), field="rank_appointed_on")
    profile, _created = CadreProfile.objects.select_for_update().get_or_create(user=cadre)
    before = profile.rank_appointed_on
    if before == rank_appointed_on:
        return profile
    profile.rank_appointed_on = rank_appointed_on
    profile.save(update_fields=["rank_appointed_on", "updated_at"])
    rollup_refresh(user_ids=[cadre.pk])
    audit_log(
        actor=by,
        action="credits.profile.appointed",
        target=cadre,
        before={"rank_appointed_on": before.isoformat() if before else None},
        after={"rank_appointed_on": rank_appointed_on.isoformat() if rank_appointed_on else None},
    )
    return profile
