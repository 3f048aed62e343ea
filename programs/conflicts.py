"""Conflicts found before a session is saved (DESIGN.md §3 programs).

A venue booked twice or a lecturer in two places at overlapping times blocks, with a message
naming the other session; trainees enrolled in two programs whose sessions overlap only warn.
"""

from dataclasses import dataclass, field

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from programs import hooks
from programs.models import Program, Session


@dataclass
class Slot:
    """A proposed session: when, where, who. `exclude` are sessions being replaced by it."""

    start: object
    end: object
    venue_ids: set = field(default_factory=set)
    lecturer_ids: set = field(default_factory=set)
    exclude: set = field(default_factory=set)


@dataclass
class Conflict:
    message: str
    blocking: bool
    other: Session | None = None


def _describe(session: Session) -> str:
    start = timezone.localtime(session.start)
    end = timezone.localtime(session.end)
    return _("《%(program)s》%(date)s %(start)s–%(end)s “%(topic)s”") % {
        "program": session.program.title,
        "date": start.strftime("%Y-%m-%d"),
        "start": start.strftime("%H:%M"),
        "end": end.strftime("%H:%M"),
        "topic": session.topic,
    }


def _overlapping(slots: list[Slot]):
    q = Q(pk__in=[])
    for s in slots:
        q |= Q(start__lt=s.end, end__gt=s.start)
    return (
        Session.objects.filter(q)
        .exclude(status=Session.Status.CANCELLED)
        .exclude(program__status=Program.Status.ARCHIVED)
    )


def find_conflicts(*, program: Program, slots: list[Slot]) -> list[Conflict]:
    """Every clash of the proposed slots with saved sessions and with each other, in a fixed
    number of queries however many slots there are."""
    if not slots:
        return []
    excluded = set().union(*(s.exclude for s in slots))
    venue_ids = set().union(*(s.venue_ids for s in slots))
    lecturer_ids = set().union(*(s.lecturer_ids for s in slots))
    conflicts: list[Conflict] = []

    others = list(
        _overlapping(slots)
        .exclude(pk__in=excluded)
        .filter(
            Q(venue_id__in=venue_ids)
            | Q(branch_venues__in=venue_ids)
            | Q(lecturers__in=lecturer_ids)
        )
        .distinct()
        .select_related("program", "venue")
        .prefetch_related("branch_venues", "lecturers")
    )
    seen = set()
    for slot in slots:
        for other in others:
            if not (other.start < slot.end and other.end > slot.start):
                continue
            other_venues = {other.venue_id} | {v.pk for v in other.branch_venues.all()}
            for venue in [v for v in [other.venue, *other.branch_venues.all()] if v]:
                if (
                    venue.pk in slot.venue_ids & other_venues
                    and ("v", venue.pk, other.pk) not in seen
                ):
                    seen.add(("v", venue.pk, other.pk))
                    conflicts.append(
                        Conflict(
                            _("场地“%(venue)s”已被占用:%(other)s")
                            % {"venue": venue.name, "other": _describe(other)},
                            blocking=True,
                            other=other,
                        )
                    )
            for lecturer in other.lecturers.all():
                if lecturer.pk in slot.lecturer_ids and ("l", lecturer.pk, other.pk) not in seen:
                    seen.add(("l", lecturer.pk, other.pk))
                    conflicts.append(
                        Conflict(
                            _("授课人“%(name)s”同时段已有课程:%(other)s")
                            % {"name": lecturer.name, "other": _describe(other)},
                            blocking=True,
                            other=other,
                        )
                    )

    # The proposed slots among themselves (a series that overlaps itself).
    for i, a in enumerate(slots):
        for b in slots[i + 1 :]:
            if (
                a.start < b.end
                and a.end > b.start
                and (a.venue_ids & b.venue_ids or a.lecturer_ids & b.lecturer_ids)
            ):
                conflicts.append(
                    Conflict(
                        _("新排的课程在 %(date)s 时间重叠。")
                        % {"date": timezone.localtime(b.start).strftime("%Y-%m-%d %H:%M")},
                        blocking=True,
                    )
                )

    conflicts.extend(_trainee_warnings(program=program, slots=slots, excluded=excluded))
    return conflicts


def _trainee_warnings(*, program: Program, slots: list[Slot], excluded: set) -> list[Conflict]:
    if program.pk is None:
        return []
    candidates = _overlapping(slots).exclude(program=program).exclude(pk__in=excluded)
    users_by_program = hooks.trainee_clashes(program, candidates)
    if not users_by_program:
        return []
    others = list(
        candidates.filter(program_id__in=list(users_by_program))
        .select_related("program")
        .distinct()
    )
    warnings = []
    for other in others:
        if not any(other.start < s.end and other.end > s.start for s in slots):
            continue
        n = len(users_by_program.get(other.program_id, ()))
        warnings.append(
            Conflict(
                _("%(n)s 名学员同时参加另一项目,时间重叠:%(other)s")
                % {"n": n, "other": _describe(other)},
                blocking=False,
                other=other,
            )
        )
    return warnings
