"""One session at a time: the checks every timetable write shares (times, capacity, clashes, who
must hear), creating and deleting a session."""

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.errors import DomainError
from core.services import audit_log, notify_many
from programs import hooks
from programs.access import ensure_program_open
from programs.conflicts import Conflict, Slot, find_conflicts
from programs.models import (
    Lecturer,
    Program,
    Session,
    Venue,
)
from programs.services.common import ConflictError, S, check_numbers

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
