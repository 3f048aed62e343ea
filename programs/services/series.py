"""Recurring series: creating one, and editing a session alone or with the ones after it
(an edit plan first, then the update)."""

import datetime as dt
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.errors import DomainError
from core.services import audit_log
from programs.access import ensure_program_open
from programs.models import (
    Program,
    RecurringSeries,
    Session,
)
from programs.recurrence import at_local, expand_dates
from programs.services.common import check_numbers
from programs.services.sessions import (
    SESSION_FIELDS,
    _capacity_problem,
    _check_conflicts,
    _check_times,
    _notify_moved,
    _set_relations,
    _slot_for,
)


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
