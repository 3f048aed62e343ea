"""Every write of the programs app. Each function checks the rules of the program's state
(DESIGN.md §3), raises DomainError with a message for the form, and logs what matters."""

import datetime as dt
import math
import re
import secrets
from dataclasses import dataclass, field
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.scoping import roles_of
from core.errors import DomainError
from core.services import audit_log, notify_many
from plans.models import PlanItem
from plans.selectors import approved_items_for
from programs import hooks
from programs.access import CLOSED_STATUSES, ensure_program_open, program_is_reopened
from programs.conflicts import Conflict, Slot, find_conflicts
from programs.models import (
    ATTENDANCE_POLICY_FIELDS,
    COMPLETION_POLICY_FIELDS,
    CalendarFeed,
    Lecturer,
    Program,
    ProgramCost,
    ProgramFamily,
    RecurringSeries,
    Session,
    Venue,
)
from programs.recurrence import at_local, expand_dates

S = Program.Status

# Allowed moves of the state machine: draft → published → running → completed → archived, and
# back from published to draft (unpublish before anyone relies on it).
TRANSITIONS = {
    S.DRAFT: {S.PUBLISHED},
    S.PUBLISHED: {S.DRAFT, S.RUNNING},
    S.RUNNING: {S.COMPLETED},
    S.COMPLETED: {S.ARCHIVED},
    S.ARCHIVED: set(),
}
# How long an admin's reopening of a closed program lasts unless it is closed again earlier.
REOPEN_DAYS = 7

PROGRAM_FIELDS = [
    "code",
    "title",
    "theme",
    "description",
    "level",
    "kind",
    "organizing_unit",
    "family",
    "cohort_number",
    "start_date",
    "end_date",
    "capacity",
    "target_ranks",
    "credit_hours",
    *ATTENDANCE_POLICY_FIELDS,
    *COMPLETION_POLICY_FIELDS,
    "plan_item",
]


class ConflictError(DomainError):
    """Raised when a schedule change clashes. `conflicts` lists blocking ones and warnings;
    with only warnings, the caller may repeat the call with acknowledge_warnings=True."""

    def __init__(self, conflicts: list[Conflict]):
        self.conflicts = conflicts
        self.blocking = [c for c in conflicts if c.blocking]
        self.warnings = [c for c in conflicts if not c.blocking]
        first = (self.blocking or self.warnings)[0].message
        super().__init__(first, code="conflict")


# --- programs ------------------------------------------------------------------------------


@transaction.atomic
def program_reopen(*, program: Program, by, reason: str, days: int = REOPEN_DAYS) -> Program:
    """An admin reopens a completed or archived program for corrections. The reopening is
    explicit and time-limited: it lasts `days` days (REOPEN_DAYS) or until an admin closes the
    program again (program_reopen_end) or the program moves to another state, whichever comes
    first. Audited with the reason."""
    if not roles_of(by).is_admin:
        raise DomainError(_("只有系统管理员可以重新开放已结束或已归档的项目。"), code="forbidden")
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(_("请填写重新开放的原因。"), field="reason")
    if len(reason) > 200:
        raise DomainError(_("原因最多 200 个字。"), field="reason")
    if not 1 <= days <= 30:
        raise DomainError(_("开放天数须在 1 到 30 天之间。"), field="days")
    program = Program.objects.select_for_update().get(pk=program.pk)
    if program.status not in CLOSED_STATUSES:
        raise DomainError(_("该项目未结束,无需重新开放。"))
    before = program.reopened_until.isoformat() if program.reopened_until else None
    program.reopened_until = timezone.now() + dt.timedelta(days=days)
    program.reopen_reason = reason
    program.save(update_fields=["reopened_until", "reopen_reason", "updated_at"])
    audit_log(
        actor=by,
        action="program.reopen",
        target=program,
        before={"reopened_until": before},
        after={"reopened_until": program.reopened_until.isoformat(), "reason": reason},
    )
    return program


@transaction.atomic
def program_reopen_end(*, program: Program, by) -> Program:
    """Close a reopened program again before its reopening runs out (admins)."""
    if not roles_of(by).is_admin:
        raise DomainError(_("只有系统管理员可以结束临时开放。"), code="forbidden")
    program = Program.objects.select_for_update().get(pk=program.pk)
    if not program_is_reopened(program):
        raise DomainError(_("该项目当前没有临时开放。"))
    program.reopened_until = None
    program.save(update_fields=["reopened_until", "updated_at"])
    audit_log(actor=by, action="program.reopen_end", target=program, after={"reason": ""})
    return program


def check_numbers(instance, fields) -> None:
    """Every number within its field's bounds (the model's validators, the same as the database
    checks), NaN and ±Infinity refused: a DomainError naming the field, never a 500."""
    for name in fields:
        value = getattr(instance, name)
        if value is None:
            continue
        model_field = instance._meta.get_field(name)
        if isinstance(value, Decimal | float) and not (
            value.is_finite() if isinstance(value, Decimal) else math.isfinite(value)
        ):  # before any comparison: comparing a signalling NaN raises
            raise DomainError(
                _("“%(label)s”须是一个有限的数字。") % {"label": model_field.verbose_name},
                field=name,
            )
        try:
            model_field.run_validators(model_field.to_python(value))
        except ValidationError as err:
            raise DomainError(
                _("“%(label)s”超出允许范围:%(detail)s")
                % {"label": model_field.verbose_name, "detail": " ".join(err.messages)},
                field=name,
            ) from None


PROGRAM_NUMBERS = [
    "capacity",
    "credit_hours",
    "cohort_number",
    "checkin_opens_before",
    "late_grace_minutes",
    "checkin_closes_after",
    "checkout_opens_before",
    "checkout_closes_after",
    "attendance_warning_rate",
    "completion_min_attendance_rate",
    "completion_max_unexcused_absences",
    "completion_min_score",
]


def _validate_program(program: Program) -> None:
    check_numbers(program, PROGRAM_NUMBERS)
    if program.start_date and program.end_date and program.end_date < program.start_date:
        raise DomainError(_("结束日期不能早于开始日期。"), field="end_date")
    if program.family_id and program.cohort_number is None:
        raise DomainError(_("属于项目系列的项目须填写期数。"), field="cohort_number")
    clash = Program.objects.filter(code=program.code).exclude(pk=program.pk)
    if clash.exists():
        raise DomainError(_("编号 %(code)s 已被使用。") % {"code": program.code}, field="code")
    if program.family_id and program.cohort_number is not None:
        same = Program.objects.filter(
            family_id=program.family_id, cohort_number=program.cohort_number
        ).exclude(pk=program.pk)
        if same.exists():
            raise DomainError(
                _("该系列已有第 %(n)s 期。") % {"n": program.cohort_number}, field="cohort_number"
            )


def _family_for(*, data: dict, organizing_unit) -> ProgramFamily | None:
    name = (data.pop("new_family_name", "") or "").strip()
    family = data.get("family")
    if family is None and name:
        family, _created = ProgramFamily.objects.get_or_create(
            name=name, organizing_unit=organizing_unit
        )
    return family


@transaction.atomic
def program_create(*, by, data: dict) -> Program:
    """A new program in draft. `data` holds model fields (PROGRAM_FIELDS) and optionally
    `new_family_name` to start a program family."""
    data = dict(data)
    data["family"] = _family_for(data=data, organizing_unit=data["organizing_unit"])
    program = Program(**{k: v for k, v in data.items() if k in PROGRAM_FIELDS})
    program.status = S.DRAFT
    _validate_program(program)
    _check_plan_item(program.plan_item, by=by)
    program.save()
    audit_log(
        actor=by,
        action="program.create",
        target=program,
        after={"code": program.code, "plan_item": program.plan_item_id},
    )
    return program


@transaction.atomic
def program_update(*, program: Program, by, data: dict) -> Program:
    """Change a program's fields. Archived programs are read-only; new dates must still hold
    every scheduled session; capacity never drops below the trainees already enrolled, and
    raising it seats the head of the waitlist."""
    program = Program.objects.select_for_update().get(pk=program.pk)
    ensure_program_open(program)
    data = dict(data)
    if "family" in data or data.get("new_family_name"):
        data["family"] = _family_for(
            data=data, organizing_unit=data.get("organizing_unit", program.organizing_unit)
        )
    # NaN and ±Infinity are refused before anything compares them (sNaN cannot be compared).
    check_numbers(
        Program(**{k: v for k, v in data.items() if k in PROGRAM_NUMBERS}),
        [k for k in PROGRAM_NUMBERS if k in data],
    )
    before = {
        k: str(getattr(program, k))
        for k in ("start_date", "end_date", "title", "code", "capacity", "plan_item_id")
    }
    changed = []
    for key, value in data.items():
        if key in PROGRAM_FIELDS and getattr(program, key) != value:
            setattr(program, key, value)
            changed.append(key)
    _validate_program(program)
    if "plan_item" in changed:
        _check_plan_item(program.plan_item, by=by)
        if program.plan_item is None and program.status != S.DRAFT and not program.plan_waived_at:
            raise DomainError(
                _("已发布的项目须关联已备案的计划班次(或经管理员批准计划外举办)。"),
                field="plan_item",
            )
    if {"start_date", "end_date"} & set(changed):
        outside = [
            s
            for s in program.sessions.exclude(status=Session.Status.CANCELLED)
            if not program.start_date <= timezone.localdate(s.start) <= program.end_date
        ]
        if outside:
            raise DomainError(
                _("有 %(n)s 节课不在新的日期范围内(如 %(d)s),请先调整课表。")
                % {
                    "n": len(outside),
                    "d": timezone.localdate(outside[0].start).isoformat(),
                },
                field="end_date",
            )
    if "capacity" in changed:
        _check_capacity_holds_enrolled(program)
    if changed:
        program.save(update_fields=[*changed, "updated_at"])
        after = {k: str(getattr(program, k)) for k in before}
        audit_log(actor=by, action="program.update", target=program, before=before, after=after)
    if "capacity" in changed:
        # Seats added: the head of the waitlist takes them, under the program lock held here.
        hooks.capacity_raised(program)
    return program


def _check_capacity_holds_enrolled(program: Program) -> None:
    enrolled = hooks.enrolled_count(program)
    if program.capacity < enrolled:
        raise DomainError(
            _("已录取 %(n)d 人,计划人数不能少于已录取人数。") % {"n": enrolled},
            field="capacity",
        )


@transaction.atomic
def program_transition(*, program: Program, to: str, by) -> Program:
    """Move a program along draft → published → running → completed → archived."""
    program = Program.objects.select_for_update().get(pk=program.pk)
    if to not in TRANSITIONS.get(program.status, set()):
        raise DomainError(
            _("项目当前为“%(now)s”,不能改为“%(to)s”。")
            % {"now": program.get_status_display(), "to": S(to).label if to in S.values else to}
        )
    if to == S.PUBLISHED and not program.sessions.exists():
        raise DomainError(_("请先排课再发布。"))
    if to == S.PUBLISHED and program.status == S.DRAFT:
        problem = plan_basis_problem(program)
        if problem:
            raise DomainError(problem, code="no_plan")
    before = program.status
    program.status = to
    # Moving on closes any reopening: the program is read-only again in its new state.
    program.reopened_until = None
    program.save(update_fields=["status", "reopened_until", "updated_at"])
    audit_log(
        actor=by,
        action="program.transition",
        target=program,
        before={"status": before},
        after={"status": to},
    )
    return program


# --- plan basis (issue 16 item 2) -------------------------------------------------------------


def _check_plan_item(item: PlanItem | None, *, by) -> None:
    """A program may come only from an approved (备案) plan item its organizer sees."""
    if item is None:
        return
    if item.status != PlanItem.Status.APPROVED:
        raise DomainError(
            _("计划班次“%(title)s”当前为“%(status)s”,只有已备案的班次可以作为项目依据。")
            % {"title": item.title, "status": item.get_status_display()},
            field="plan_item",
        )
    if not approved_items_for(user=by).filter(pk=item.pk).exists():
        raise DomainError(_("该计划班次不在您的管理范围内。"), field="plan_item")


def plan_basis_problem(program: Program) -> str:
    """Why the program may not be published for want of a plan, or "" when it may: it comes
    from an approved plan item, or an admin allowed it to run outside the plan."""
    if program.plan_waived_at is not None:
        return ""
    item = program.plan_item
    if item is None:
        return _(
            "该项目没有关联已备案的计划班次,不能发布。请在“编辑”中选择计划班次;"
            "未列入培训计划的班次须由系统管理员批准计划外举办并说明理由。"
        )
    if item.status != PlanItem.Status.APPROVED:
        return _("关联的计划班次“%(title)s”当前为“%(status)s”,重新备案后才能发布。") % {
            "title": item.title,
            "status": item.get_status_display(),
        }
    return ""


@transaction.atomic
def program_plan_waive(*, program: Program, by, reason: str) -> Program:
    """An admin allows a program to run without an approved plan item (计划外举办), with the
    reason; audited."""
    if not roles_of(by).is_admin:
        raise DomainError(_("只有系统管理员可以批准计划外举办。"), code="forbidden")
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(_("请填写计划外举办的理由。"), field="reason")
    if len(reason) > 200:
        raise DomainError(_("理由最多 200 个字。"), field="reason")
    program = (
        Program.objects.select_for_update(of=("self",))
        .select_related("plan_item")
        .get(pk=program.pk)
    )
    if program.plan_item is not None and program.plan_item.status == PlanItem.Status.APPROVED:
        raise DomainError(_("该项目已关联已备案的计划班次,无需批准计划外举办。"))
    if program.plan_waived_at is not None:
        raise DomainError(_("该项目已批准计划外举办。"))
    program.plan_waived_by = by
    program.plan_waived_at = timezone.now()
    program.plan_waiver_reason = reason
    program.save(
        update_fields=["plan_waived_by", "plan_waived_at", "plan_waiver_reason", "updated_at"]
    )
    audit_log(
        actor=by,
        action="program.plan_waive",
        target=program,
        after={"plan_item": program.plan_item_id},
        reason=reason,
    )
    return program


# --- actual costs (issue 16 item 7) ----------------------------------------------------------


@transaction.atomic
def program_costs_save(*, program: Program, by, amounts: dict) -> dict:
    """Set the program's actual cost per cost category (yuan); an empty or zero amount removes
    the category. All or nothing: one bad amount (not a finite number, negative, too large, an
    unknown category) refuses the whole entry. An archived program is read-only unless an admin
    reopened it; a completed one still takes its bills. Audited with before and after."""
    from plans.models import MAX_AMOUNT, CostCategory

    program = Program.objects.select_for_update().get(pk=program.pk)
    if program.status == S.ARCHIVED:
        ensure_program_open(program)
    clean = {}
    for category, amount in amounts.items():
        if category not in CostCategory.values:
            raise DomainError(_("未知的费用类别。"))
        if amount is None or amount == "":
            continue
        if not isinstance(amount, Decimal) or not amount.is_finite():
            raise DomainError(_("金额必须是有限的数字。"), field=f"cost_{category}")
        if amount < 0 or amount > MAX_AMOUNT:
            raise DomainError(
                _("金额应在 0 到 %(max)s 元之间。") % {"max": MAX_AMOUNT}, field=f"cost_{category}"
            )
        if amount:
            clean[category] = amount.quantize(Decimal("0.01"))
    before = {c.category: str(c.amount) for c in program.costs.all()}
    program.costs.exclude(category__in=clean).delete()
    for category, amount in clean.items():
        ProgramCost.objects.update_or_create(
            program=program, category=category, defaults={"amount": amount}
        )
    after = {k: str(v) for k, v in sorted(clean.items())}
    if before != after:
        audit_log(actor=by, action="program.costs", target=program, before=before, after=after)
    return clean


def _next_code(code: str) -> str:
    m = re.match(r"^(.*?)(\d+)$", code)
    if m:
        return f"{m.group(1)}{int(m.group(2)) + 1}"
    return f"{code}-2"


def _next_title(title: str, cohort: int) -> str:
    if re.search(r"第\s*\d+\s*期", title):
        return re.sub(r"第\s*\d+\s*期", f"第{cohort}期", title)
    return f"{title}(第{cohort}期)"


def clone_defaults(program: Program) -> dict:
    """What the clone form proposes: next code, next cohort's title, start a week after the end."""
    cohort = (program.cohort_number or 1) + 1
    if program.family_id:
        latest = program.family.programs.order_by("-cohort_number").first()
        cohort = max(cohort, (latest.cohort_number or 0) + 1)
    code = _next_code(program.code)
    while Program.objects.filter(code=code).exists():
        code = _next_code(code)
    return {
        "code": code,
        "title": _next_title(program.title, cohort),
        "start_date": program.end_date + dt.timedelta(days=7),
        "cohort_number": cohort,
    }


@transaction.atomic
def program_clone(*, program: Program, by, code: str, title: str, start_date: dt.date) -> Program:
    """The next cohort of `program`: same fields, family and cohort number + 1, dates shifted to
    `start_date`, every session copied with its venues and lecturers. The copy is a draft.
    Venue and lecturer clashes at the new dates block the clone."""
    if program.family_id is None:
        family = ProgramFamily.objects.create(
            name=re.sub(r"[((]?第\s*\d+\s*期[))]?", "", program.title).strip() or program.title,
            organizing_unit=program.organizing_unit,
        )
        Program.objects.filter(pk=program.pk).update(family=family, cohort_number=1)
        program.family, program.family_id, program.cohort_number = family, family.pk, 1
    cohort = (
        program.family.programs.exclude(cohort_number=None)
        .order_by("-cohort_number")
        .values_list("cohort_number", flat=True)
        .first()
        or 0
    ) + 1
    shift = start_date - program.start_date
    clone = Program(**{k: getattr(program, k) for k in PROGRAM_FIELDS})
    clone.code, clone.title, clone.cohort_number = code, title, cohort
    clone.start_date, clone.end_date = start_date, program.end_date + shift
    clone.status = S.DRAFT
    _validate_program(clone)
    clone.save()

    sessions = list(
        program.sessions.exclude(status=Session.Status.CANCELLED).prefetch_related(
            "branch_venues", "lecturers"
        )
    )
    slots = []
    copies = []
    for s in sessions:
        start = at_local(timezone.localdate(s.start) + shift, timezone.localtime(s.start).time())
        end = at_local(timezone.localdate(s.end) + shift, timezone.localtime(s.end).time())
        copies.append(
            (
                s,
                Session(
                    program=clone,
                    kind=s.kind,
                    topic=s.topic,
                    start=start,
                    end=end,
                    credit_hours=s.credit_hours,
                    venue_id=s.venue_id,
                    notes=s.notes,
                ),
            )
        )
        slots.append(
            Slot(
                start=start,
                end=end,
                venue_ids={v for v in [s.venue_id, *(b.pk for b in s.branch_venues.all())] if v},
                lecturer_ids={lec.pk for lec in s.lecturers.all()},
            )
        )
    blocking = [c for c in find_conflicts(program=clone, slots=slots) if c.blocking]
    if blocking:
        raise ConflictError(blocking)
    Session.objects.bulk_create([c for _s, c in copies])
    Branch = Session.branch_venues.through
    Teach = Session.lecturers.through
    Branch.objects.bulk_create(
        [Branch(session_id=c.pk, venue_id=b.pk) for s, c in copies for b in s.branch_venues.all()]
    )
    Teach.objects.bulk_create(
        [Teach(session_id=c.pk, lecturer_id=lec.pk) for s, c in copies for lec in s.lecturers.all()]
    )
    audit_log(
        actor=by,
        action="program.clone",
        target=clone,
        before={"from": program.code},
        after={"code": clone.code, "sessions": len(copies)},
    )
    return clone


# --- sessions ------------------------------------------------------------------------------

SESSION_FIELDS = ["kind", "topic", "credit_hours", "venue", "notes"]
# What a series edit compares with the edited occurrence's values before it; only what changed
# there is carried to the following occurrences (their own lecturer, time, venue survive).
EDIT_FIELDS = [
    "date",
    "start_time",
    "end_time",
    "kind",
    "topic",
    "venue",
    "branch_venues",
    "lecturers",
    "credit_hours",
    "notes",
]


def _slot_for(*, start, end, venue, branch_venues, lecturers, exclude=()) -> Slot:
    venue_ids = {v.pk for v in branch_venues}
    if venue is not None:
        venue_ids.add(venue.pk)
    return Slot(
        start=start,
        end=end,
        venue_ids=venue_ids,
        lecturer_ids={lec.pk for lec in lecturers},
        exclude=set(exclude),
    )


def _check_times(*, program: Program, start, end, field="start_time") -> None:
    if end <= start:
        raise DomainError(_("结束时间必须晚于开始时间。"), field="end_time")
    day = timezone.localdate(start)
    if (
        not program.start_date <= day <= program.end_date
        or timezone.localdate(end) > program.end_date
    ):
        raise DomainError(
            _("课程日期 %(day)s 不在项目日期 %(a)s 至 %(b)s 之内。")
            % {
                "day": day.isoformat(),
                "a": program.start_date.isoformat(),
                "b": program.end_date.isoformat(),
            },
            field="date",
        )


def _capacity_problem(*, program: Program, venue, branch_venues) -> str | None:
    venues = {v.pk: v for v in [venue, *branch_venues] if v is not None}
    if not venues:
        return None
    seats = sum(v.capacity for v in venues.values())
    if seats < program.capacity:
        return _("所选场地共 %(seats)s 个座位,少于本项目计划人数 %(n)s 人。") % {
            "seats": seats,
            "n": program.capacity,
        }
    return None


def _check_conflicts(
    *, program, slots, acknowledge_warnings: bool, problems: list[str] = ()
) -> list[Conflict]:
    """Every blocking problem at once: `problems` found before (capacity, …) join the clashes,
    so fixing one never reveals another only on the next try."""
    conflicts = [Conflict(p, blocking=True) for p in problems]
    conflicts += find_conflicts(program=program, slots=slots)
    if any(c.blocking for c in conflicts) or (conflicts and not acknowledge_warnings):
        raise ConflictError(conflicts)
    return conflicts


def _set_relations(session: Session, *, branch_venues, lecturers) -> None:
    session.branch_venues.set([v for v in branch_venues if v.pk != session.venue_id])
    session.lecturers.set(list(lecturers))


def _people_concerned(program: Program, sessions: list[Session]) -> list:
    """The trainees of the program, the lecturers (with an account) and the venue managers of
    these sessions: who must hear that they moved or were cancelled."""
    from django.contrib.auth import get_user_model

    User = get_user_model()
    ids = {u.pk for u in hooks.trainees(program)}
    pks = [s.pk for s in sessions]
    ids |= set(
        Lecturer.objects.filter(sessions__in=pks, user__isnull=False).values_list(
            "user_id", flat=True
        )
    )
    ids |= set(
        Venue.managers.through.objects.filter(
            Q(venue__main_sessions__in=pks) | Q(venue__branch_sessions__in=pks)
        ).values_list("user_id", flat=True)
    )
    return list(User.objects.filter(pk__in=ids, is_active=True))


def _when(session: Session) -> str:
    start, end = timezone.localtime(session.start), timezone.localtime(session.end)
    return f"{start:%Y-%m-%d %H:%M}–{end:%H:%M}"


def _notify_sessions(*, program, sessions, title, body, params) -> int:
    """One notice per person concerned; nobody is told about a draft program's timetable."""
    if program.status == S.DRAFT or not sessions:
        return 0
    from django.urls import reverse

    users = _people_concerned(program, sessions)
    return notify_many(
        users=users,
        title=title,
        body=body,
        url=reverse("programs:detail", args=[program.pk]),
        kind="schedule",
        params={"program": program.title, **params},
    )


@transaction.atomic
def session_create(
    *, program: Program, by, data: dict, acknowledge_warnings: bool = False
) -> Session:
    """One session. `data`: kind, topic, start, end (aware), credit_hours, venue, branch_venues,
    lecturers, notes. Blocks on bad times, capacity and venue/lecturer clashes (all reported at
    once); trainee clashes block until acknowledged."""
    program = Program.objects.select_for_update().get(pk=program.pk)
    ensure_program_open(program)
    start, end = data["start"], data["end"]
    branches, lecturers = list(data.get("branch_venues") or []), list(data.get("lecturers") or [])
    _check_times(program=program, start=start, end=end)
    capacity = _capacity_problem(program=program, venue=data.get("venue"), branch_venues=branches)
    _check_conflicts(
        program=program,
        slots=[
            _slot_for(
                start=start,
                end=end,
                venue=data.get("venue"),
                branch_venues=branches,
                lecturers=lecturers,
            )
        ],
        acknowledge_warnings=acknowledge_warnings,
        problems=[capacity] if capacity else [],
    )
    session = Session(
        program=program, start=start, end=end, **{k: data[k] for k in SESSION_FIELDS if k in data}
    )
    check_numbers(session, ["credit_hours"])
    session.save()
    _set_relations(session, branch_venues=branches, lecturers=lecturers)
    audit_log(
        actor=by,
        action="session.create",
        target=session,
        after={"topic": session.topic, "start": start.isoformat()},
    )
    return session


@dataclass
class SessionChange:
    """What an edit does to one session: its new values and the labels of what differs."""

    session: Session
    start: dt.datetime
    end: dt.datetime
    values: dict
    venue: object
    branch_venues: list
    lecturers: list
    changes: list = field(default_factory=list)

    @property
    def moved(self) -> bool:
        return self.start != self.session.start or self.end != self.session.end


@dataclass
class EditPlan:
    scope: str
    changed: list  # EDIT_FIELDS the organizer changed on the edited occurrence
    summary: list  # human labels of those changes ("主课堂改为“…”")
    items: list  # SessionChange for every session that actually changes

    @property
    def count(self) -> int:
        return len(self.items)


def _names(objs) -> str:
    return _("、").join(o.name for o in objs) or _("(无)")


def _changed_fields(session: Session, data: dict) -> list[str]:
    """Which EDIT_FIELDS differ between `data` and the session's current values."""
    start, end = timezone.localtime(session.start), timezone.localtime(session.end)
    new_start, new_end = timezone.localtime(data["start"]), timezone.localtime(data["end"])
    venue = data.get("venue")
    venue_id = venue.pk if venue else None
    branches = {v.pk for v in data.get("branch_venues") or [] if v.pk != venue_id}
    changed = []
    if new_start.date() != start.date():
        changed.append("date")
    if new_start.time() != start.time():
        changed.append("start_time")
    if new_end.time() != end.time():
        changed.append("end_time")
    for key in ("kind", "topic", "credit_hours", "notes"):
        if key in data and data[key] != getattr(session, key):
            changed.append(key)
    if "venue" in data and venue_id != session.venue_id:
        changed.append("venue")
    if "branch_venues" in data and branches != {v.pk for v in session.branch_venues.all()}:
        changed.append("branch_venues")
    if "lecturers" in data and {lec.pk for lec in data["lecturers"]} != {
        lec.pk for lec in session.lecturers.all()
    }:
        changed.append("lecturers")
    return changed


def _change_labels(session: Session, data: dict, changed: list[str]) -> list[str]:
    new_start, new_end = timezone.localtime(data["start"]), timezone.localtime(data["end"])
    shift = (new_start.date() - timezone.localdate(session.start)).days
    labels = {
        "date": _("日期提前 %(n)s 天") % {"n": -shift}
        if shift < 0
        else _("日期推后 %(n)s 天") % {"n": shift},
        "start_time": _("开始时间改为 %(t)s") % {"t": f"{new_start:%H:%M}"},
        "end_time": _("结束时间改为 %(t)s") % {"t": f"{new_end:%H:%M}"},
        "kind": _("类型改为“%(v)s”") % {"v": Session.Kind(data.get("kind", session.kind)).label},
        "topic": _("主题改为“%(v)s”") % {"v": data.get("topic", "")},
        "venue": _("主课堂改为“%(v)s”")
        % {"v": data["venue"].name if data.get("venue") else _("(无)")},
        "branch_venues": _("分课堂改为“%(v)s”")
        % {
            "v": _names(
                [
                    v
                    for v in data.get("branch_venues") or []
                    if not data.get("venue") or v.pk != data["venue"].pk
                ]
            )
        },
        "lecturers": _("授课人改为“%(v)s”") % {"v": _names(data.get("lecturers") or [])},
        "credit_hours": _("学时改为 %(v)s") % {"v": data.get("credit_hours")},
        "notes": _("备注已修改"),
    }
    return [labels[k] for k in changed]


def session_edit_plan(*, session: Session, data: dict, scope: str = "this") -> EditPlan:
    """What saving `data` on `session` would change, without writing: the edited occurrence
    takes every value; with scope "following" every later occurrence of its series takes only
    the fields the organizer changed (a date change moves them by as many days), and only where
    it still had the edited occurrence's old value: everything else it keeps, so a
    per-occurrence lecturer, a moved time or a changed venue survives any series edit."""
    changed = _changed_fields(session, data)
    summary = _change_labels(session, data, changed)
    if scope == "following" and session.series_id:
        targets = list(
            Session.objects.filter(series_id=session.series_id, start__gte=session.start)
            .exclude(status=Session.Status.CANCELLED)
            .select_related("venue")
            .prefetch_related("branch_venues", "lecturers")
            .order_by("start")
        )
        if session.pk not in {t.pk for t in targets}:
            targets.insert(0, session)
    else:
        targets = [session]
    new_start, new_end = timezone.localtime(data["start"]), timezone.localtime(data["end"])
    shift = new_start.date() - timezone.localdate(session.start)
    items = []
    for target in targets:
        if target.pk == session.pk:
            fields_here = changed
            start, end = data["start"], data["end"]
        else:
            fields_here = [k for k in changed if _follows(target, session, k)]
            day = timezone.localdate(target.start) + shift
            st = (
                new_start.time()
                if "start_time" in fields_here
                else timezone.localtime(target.start).time()
            )
            et = (
                new_end.time()
                if "end_time" in fields_here
                else timezone.localtime(target.end).time()
            )
            start, end = at_local(day, st), at_local(day, et)
        values = {
            k: data[k] for k in ("kind", "topic", "credit_hours", "notes") if k in fields_here
        }
        venue = data.get("venue") if "venue" in fields_here else target.venue
        branches = (
            list(data.get("branch_venues") or [])
            if "branch_venues" in fields_here
            else list(target.branch_venues.all())
        )
        lecturers = (
            list(data.get("lecturers") or [])
            if "lecturers" in fields_here
            else list(target.lecturers.all())
        )
        item = SessionChange(
            session=target,
            start=start,
            end=end,
            values=values,
            venue=venue,
            branch_venues=branches,
            lecturers=lecturers,
        )
        if item.moved or values or {"venue", "branch_venues", "lecturers"} & set(fields_here):
            item.changes = [
                label for key, label in zip(changed, summary, strict=True) if key in fields_here
            ]
            items.append(item)
    return EditPlan(scope=scope, changed=changed, summary=summary, items=items)


def _follows(target: Session, session: Session, key: str) -> bool:
    """Whether a later occurrence still has the edited occurrence's old value of `key` (it
    follows the series there). One with a value of its own (its own lecturer, time, venue…)
    keeps it: a series edit never overwrites an occurrence's individual change."""
    if key == "date":
        return True
    if key == "start_time":
        return timezone.localtime(target.start).time() == timezone.localtime(session.start).time()
    if key == "end_time":
        return timezone.localtime(target.end).time() == timezone.localtime(session.end).time()
    if key in ("kind", "topic", "credit_hours", "notes"):
        return getattr(target, key) == getattr(session, key)
    if key == "venue":
        return target.venue_id == session.venue_id
    if key == "branch_venues":
        return {v.pk for v in target.branch_venues.all()} == {
            v.pk for v in session.branch_venues.all()
        }
    if key == "lecturers":
        return {lec.pk for lec in target.lecturers.all()} == {
            lec.pk for lec in session.lecturers.all()
        }
    return False


@transaction.atomic
def session_update(
    *,
    session: Session,
    by,
    data: dict,
    scope: str = "this",
    acknowledge_warnings: bool = False,
    reason: str = "",
) -> list[Session]:
    """Change one occurrence (scope "this") or it and every later occurrence of its series
    (scope "following": only the fields changed on this occurrence propagate, see
    session_edit_plan). Every blocking problem is reported at once. A moved session gets a new
    calendar SEQUENCE and, in a program people rely on (not a draft), its trainees, lecturers
    and venue managers get a notice. Returns the sessions that changed."""
    program = Program.objects.select_for_update().get(pk=session.program_id)
    ensure_program_open(program)
    if "credit_hours" in data:
        check_numbers(Session(credit_hours=data["credit_hours"]), ["credit_hours"])
    plan = session_edit_plan(session=session, data=data, scope=scope)
    problems = []
    for item in plan.items:
        _check_times(program=program, start=item.start, end=item.end)
        capacity = _capacity_problem(
            program=program, venue=item.venue, branch_venues=item.branch_venues
        )
        if capacity and capacity not in problems:
            problems.append(capacity)
    if not plan.items:
        return []
    _check_conflicts(
        program=program,
        slots=[
            _slot_for(
                start=item.start,
                end=item.end,
                venue=item.venue,
                branch_venues=item.branch_venues,
                lecturers=item.lecturers,
                exclude=[i.session.pk for i in plan.items],
            )
            for item in plan.items
        ],
        acknowledge_warnings=acknowledge_warnings,
        problems=problems,
    )
    before = {"start": session.start.isoformat(), "topic": session.topic}
    moved = []
    for item in plan.items:
        target = item.session
        if item.moved:
            moved.append(target)
        target.start, target.end = item.start, item.end
        for key, value in item.values.items():
            setattr(target, key, value)
        target.venue = item.venue
        target.sequence += 1
        target.save()
        _set_relations(target, branch_venues=item.branch_venues, lecturers=item.lecturers)
    audit_log(
        actor=by,
        action="session.update",
        target=session,
        before=before,
        after={
            "start": data["start"].isoformat(),
            "topic": data.get("topic", session.topic),
            "scope": scope,
            "count": plan.count,
            "changed": plan.changed,
        },
    )
    if moved:
        _notify_moved(program=program, sessions=moved, reason=reason)
    return [item.session for item in plan.items]


def _notify_moved(*, program, sessions, reason: str = "") -> None:
    first = sessions[0]
    if len(sessions) == 1:
        body = gettext_lazy("《%(program)s》“%(topic)s”调整为 %(when)s。%(reason)s")
    else:
        body = gettext_lazy(
            "《%(program)s》“%(topic)s”等 %(n)s 节课时间调整,首节为 %(when)s。%(reason)s"
        )
    _notify_sessions(
        program=program,
        sessions=sessions,
        title=gettext_lazy("调课通知:%(topic)s"),
        body=body,
        params={
            "topic": first.topic,
            "when": _when(first),
            "n": len(sessions),
            "reason": reason,
        },
    )


@transaction.atomic
def session_move(
    *, session: Session, by, day: dt.date, acknowledge_warnings: bool = False
) -> Session:
    """Move a session to another day at the same times (drag and drop on the timetable); its
    lecturers and venues stay."""
    start = at_local(day, timezone.localtime(session.start).time())
    changed = session_update(
        session=session,
        by=by,
        acknowledge_warnings=acknowledge_warnings,
        data={"start": start, "end": start + (session.end - session.start)},
    )
    return changed[0] if changed else session


@transaction.atomic
def session_reschedule(
    *,
    session: Session,
    by,
    start: dt.datetime,
    end: dt.datetime,
    reason: str = "",
    acknowledge_warnings: bool = False,
) -> Session:
    """Move one session to a new time (调课), with a reason told to everyone concerned. A
    cancelled session rescheduled is held again."""
    reason = (reason or "").strip()[:200]
    if session.status == Session.Status.CANCELLED:
        Session.objects.filter(pk=session.pk).update(
            status=Session.Status.SCHEDULED, cancel_reason=""
        )
        session.status, session.cancel_reason = Session.Status.SCHEDULED, ""
    changed = session_update(
        session=session,
        by=by,
        data={"start": start, "end": end},
        acknowledge_warnings=acknowledge_warnings,
        reason=reason,
    )
    return changed[0] if changed else session


def _cancel_reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(_("请填写停课原因,参训人员会在通知中看到。"), field="reason")
    if len(reason) > 200:
        raise DomainError(_("停课原因最多 200 个字。"), field="reason")
    return reason


@transaction.atomic
def session_cancel(*, session: Session, by, reason: str) -> Session:
    """停课: the session stays in the timetable as cancelled (calendar feeds send STATUS:CANCELLED
    with a new SEQUENCE; attendance, rates and credit hours leave it out) and everyone concerned
    gets a notice with the reason."""
    reason = _cancel_reason(reason)
    program = Program.objects.select_for_update().get(pk=session.program_id)
    ensure_program_open(program)
    session = Session.objects.select_for_update().get(pk=session.pk)
    if session.status == Session.Status.CANCELLED:
        raise DomainError(_("这节课已经停课。"))
    session.status = Session.Status.CANCELLED
    session.cancel_reason = reason
    session.sequence += 1
    session.save(update_fields=["status", "cancel_reason", "sequence", "updated_at"])
    audit_log(
        actor=by,
        action="session.cancel",
        target=session,
        after={"topic": session.topic, "start": session.start.isoformat(), "reason": reason},
    )
    _notify_sessions(
        program=program,
        sessions=[session],
        title=gettext_lazy("停课通知:%(topic)s"),
        body=gettext_lazy("《%(program)s》%(when)s “%(topic)s”停课。原因:%(reason)s"),
        params={"topic": session.topic, "when": _when(session), "reason": reason},
    )
    return session


@transaction.atomic
def program_cancel_sessions(*, program: Program, by, reason: str) -> int:
    """Cancel every session of the program that has not started yet (the whole program's 停课),
    with one notice per person concerned. Returns how many were cancelled."""
    reason = _cancel_reason(reason)
    program = Program.objects.select_for_update().get(pk=program.pk)
    ensure_program_open(program)
    sessions = list(
        program.sessions.select_for_update()
        .filter(start__gt=timezone.now())
        .exclude(status=Session.Status.CANCELLED)
        .order_by("start")
    )
    if not sessions:
        raise DomainError(_("没有尚未开始的课程可以停课。"))
    for s in sessions:
        s.status, s.cancel_reason, s.sequence = Session.Status.CANCELLED, reason, s.sequence + 1
    Session.objects.bulk_update(sessions, ["status", "cancel_reason", "sequence"])
    Session.objects.filter(pk__in=[s.pk for s in sessions]).update(updated_at=timezone.now())
    audit_log(
        actor=by,
        action="program.cancel_sessions",
        target=program,
        after={"sessions": len(sessions), "reason": reason},
    )
    _notify_sessions(
        program=program,
        sessions=sessions,
        title=gettext_lazy("停课通知:%(program)s"),
        body=gettext_lazy("《%(program)s》自 %(when)s 起的 %(n)s 节课停课。原因:%(reason)s"),
        params={"when": _when(sessions[0]), "n": len(sessions), "reason": reason},
    )
    return len(sessions)


@transaction.atomic
def program_reschedule(
    *, program: Program, by, start_date: dt.date, reason: str, acknowledge_warnings: bool = False
) -> Program:
    """Move a whole program that has not begun to a new start date: its dates and every session
    shift by the same number of days (times of day kept, new calendar SEQUENCE), clashes at the
    new dates block, and everyone concerned gets one notice with the reason."""
    reason = _cancel_reason(reason)
    program = Program.objects.select_for_update().get(pk=program.pk)
    ensure_program_open(program)
    shift = start_date - program.start_date
    if not shift:
        raise DomainError(_("新的开始日期与原日期相同。"), field="start_date")
    sessions = list(
        program.sessions.exclude(status=Session.Status.CANCELLED)
        .select_related("venue")
        .prefetch_related("branch_venues", "lecturers")
        .order_by("start")
    )
    if any(s.start <= timezone.now() for s in sessions):
        raise DomainError(_("项目已经开课,不能整体改期;请逐节调课或停课。"), field="start_date")
    plan = []
    for s in sessions:
        start = at_local(timezone.localdate(s.start) + shift, timezone.localtime(s.start).time())
        end = at_local(timezone.localdate(s.end) + shift, timezone.localtime(s.end).time())
        plan.append((s, start, end))
    _check_conflicts(
        program=program,
        slots=[
            _slot_for(
                start=a,
                end=b,
                venue=s.venue,
                branch_venues=list(s.branch_venues.all()),
                lecturers=list(s.lecturers.all()),
                exclude=[x.pk for x in sessions],
            )
            for s, a, b in plan
        ],
        acknowledge_warnings=acknowledge_warnings,
    )
    before = {
        "start_date": program.start_date.isoformat(),
        "end_date": program.end_date.isoformat(),
    }
    program.start_date += shift
    program.end_date += shift
    program.save(update_fields=["start_date", "end_date", "updated_at"])
    for s, a, b in plan:
        s.start, s.end, s.sequence = a, b, s.sequence + 1
    Session.objects.bulk_update([s for s, _a, _b in plan], ["start", "end", "sequence"])
    Session.objects.filter(pk__in=[s.pk for s in sessions]).update(updated_at=timezone.now())
    audit_log(
        actor=by,
        action="program.reschedule",
        target=program,
        before=before,
        after={
            "start_date": program.start_date.isoformat(),
            "end_date": program.end_date.isoformat(),
            "reason": reason,
        },
    )
    if sessions:
        _notify_sessions(
            program=program,
            sessions=sessions,
            title=gettext_lazy("改期通知:%(program)s"),
            body=gettext_lazy("《%(program)s》改为 %(a)s 至 %(b)s 举办。原因:%(reason)s"),
            params={
                "a": program.start_date.isoformat(),
                "b": program.end_date.isoformat(),
                "reason": reason,
            },
        )
    return program


@transaction.atomic
def session_delete(*, session: Session, by) -> None:
    """Remove a session of a draft program (nobody has been told about it yet). Once a program
    is published its sessions are cancelled (停课), never deleted, so calendars and people hear."""
    program = Program.objects.select_for_update().get(pk=session.program_id)
    ensure_program_open(program)
    if program.status != S.DRAFT or session.attendance.exists():
        raise DomainError(
            _("项目已发布,课程不能删除;请使用“停课”,参训人员会收到通知。"), code="published"
        )
    audit_log(
        actor=by,
        action="session.delete",
        target=session,
        before={"topic": session.topic, "start": session.start.isoformat()},
    )
    session.delete()


@transaction.atomic
def series_create(
    *, program: Program, by, data: dict, acknowledge_warnings: bool = False
) -> RecurringSeries:
    """A recurring series and all its sessions in one step. `data`: weekdays, start_time,
    end_time, first_date, count, until, skip_dates, and the session fields."""
    program = Program.objects.select_for_update().get(pk=program.pk)
    ensure_program_open(program)
    if data["end_time"] <= data["start_time"]:
        raise DomainError(_("结束时间必须晚于开始时间。"), field="end_time")
    check_numbers(Session(credit_hours=data.get("credit_hours", 0)), ["credit_hours"])
    check_numbers(RecurringSeries(count=data.get("count")), ["count"])
    dates = expand_dates(
        weekdays=data["weekdays"],
        first_date=data["first_date"],
        count=data.get("count"),
        until=data.get("until"),
        skip_dates=data.get("skip_dates") or (),
    )
    branches, lecturers = list(data.get("branch_venues") or []), list(data.get("lecturers") or [])
    slots = []
    for day in dates:
        start, end = at_local(day, data["start_time"]), at_local(day, data["end_time"])
        _check_times(program=program, start=start, end=end)
        slots.append(
            _slot_for(
                start=start,
                end=end,
                venue=data.get("venue"),
                branch_venues=branches,
                lecturers=lecturers,
            )
        )
    capacity = _capacity_problem(program=program, venue=data.get("venue"), branch_venues=branches)
    _check_conflicts(
        program=program,
        slots=slots,
        acknowledge_warnings=acknowledge_warnings,
        problems=[capacity] if capacity else [],
    )
    series = RecurringSeries.objects.create(
        program=program,
        weekdays=sorted(data["weekdays"]),
        start_time=data["start_time"],
        end_time=data["end_time"],
        first_date=data["first_date"],
        count=data.get("count"),
        until=data.get("until"),
        skip_dates=[d.isoformat() for d in sorted(data.get("skip_dates") or [])],
    )
    fields = {k: data[k] for k in SESSION_FIELDS if k in data}
    sessions = Session.objects.bulk_create(
        [Session(program=program, series=series, start=s.start, end=s.end, **fields) for s in slots]
    )
    Branch, Teach = Session.branch_venues.through, Session.lecturers.through
    main_id = data["venue"].pk if data.get("venue") else None
    Branch.objects.bulk_create(
        [
            Branch(session_id=s.pk, venue_id=b.pk)
            for s in sessions
            for b in branches
            if b.pk != main_id
        ]
    )
    Teach.objects.bulk_create(
        [Teach(session_id=s.pk, lecturer_id=lec.pk) for s in sessions for lec in lecturers]
    )
    audit_log(
        actor=by,
        action="series.create",
        target=series,
        after={"sessions": len(sessions), "first": dates[0].isoformat()},
    )
    return series


# --- venues and lecturers ------------------------------------------------------------------


@transaction.atomic
def venue_save(*, by, data: dict, venue: Venue | None = None) -> Venue:
    """Create or change a venue; managers is a list of users."""
    managers = data.pop("managers", None)
    venue = venue or Venue()
    for key, value in data.items():
        setattr(venue, key, value)
    check_numbers(venue, ["capacity"])
    venue.save()
    if managers is not None:
        venue.managers.set(managers)
    audit_log(actor=by, action="venue.save", target=venue, after={"name": venue.name})
    return venue


@transaction.atomic
def lecturer_save(*, by, data: dict, lecturer: Lecturer | None = None) -> Lecturer:
    """Create or change a lecturer entry; `user` links an account (or None)."""
    lecturer = lecturer or Lecturer()
    for key, value in data.items():
        setattr(lecturer, key, value)
    user = data.get("user")
    if user is not None and Lecturer.objects.filter(user=user).exclude(pk=lecturer.pk).exists():
        raise DomainError(_("该账号已关联其他授课人。"), field="user")
    lecturer.save()
    audit_log(actor=by, action="lecturer.save", target=lecturer, after={"name": lecturer.name})
    return lecturer


# --- calendar feeds ------------------------------------------------------------------------


def _owner(user, lecturer) -> dict:
    if lecturer is not None:
        return {"kind": CalendarFeed.Kind.LECTURER, "lecturer": lecturer}
    return {"kind": CalendarFeed.Kind.TRAINEE, "user": user}


def calendar_feed_get_or_create(*, user=None, lecturer=None) -> CalendarFeed:
    """The feed of a trainee (user) or a lecturer; created on first use."""
    owner = _owner(user, lecturer)
    feed = CalendarFeed.objects.filter(**owner).first()
    if feed is not None:
        return feed
    try:
        with transaction.atomic():
            return CalendarFeed.objects.create(token=secrets.token_urlsafe(24), **owner)
    except IntegrityError:  # created by a concurrent request
        return CalendarFeed.objects.get(**owner)


@transaction.atomic
def calendar_feed_regenerate(*, by, user=None, lecturer=None) -> CalendarFeed:
    """A new secret URL; the old one stops working at once."""
    feed = calendar_feed_get_or_create(user=user, lecturer=lecturer)
    feed.token = secrets.token_urlsafe(24)
    feed.save(update_fields=["token", "updated_at"])
    audit_log(actor=by, action="calendar_feed.regenerate", target=feed)
    return feed
