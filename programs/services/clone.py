"""The next cohort of a program: a copy with its timetable shifted."""

import datetime as dt
import re

from django.db import transaction
from django.utils import timezone

from core.services import audit_log
from programs.conflicts import Slot, find_conflicts
from programs.models import (
    Program,
    ProgramFamily,
    Session,
)
from programs.recurrence import at_local
from programs.services.common import ConflictError, S
from programs.services.lifecycle import PROGRAM_FIELDS, _validate_program


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
