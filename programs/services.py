"""Every write of the programs app. Each function checks the rules of the program's state
(DESIGN.md §3), raises DomainError with a message for the form, and logs what matters."""

import datetime as dt
import re
import secrets

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.scoping import roles_of
from core.errors import DomainError
from core.services import audit_log
from programs.access import CLOSED_STATUSES, ensure_program_open, program_is_reopened
from programs.conflicts import Conflict, Slot, find_conflicts
from programs.models import (
    CalendarFeed,
    Lecturer,
    Program,
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
    "checkin_opens_before",
    "late_grace_minutes",
    "checkin_closes_after",
    "checkout_opens_before",
    "checkout_closes_after",
    "require_checkout",
    "leave_counts_as_attended",
    "attendance_warning_rate",
    "completion_min_attendance_rate",
    "completion_max_unexcused_absences",
    "completion_requires_reflection",
    "completion_min_score",
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


def _validate_program(program: Program) -> None:
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
    program.save()
    audit_log(actor=by, action="program.create", target=program, after={"code": program.code})
    return program


@transaction.atomic
def program_update(*, program: Program, by, data: dict) -> Program:
    """Change a program's fields. Archived programs are read-only; new dates must still hold
    every scheduled session; capacity never drops below the trainees already enrolled, and
    raising it seats the head of the waitlist."""
    program = Program.objects.select_for_update().get(pk=program.pk)
    ensure_program_open(program)
    data = dict(data)
    data["family"] = _family_for(
        data=data, organizing_unit=data.get("organizing_unit", program.organizing_unit)
    )
    before = {
        k: str(getattr(program, k)) for k in ("start_date", "end_date", "title", "code", "capacity")
    }
    changed = []
    for key, value in data.items():
        if key in PROGRAM_FIELDS and getattr(program, key) != value:
            setattr(program, key, value)
            changed.append(key)
    _validate_program(program)
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
        from enrollment.services import waitlist_promote

        waitlist_promote(program=program)
    return program


def _check_capacity_holds_enrolled(program: Program) -> None:
    from enrollment.models import Enrollment

    enrolled = program.enrollments.filter(status=Enrollment.Status.ENROLLED).count()
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

SESSION_FIELDS = ["kind", "topic", "credit_hours", "venue", "notes", "status"]


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


def _check_capacity(*, program: Program, venue, branch_venues) -> None:
    venues = {v.pk: v for v in [venue, *branch_venues] if v is not None}
    if not venues:
        return
    seats = sum(v.capacity for v in venues.values())
    if seats < program.capacity:
        raise DomainError(
            _("所选场地共 %(seats)s 个座位,少于本项目计划人数 %(n)s 人。")
            % {"seats": seats, "n": program.capacity},
            field="venue",
        )


def _check_conflicts(*, program, slots, acknowledge_warnings: bool) -> list[Conflict]:
    conflicts = find_conflicts(program=program, slots=slots)
    if any(c.blocking for c in conflicts) or (conflicts and not acknowledge_warnings):
        raise ConflictError(conflicts)
    return conflicts


def _set_relations(session: Session, *, branch_venues, lecturers) -> None:
    session.branch_venues.set([v for v in branch_venues if v.pk != session.venue_id])
    session.lecturers.set(list(lecturers))


@transaction.atomic
def session_create(
    *, program: Program, by, data: dict, acknowledge_warnings: bool = False
) -> Session:
    """One session. `data`: kind, topic, start, end (aware), credit_hours, venue, branch_venues,
    lecturers, notes. Blocks on bad times, capacity and venue/lecturer clashes; trainee clashes
    block until acknowledged."""
    program = Program.objects.select_for_update().get(pk=program.pk)
    ensure_program_open(program)
    start, end = data["start"], data["end"]
    branches, lecturers = list(data.get("branch_venues") or []), list(data.get("lecturers") or [])
    _check_times(program=program, start=start, end=end)
    _check_capacity(program=program, venue=data.get("venue"), branch_venues=branches)
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
    )
    session = Session(
        program=program, start=start, end=end, **{k: data[k] for k in SESSION_FIELDS if k in data}
    )
    session.save()
    _set_relations(session, branch_venues=branches, lecturers=lecturers)
    audit_log(
        actor=by,
        action="session.create",
        target=session,
        after={"topic": session.topic, "start": start.isoformat()},
    )
    return session


@transaction.atomic
def session_update(
    *, session: Session, by, data: dict, scope: str = "this", acknowledge_warnings: bool = False
) -> list[Session]:
    """Change one occurrence (scope "this") or it and every later occurrence of its series
    (scope "following"). For the following ones the new time of day applies and the date moves
    by as many days as this one moved. Returns the changed sessions."""
    program = Program.objects.select_for_update().get(pk=session.program_id)
    ensure_program_open(program)
    start, end = data["start"], data["end"]
    branches, lecturers = list(data.get("branch_venues") or []), list(data.get("lecturers") or [])
    if scope == "following" and session.series_id:
        targets = list(
            Session.objects.filter(series_id=session.series_id, start__gte=session.start).order_by(
                "start"
            )
        )
    else:
        targets = [session]
    shift = timezone.localdate(start) - timezone.localdate(session.start)
    length = end - start
    plan = []
    for target in targets:
        if target.pk == session.pk:
            new_start, new_end = start, end
        else:
            new_start = at_local(
                timezone.localdate(target.start) + shift, timezone.localtime(start).time()
            )
            new_end = new_start + length
        _check_times(program=program, start=new_start, end=new_end)
        plan.append((target, new_start, new_end))
    _check_capacity(program=program, venue=data.get("venue"), branch_venues=branches)
    _check_conflicts(
        program=program,
        slots=[
            _slot_for(
                start=a,
                end=b,
                venue=data.get("venue"),
                branch_venues=branches,
                lecturers=lecturers,
                exclude=[t.pk for t in targets],
            )
            for _t, a, b in plan
        ],
        acknowledge_warnings=acknowledge_warnings,
    )
    before = {"start": session.start.isoformat(), "topic": session.topic}
    for target, new_start, new_end in plan:
        target.start, target.end = new_start, new_end
        for key in SESSION_FIELDS:
            if key in data:
                setattr(target, key, data[key])
        target.save()
        _set_relations(target, branch_venues=branches, lecturers=lecturers)
    audit_log(
        actor=by,
        action="session.update",
        target=session,
        before=before,
        after={
            "start": start.isoformat(),
            "topic": data.get("topic", session.topic),
            "scope": scope,
            "count": len(plan),
        },
    )
    return [t for t, _a, _b in plan]


@transaction.atomic
def session_move(*, session: Session, by, day: dt.date, acknowledge_warnings: bool = False):
    """Move a session to another day at the same times (drag and drop on the timetable)."""
    start = at_local(day, timezone.localtime(session.start).time())
    return session_update(
        session=session,
        by=by,
        acknowledge_warnings=acknowledge_warnings,
        data={
            "start": start,
            "end": start + (session.end - session.start),
            "venue": session.venue,
            "branch_venues": list(session.branch_venues.all()),
            "lecturers": list(session.lecturers.all()),
        },
    )[0]


@transaction.atomic
def session_delete(*, session: Session, by) -> None:
    """Remove a session. Once any attendance exists it is cancelled instead, so no record is
    lost (and calendar feeds show it as cancelled)."""
    program = Program.objects.select_for_update().get(pk=session.program_id)
    ensure_program_open(program)
    audit_log(
        actor=by,
        action="session.delete",
        target=session,
        before={"topic": session.topic, "start": session.start.isoformat()},
    )
    if session.attendance.exists():
        session.status = Session.Status.CANCELLED
        session.save(update_fields=["status", "updated_at"])
    else:
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
    _check_capacity(program=program, venue=data.get("venue"), branch_venues=branches)
    _check_conflicts(program=program, slots=slots, acknowledge_warnings=acknowledge_warnings)
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
