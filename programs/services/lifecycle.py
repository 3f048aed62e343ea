"""A program's life: create, change, publish and close (the state machine), an admin's reopening,
and the plan item it rests on (issue 16 item 2)."""

import datetime as dt

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.scoping import roles_of
from core.errors import DomainError
from core.services import audit_log
from plans.models import PlanItem
from plans.selectors import approved_items_for
from programs import hooks
from programs.access import CLOSED_STATUSES, ensure_program_open, program_is_reopened
from programs.models import (
    ATTENDANCE_POLICY_FIELDS,
    COMPLETION_POLICY_FIELDS,
    Program,
    ProgramFamily,
    Session,
)
from programs.services.common import S, check_numbers

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
