"""Roster import (花名册导入), the workflow: preview (match every row of a parsed roster to a
person or a new account, units as offices write them), correct (unit choices remembered as
aliases, inline row edits), confirm in one transaction (stale previews refused), cancel, and
the nightly purge. Reading the .xlsx itself (bounded, streaming) is enrollment.imports.parse.

One cohesive workflow, hence longer than the other modules."""

from datetime import timedelta

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.errors import DomainError, self_decision_guard
from core.services import AuditEntry, audit_log, audit_log_many, notify_many
from enrollment import selectors
from enrollment.imports.parse import ROW_FIELDS
from enrollment.models import (
    Enrollment,
)
from enrollment.services._base import (
    _REOPEN_RESET,
    _enrolled_count,
    _ensure_open,
    _jurisdiction,
    _lock_program,
    _reopen,
)

S = Enrollment.Status


def _jurisdiction_units(program):
    """(units, by_id) of the program's jurisdiction, the territory itself included."""
    from accounts.models import OrgUnit

    units = list(OrgUnit.objects.filter(path__startswith=_jurisdiction(program)))
    return units, {u.pk: u for u in units}


def _units_by_text(program, texts) -> dict:
    """Map unit text from the file to an OrgUnit inside the program's jurisdiction: an alias an
    organizer chose before, else a unit written exactly (in any of its forms: 市发展和改革委员会,
    云江市发展和改革委员会, 青湖区桃源镇人民政府). Anything else is None (unknown): never a guess."""
    from enrollment.imports.match import match_unit
    from enrollment.models import UnitAlias

    texts = {t for t in texts if t}
    if not texts:
        return {}
    units, by_id = _jurisdiction_units(program)
    aliases = {
        a.text: by_id.get(a.unit_id)
        for a in UnitAlias.objects.filter(text__in=texts, unit__in=list(by_id)).order_by(
            "updated_at"
        )
    }
    return {t: aliases.get(t) or match_unit(t, units, by_id) for t in texts}


def _match_rows(program, rows: list[dict], *, by=None) -> list[dict]:
    """Decide for each parsed row: `match` (an existing user), `new`, `already` (enrolled
    already: skipped) or `error`, with messages. Queries are fixed in number, not per row.
    What matching adds to a row's messages is recomputed each time (the parse-level ones stay).
    The importer's own row is an error: nobody enrols themselves."""
    from accounts.models import User

    staff = {r["staff_number"] for r in rows if r["staff_number"]}
    ids = {r["id_number"] for r in rows if r["id_number"] and not r.get("id_error")}
    phones = {r["phone"] for r in rows if r["phone"]}
    users = (
        list(
            User.objects.filter(
                Q(staff_number__in=staff) | Q(id_number__in=ids) | Q(phone__in=phones)
            ).select_related("unit")
        )
        if (staff or ids or phones)
        else []
    )
    by_staff, by_id, by_phone = {}, {}, {}
    for u in users:
        if u.staff_number:
            by_staff.setdefault(u.staff_number, []).append(u)
        if u.id_number:
            by_id.setdefault(u.id_number, []).append(u)
        if u.phone:
            by_phone.setdefault(u.phone, []).append(u)
    existing = dict(
        Enrollment.objects.filter(program=program, user__in=users).values_list("user_id", "status")
    )
    units = _units_by_text(program, [r["unit"] for r in rows])
    # People with no phone, ID or staff number on record can only be told apart by name.
    namesakes = set(
        User.objects.filter(full_name__in={r["name"] for r in rows if r["name"]}).values_list(
            "full_name", "unit_id"
        )
    )
    seen: dict = {}
    out = []
    for src in rows:
        r = {
            **src,
            "errors": list(src.get("parse_errors", src["errors"])),
            "warnings": list(src.get("parse_warnings", src["warnings"])),
            "id_error": src.get("id_error", ""),
        }
        r.update(
            action="error",
            user_id=None,
            user_name="",
            user_unit="",
            unit_id=None,
            unit_unknown=False,
            id_warning="",
        )
        id_ok = r["id_number"] and not r["id_error"]
        keys = [
            k
            for k in (
                ("staff", r["staff_number"]),
                ("id", r["id_number"] if id_ok else ""),
                ("phone", r["phone"]),
            )
            if k[1]
        ]
        for key in keys:
            if key in seen:
                r["errors"].append(_("与第 %(n)d 行是同一人(重复)。") % {"n": seen[key]})
                break
        for key in keys:
            seen.setdefault(key, r["row"])
        candidates = set()
        for found in (
            by_staff.get(r["staff_number"]),
            by_id.get(r["id_number"]) if id_ok else None,
        ):
            if found:
                candidates.update(found)
        phone_users = by_phone.get(r["phone"], [])
        if len(phone_users) == 1:
            candidates.update(phone_users)  # a phone owned by someone else is a conflict
        elif len(phone_users) > 1 and not candidates:
            r["errors"].append(_("手机号码对应多名人员,请补充工号或身份证号。"))
        if len(candidates) > 1:
            r["errors"].append(_("工号、身份证号、手机号码分别对应不同人员。"))
        elif len(candidates) == 1:
            user = candidates.pop()
            r.update(
                user_id=user.pk,
                user_name=user.full_name,
                user_unit=user.unit.name if user.unit_id else "",
            )
            if r["id_error"]:
                # A typo in the ID number of someone the phone or staff number identifies: they
                # are imported on their identity in the system; the file's number is not used.
                r["id_warning"] = r["id_error"]
                r["warnings"].append(
                    _("%(err)s 已按手机号码或工号匹配到本人,以系统中的信息为准。")
                    % {"err": r["id_error"]}
                )
            try:
                self_decision_guard(subject=user, by=by)
            except DomainError as exc:
                r["errors"].append(exc.message)
            if r["name"] and user.full_name != r["name"]:
                r["errors"].append(
                    _("匹配到的人员姓名为“%(n)s”,与表中姓名不一致。") % {"n": user.full_name}
                )
            status = existing.get(user.pk)
            if not r["errors"]:
                if status == S.ENROLLED:
                    r["action"] = "already"
                else:
                    r["action"] = "match"
                    if status:
                        r["warnings"].append(
                            _("原状态为“%(s)s”,导入后改为已录取。") % {"s": S(status).label}
                        )
        else:
            if r["id_error"]:
                r["errors"].append(r["id_error"])
            unit = units.get(r["unit"])
            if not r["unit"]:
                r["errors"].append(_("系统中没有此人,且未填写单位。"))
            elif unit is None:
                r["unit_unknown"] = True
                r["errors"].append(
                    _("系统中找不到单位“%(u)s”:请在上方“单位待确认”中选择对应的单位。")
                    % {"u": r["unit"]}
                )
            else:
                r["unit_id"], r["user_unit"] = unit.pk, unit.name
            if not (r["phone"] or r["id_number"]):
                r["errors"].append(_("新人员须有手机号码或身份证号。"))
            if not r["errors"]:
                r["action"] = "new"
                if (r["name"], r["unit_id"]) in namesakes:
                    r["warnings"].append(
                        _(
                            "本单位已有同名人员“%(n)s”,请核实是否为同一人(可在表中补充工号或身份证号)。"
                        )
                        % {"n": r["name"]}
                    )
        if r["errors"]:
            r["action"] = "error"
        out.append(r)
    return out


def preview_digest(rows) -> str:
    """What a preview decided, independent of the language its messages are in: the same
    digest at confirmation means the organizer saw what will be written."""
    import hashlib
    import json

    keys = ("row", "action", "user_id", "unit_id", *ROW_FIELDS)
    decided = [[r.get(k) for k in keys] for r in rows]
    return hashlib.sha256(json.dumps(decided, ensure_ascii=False).encode()).hexdigest()


@transaction.atomic
def import_preview_create(*, program, upload, by):
    """Parse and match an uploaded roster; store the preview. Nothing else is written."""
    from enrollment.imports.parse import parse_roster
    from enrollment.models import ImportBatch

    _ensure_open(_lock_program(program))
    parsed = parse_roster(upload)
    rows = _match_rows(program, parsed.rows, by=by)
    return ImportBatch.objects.create(
        program=program,
        created_by=by,
        filename=(upload.name or "")[:200],
        header_row=parsed.header_row,
        columns=parsed.columns,
        unused_columns=parsed.unused,
        rows=rows,
        preview_hash=preview_digest(rows),
    )


def import_counts(rows) -> dict:
    counts = {"match": 0, "new": 0, "already": 0, "error": 0}
    for r in rows:
        counts[r["action"]] += 1
    return counts


def _locked_preview(batch):
    from enrollment.models import ImportBatch

    batch = ImportBatch.objects.select_for_update().select_related("program").get(pk=batch.pk)
    if batch.status != ImportBatch.Status.PREVIEW:
        raise DomainError(_("这批名册已经处理过了。"))
    return batch


def _rematch(batch, by) -> None:
    batch.rows = _match_rows(batch.program, batch.rows, by=by)
    batch.preview_hash = preview_digest(batch.rows)
    batch.save(update_fields=["rows", "preview_hash", "updated_at"])


@transaction.atomic
def import_unit_resolve(*, batch, text: str, unit, by):
    """The organizer says which unit a roster's unknown unit text means: every row with that
    text takes it, and the choice is remembered (UnitAlias, within the program's territory) for
    the next roster. Only units inside the program's jurisdiction."""
    from accounts.models import OrgUnit
    from enrollment.models import UnitAlias

    batch = _locked_preview(batch)
    program = batch.program
    _ensure_open(program)
    text = (text or "").strip()[:120]
    if not text or not any(r["unit"] == text for r in batch.rows):
        raise DomainError(_("名册中没有这个单位写法。"), field="unit")
    jurisdiction = _jurisdiction(program)
    if unit is None or not unit.path.startswith(jurisdiction):
        raise DomainError(_("只能选择本班调训范围内的单位。"), field="unit")
    scope = OrgUnit.objects.get(path=jurisdiction)
    alias, created = UnitAlias.objects.update_or_create(
        scope=scope, text=text, defaults={"unit": unit, "created_by": by}
    )
    audit_log(
        actor=by,
        action="enrollment.unit_alias",
        target=alias,
        after={"text": text, "unit": unit.name, "batch": batch.pk},
    )
    _rematch(batch, by)
    return alias


@transaction.atomic
def import_row_edit(*, batch, row: int, cells: dict, by):
    """Correct one row's cells in the preview (a typo in an ID number, a missing unit); the row
    is cleaned as if read from the file, and every row is matched again (a duplicate may have
    appeared or gone)."""
    from enrollment.imports.parse import clean_row

    batch = _locked_preview(batch)
    _ensure_open(batch.program)
    index = next((i for i, r in enumerate(batch.rows) if r["row"] == row), None)
    if index is None:
        raise DomainError(_("预览中没有第 %(n)d 行。") % {"n": row})
    values = {k: cells.get(k, "") for k in ROW_FIELDS}
    values["rank"] = values.pop("rank_text")
    before = {k: batch.rows[index].get(k) for k in ROW_FIELDS}
    batch.rows[index] = clean_row(values, row)
    audit_log(
        actor=by,
        action="enrollment.import_row_edit",
        target=batch,
        before={"row": row, **{k: v for k, v in before.items() if k not in ("id_number", "phone")}},
        after={"row": row, "name": batch.rows[index]["name"], "unit": batch.rows[index]["unit"]},
    )
    _rematch(batch, by)
    return batch


def _usernames_for(count: int) -> list[str]:
    """Fresh login names that are not personal data ("u" + 8 random digits, never the ID or
    phone number), in one query whatever the count (a clash is drawn again)."""
    import secrets

    from accounts.models import User

    names: set[str] = set()
    while len(names) < count:
        draw = {f"u{secrets.randbelow(10**8):08d}" for _i in range(count - len(names))}
        taken = set(User.objects.filter(username__in=draw).values_list("username", flat=True))
        names |= draw - taken
    return sorted(names)


def _nothing_to_import(rows, create_missing: bool) -> DomainError:
    """Say what is needed when a confirmation would import nobody."""
    tally = import_counts(rows)
    if tally["new"] and not create_missing:
        return DomainError(
            _(
                "表中 %(n)d 名人员在系统中还没有账号:请勾选“为新人员创建账号并录取”后再确认"
                "(或先在系统中添加这些人员)。"
            )
            % {"n": tally["new"]},
            field="create_missing",
            code="needs_accounts",
        )
    if tally["already"] and not tally["error"]:
        return DomainError(_("表中人员都已在本班名册中,无需导入。"), code="nothing")
    return DomainError(
        _("没有可以导入的人员:%(n)d 行有错误,请在预览中修改这些行或修改文件后重新上传。")
        % {"n": tally["error"]},
        code="nothing",
    )


class StalePreview(DomainError):
    pass


def import_commit(*, batch, by, create_missing: bool, seen_hash: str | None = None):
    """Enroll every good row of a previewed import in one transaction, re-matching first (the
    data may have changed since the preview). If the re-matched rows differ from what the
    organizer saw (`seen_hash`, else the stored preview), nothing is imported: the refreshed
    preview is stored and a DomainError asks to check it again. Rows in error are skipped; new
    people are created only when `create_missing`. If anything fails (capacity, a concurrent
    change), nothing is written. The number of queries does not grow with the number of rows:
    accounts, roster rows and audit entries are written in bulk."""
    try:
        with transaction.atomic():
            return _import_commit(
                batch=batch, by=by, create_missing=create_missing, seen_hash=seen_hash
            )
    except StalePreview as stale:
        with transaction.atomic():
            _rematch(_locked_preview(batch), by)
        raise DomainError(stale.message, code="stale") from None


def _import_commit(*, batch, by, create_missing, seen_hash):
    from accounts.models import User
    from enrollment.models import ImportBatch

    batch = _locked_preview(batch)
    program = _lock_program(batch.program)
    _ensure_open(program)
    rows = _match_rows(program, batch.rows, by=by)
    if preview_digest(rows) != (seen_hash or batch.preview_hash):
        raise StalePreview(
            _("预览生成后名册或系统中的人员已有变化,未导入任何人员。请重新核对预览后再确认。")
        )
    to_enroll = [r for r in rows if r["action"] == "match"]
    to_create = [r for r in rows if r["action"] == "new"] if create_missing else []
    if not to_enroll and not to_create:
        raise _nothing_to_import(rows, create_missing)
    needed = len(to_enroll) + len(to_create)
    enrolled = _enrolled_count(program)
    if enrolled + needed > program.capacity:
        raise DomainError(
            _("导入后人数(%(total)d)将超过本班计划人数(%(cap)d),未导入任何人员。")
            % {"total": enrolled + needed, "cap": program.capacity},
            code="full",
        )
    created_users = []
    for r, username in zip(to_create, _usernames_for(len(to_create)), strict=True):
        user = User(
            username=username,
            full_name=r["name"],
            unit_id=r["unit_id"],
            phone=r["phone"],
            id_number=r["id_number"],
            gender=r["gender"],
            rank=r["rank"],
            position=r["position"][:80],
            staff_number=r["staff_number"],
        )
        user.set_unusable_password()
        created_users.append(user)
    try:
        with transaction.atomic():
            User.objects.bulk_create(created_users)
    except IntegrityError:  # a username taken by a concurrent import
        raise DomainError(_("名册导入时有人员同时被添加,请重新上传后再确认。")) from None
    for r, user in zip(to_create, created_users, strict=True):
        r["user_id"] = user.pk
    users = {u.pk: u for u in created_users}
    matched_ids = [r["user_id"] for r in to_enroll]
    users.update(User.objects.in_bulk(matched_ids))
    _enroll_rows(program, [(r, users[r["user_id"]]) for r in to_enroll + to_create], by)
    summary = {
        "enrolled": len(to_enroll),
        "created": len(created_users),
        "skipped_new": len([r for r in rows if r["action"] == "new"]) - len(to_create),
        "already": len([r for r in rows if r["action"] == "already"]),
        "errors": len([r for r in rows if r["action"] == "error"]),
    }
    batch.rows, batch.summary = rows, summary
    batch.status, batch.committed_at = ImportBatch.Status.COMMITTED, timezone.now()
    batch.save(update_fields=["rows", "summary", "status", "committed_at", "updated_at"])
    audit_log(actor=by, action="enrollment.import_commit", target=batch, after=summary)
    notify_many(
        users=list(users.values()),
        title=gettext_lazy("已列入培训名册:%(program)s"),
        body=gettext_lazy("请按时参训。"),
        url=reverse("enrollment:mine"),
        kind="enrollment",
        params={"program": program.title},
    )
    return batch


def _enroll_rows(program, pairs, by) -> None:
    """Enroll (row, user) pairs in bulk: an applicant, nominee or waitlisted person simply
    becomes enrolled on their row; a rejected or withdrawn row is reopened as a fresh start;
    everyone else gets a new row. One audit entry per person, as before."""
    now = timezone.now()
    existing = {
        e.user_id: e
        for e in Enrollment.objects.select_for_update().filter(
            program=program, user__in=[u.pk for _r, u in pairs]
        )
    }
    reopened, fresh, audits = [], [], []
    for r, user in pairs:
        e = existing.get(user.pk)
        if e is None:
            e = Enrollment(
                program=program,
                user=user,
                unit_id=user.unit_id,
                status=S.ENROLLED,
                source=Enrollment.Source.IMPORT,
                status_changed_at=now,
                roster_note=r.get("note", ""),
            )
            fresh.append((e, r))
            continue
        before = e.status
        if e.status in selectors.CLOSED_STATUSES:
            _reopen(e, user=user, status=S.ENROLLED, source=Enrollment.Source.IMPORT, now=now)
            after = {"status": S.ENROLLED, "row": r["row"]}
        else:
            e.status, e.status_changed_at, e.waitlist_position = S.ENROLLED, now, None
            e.decided_by = by
            after = {"status": S.ENROLLED}
        e.updated_at = now
        e.roster_note = r.get("note", "")  # the new roster's word on this person
        reopened.append(e)
        audits.append(
            AuditEntry(
                actor=by,
                action="enrollment.import",
                target=e,
                before={"status": before},
                after=after,
            )
        )
    Enrollment.objects.bulk_update(
        reopened,
        [
            "status",
            "status_changed_at",
            "source",
            "unit",
            "roster_note",
            "updated_at",
            *_REOPEN_RESET,
        ],
    )
    try:
        with transaction.atomic():
            Enrollment.objects.bulk_create([e for e, _r in fresh])
    except IntegrityError:  # the same person was added by a concurrent request
        raise DomainError(_("名册导入时有人员同时被添加,请重新上传后再确认。")) from None
    audits += [
        AuditEntry(
            actor=by,
            action="enrollment.import",
            target=e,
            after={"status": S.ENROLLED, "row": r["row"]},
        )
        for e, r in fresh
    ]
    audit_log_many(audits)


@transaction.atomic
def import_cancel(*, batch, by):
    from enrollment.models import ImportBatch

    if batch.status != ImportBatch.Status.PREVIEW:
        raise DomainError(_("这批名册已经处理过了。"))
    batch.status = ImportBatch.Status.CANCELLED
    batch.save(update_fields=["status", "updated_at"])
    return batch


# How long an uploaded roster's rows (names, ID numbers, phone numbers) are kept: a preview
# nobody confirmed, or a cancelled one, goes after IMPORT_PREVIEW_DAYS; an imported one keeps its
# summary (who imported what, when, how many) but its rows are cleared after IMPORT_DETAIL_DAYS.
IMPORT_PREVIEW_DAYS = 7


IMPORT_DETAIL_DAYS = 30


def import_batches_purge(*, now=None) -> dict:
    """The nightly clean-up of uploaded rosters (see IMPORT_PREVIEW_DAYS). Idempotent."""
    from enrollment.models import ImportBatch

    now = now or timezone.now()
    S = ImportBatch.Status
    deleted, _ = ImportBatch.objects.filter(
        status__in=[S.PREVIEW, S.CANCELLED],
        updated_at__lt=now - timedelta(days=IMPORT_PREVIEW_DAYS),
    ).delete()
    cleared = (
        ImportBatch.objects.filter(
            status=S.COMMITTED, committed_at__lt=now - timedelta(days=IMPORT_DETAIL_DAYS)
        )
        .exclude(rows=[])
        .update(rows=[], updated_at=now)
    )
    return {"deleted": deleted, "cleared": cleared}
