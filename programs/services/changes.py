"""Changes people must hear about: moving and rescheduling sessions or a whole program,
cancelling (停课)."""

import datetime as dt

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.errors import DomainError
from core.services import audit_log
from programs.access import ensure_program_open
from programs.models import (
    Program,
    Session,
)
from programs.recurrence import at_local
from programs.services.series import session_update
from programs.services.sessions import (
    _check_conflicts,
    _notify_sessions,
    _slot_for,
    _when,
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
