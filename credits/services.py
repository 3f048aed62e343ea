"""Writes of the training record: file an external record (with evidence), decide it at the
unit and then at the organization department. Every step is audited and the cadre notified;
expected failures raise DomainError with a message and write nothing."""

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


@transaction.atomic
def entry_file(*, cadre, data: EntryData, evidence=None, by) -> CreditEntry:
    """File a record for `cadre` (themselves, their liaison or an admin); it goes to the unit
    for review (or straight to the organization department when the policy skips the unit)."""
    if not access.may_file_for(by, cadre):
        raise PermissionDenied
    if data.kind not in FILED_KINDS:
        raise DomainError(_("请选择学时来源。"), field="kind")
    title = data.title.strip()
    if not title:
        raise DomainError(_("请填写名称。"), field="title")
    if data.end_date < data.start_date:
        raise DomainError(_("结束日期不能早于开始日期。"), field="end_date")
    hours = _hours(data, cadre=cadre, book=PolicyBook())
    if evidence is None and not data.evidence_link:
        raise DomainError(_("请上传证明材料(PDF 或图片),或填写证明链接。"), field="evidence")
    detected = None
    if evidence is not None:
        detected = check_upload_detail(
            evidence, kinds=EVIDENCE_KINDS, max_bytes=EVIDENCE_MAX_BYTES, field="evidence"
        )
    duplicate = (
        CreditEntry.objects.select_for_update()
        .filter(user=cadre, title=title, start_date=data.start_date)
        .exclude(status=CreditEntry.Status.REJECTED)
        .exists()
    )
    if duplicate:
        raise DomainError(
            _("%(name)s 在 %(date)s 已有同名记录「%(title)s」,不能重复登记。")
            % {"name": cadre.full_name, "date": data.start_date, "title": title},
            field="title",
        )
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


# --- the online college's yearly export ------------------------------------------------------


def _mark_known(rows: list[dict]) -> None:
    """Flag rows already recorded (the same person, course and date: never counted twice) and
    repeats inside the file. One query."""
    keys = {(r["user_id"], r["course"], r["date"]) for r in rows if r["user_id"]}
    users = {k[0] for k in keys}
    existing = set(
        CreditEntry.objects.filter(user_id__in=users)
        .exclude(status=CreditEntry.Status.REJECTED)
        .values_list("user_id", "title", "start_date")
    )
    existing = {(u, t, d.isoformat()) for u, t, d in existing}
    seen = set()
    for r in rows:
        key = (r["user_id"], r["course"], r["date"])
        r["known"] = ""
        if r["user_id"] and key in existing:
            r["known"] = "recorded"
        elif r["user_id"] and key in seen:
            r["known"] = "repeated"
        seen.add(key)


def online_import_counts(rows) -> dict:
    return {
        "total": len(rows),
        "problems": sum(1 for r in rows if r["problem"]),
        "unmatched": sum(1 for r in rows if not r["problem"] and r["unmatched"]),
        "known": sum(1 for r in rows if not r["problem"] and r["user_id"] and r.get("known")),
        "new": sum(1 for r in rows if not r["problem"] and r["user_id"] and not r.get("known")),
    }


@transaction.atomic
def online_import_preview(*, upload, by):
    """Read and match the export; nothing is recorded until the preview is confirmed."""
    from credits.models import OnlineImport
    from credits.online_import import match_rows, read_rows

    if not access.may_import(by):
        raise PermissionDenied
    rows = match_rows(read_rows(upload))
    _mark_known(rows)
    batch = OnlineImport.objects.create(
        created_by=by, filename=(upload.name or "")[:200], rows=rows
    )
    audit_log(
        actor=by,
        action="credits.import.preview",
        target=batch,
        after={"filename": batch.filename, **online_import_counts(rows)},
    )
    return batch


@transaction.atomic
def online_import_commit(*, batch, by) -> int:
    """Record every matched new row as an approved online-college record, all in one
    transaction; refused (nothing written) while any row is malformed. Re-importing the same
    file records nothing twice."""
    from credits.models import OnlineImport

    if not access.may_import(by):
        raise PermissionDenied
    batch = OnlineImport.objects.select_for_update().get(pk=batch.pk)
    if batch.status != OnlineImport.Status.PREVIEW:
        raise DomainError(_("该导入已确认,不能重复导入。"))
    rows = batch.rows
    bad = [r for r in rows if r["problem"]]
    if bad:
        raise DomainError(
            _("有 %(n)s 行数据有误(如第 %(row)s 行:%(problem)s),请修改文件后重新上传。")
            % {"n": len(bad), "row": bad[0]["row"], "problem": bad[0]["problem"]}
        )
    _mark_known(rows)  # records filed since the preview count too
    now = timezone.now()
    new = [
        CreditEntry(
            user_id=r["user_id"],
            kind=SourceKind.ONLINE,
            title=r["course"],
            organizer_name=_("干部网络学院"),
            hours=Decimal(r["hours"]),
            start_date=date.fromisoformat(r["date"]),
            end_date=date.fromisoformat(r["date"]),
            category="required",
            mode="online",
            status=CreditEntry.Status.APPROVED,
            filed_by=by,
            dept_decided_by=by,
            dept_decided_at=now,
        )
        for r in rows
        if r["user_id"] and not r.get("known")
    ]
    if not new:
        raise DomainError(_("没有可导入的新记录(均已导入或无法匹配人员)。"))
    CreditEntry.objects.bulk_create(new)
    batch.rows, batch.status, batch.imported = rows, OnlineImport.Status.COMMITTED, len(new)
    batch.save(update_fields=["rows", "status", "imported", "updated_at"])
    audit_log(
        actor=by,
        action="credits.import.commit",
        target=batch,
        after={"imported": len(new), **online_import_counts(rows)},
    )
    return len(new)
