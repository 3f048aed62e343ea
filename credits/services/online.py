"""The online college's yearly export: preview (read, match, flag what is already recorded) and
confirm all or nothing. Re-importing the same file records nothing twice."""

from datetime import date
from decimal import Decimal

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.errors import DomainError
from core.services import audit_log
from credits import access
from credits.models import CreditEntry, OnlineImport, SourceKind
from credits.online_import import match_rows, read_rows
from credits.services.rollup import rollup_refresh


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
    rollup_refresh(
        user_ids={e.user_id for e in new},
        years={e.start_date.year for e in new} | {e.end_date.year for e in new},
    )
    batch.rows, batch.status, batch.imported = rows, OnlineImport.Status.COMMITTED, len(new)
    batch.save(update_fields=["rows", "status", "imported", "updated_at"])
    audit_log(
        actor=by,
        action="credits.import.commit",
        target=batch,
        after={"imported": len(new), **online_import_counts(rows)},
    )
    return len(new)
