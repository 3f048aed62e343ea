"""Reads for the exports: a program's sessions and trainees by unit, the sign-in sheet, the
attendance summary and the flat attendance rows; a fixed number of queries whatever the size."""

from collections import OrderedDict, defaultdict

from django.db.models import Count
from django.http import Http404
from django.utils import timezone

from attendance.models import AttendanceRecord, AttendanceStatus
from attendance.rules import ATTENDED, rate_percent, tally
from attendance.selectors import rate_tallies
from enrollment.models import Enrollment
from programs.models import Session
from reports.credit import (  # noqa: F401
    credit_percents,
    credit_requirement,
    credit_requirements,
)

# One full-width character per status, so a row of marks lines up under the session columns.
STATUS_MARK = {
    AttendanceStatus.PRESENT: "√",
    AttendanceStatus.LATE: "迟",
    AttendanceStatus.LEFT_EARLY: "早",
    AttendanceStatus.LATE_LEFT_EARLY: "双",
    AttendanceStatus.ABSENT: "旷",
    AttendanceStatus.ON_LEAVE: "假",
    AttendanceStatus.PENDING: "待",
}
NO_MARK = "－"  # held, no record yet
FUTURE_MARK = "　"  # not held yet (ideographic space keeps the column width)


def rate(numerator, denominator) -> float | None:
    """A percentage to a tenth, rounded half up (the attendance rate's rounding, for every
    percentage the reports show)."""
    return rate_percent(int(numerator or 0), int(denominator or 0))


# --- Shared pieces ---------------------------------------------------------------------------


def enrolled_trainees(*, program, unit_ids=None):
    """Enrolled trainees of a program ordered by unit (tree order) then name."""
    qs = (
        Enrollment.objects.filter(program=program, status=Enrollment.Status.ENROLLED)
        .select_related("user", "unit")
        .order_by("unit__path", "user__full_name", "user_id")
    )
    if unit_ids is not None:
        qs = qs.filter(unit_id__in=unit_ids)
    return qs


def enrolled_count(*, program=None, program_id=None) -> int:
    """How many trainees hold a place in the program (the people an export of it lists)."""
    return Enrollment.objects.filter(
        program_id=program_id or program.pk, status=Enrollment.Status.ENROLLED
    ).count()


def unit_groups_of_program(*, program) -> list[tuple[int | None, str, int]]:
    """(unit id, unit name, trainee count) of a program's enrolled trainees, in tree order."""
    rows = (
        Enrollment.objects.filter(program=program, status=Enrollment.Status.ENROLLED)
        .values("unit_id", "unit__name", "unit__path")
        .annotate(n=Count("id"))
        .order_by("unit__path")
    )
    return [(r["unit_id"], r["unit__name"] or "—", r["n"]) for r in rows]


def _group_by_unit(enrollments):
    groups: OrderedDict = OrderedDict()
    for e in enrollments:
        key = e.unit_id
        if key not in groups:
            groups[key] = {"unit": e.unit, "name": e.unit.name if e.unit else "—", "rows": []}
        groups[key]["rows"].append(e)
    return list(groups.values())


# --- Sign-in sheet (签到表) -------------------------------------------------------------------


def session_for_report(*, pk) -> Session:
    try:
        return (
            Session.objects.select_related("program__organizing_unit", "venue")
            .prefetch_related("lecturers", "branch_venues")
            .get(pk=pk)
        )
    except (Session.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def signin_sheet_data(*, session) -> dict:
    program = session.program
    enrollments = list(enrolled_trainees(program=program))
    records = {
        r.user_id: r
        for r in AttendanceRecord.objects.filter(session=session).only(
            "user_id", "status", "checkin_at", "checkout_at", "venue_id"
        )
    }
    groups = _group_by_unit(enrollments)
    n = 0
    for group in groups:
        rows = []
        for e in group["rows"]:
            n += 1
            rec = records.get(e.user_id)
            rows.append(
                {
                    "n": n,
                    "name": e.user.full_name,
                    "position": e.user.position,
                    "checkin": timezone.localtime(rec.checkin_at)
                    if rec and rec.checkin_at
                    else None,
                    "checkout": (
                        timezone.localtime(rec.checkout_at) if rec and rec.checkout_at else None
                    ),
                    "status": rec.get_status_display() if rec else "",
                    "status_code": rec.status if rec else "",
                }
            )
        group["rows"] = rows
    return {
        "program": program,
        "session": session,
        "start": timezone.localtime(session.start),
        "end": timezone.localtime(session.end),
        "venues": [session.venue, *session.branch_venues.all()]
        if session.venue
        else list(session.branch_venues.all()),
        "lecturers": list(session.lecturers.all()),
        "groups": groups,
        "total": n,
        "checked_in": sum(1 for r in records.values() if r.status in ATTENDED),
    }


# --- Program attendance summary ----------------------------------------------------------------


def program_sessions(*, program):
    return list(
        Session.objects.filter(program=program)
        .exclude(status=Session.Status.CANCELLED)
        .order_by("start", "id")
    )


def summary_rows(*, program, sessions, unit_ids=None, now=None) -> list[dict]:
    """Unit groups with one row per trainee: marks per session, totals and rates. Rates follow
    attendance.rules.tally, the one rule every page uses."""
    now = now or timezone.now()
    enrollments = list(enrolled_trainees(program=program, unit_ids=unit_ids))
    held_ids = {s.pk for s in sessions if s.start <= now}
    status_by = defaultdict(dict)
    records = AttendanceRecord.objects.filter(session__in=[s.pk for s in sessions])
    if unit_ids is not None:
        records = records.filter(user_id__in=[e.user_id for e in enrollments])
    for user_id, session_id, status in records.values_list("user_id", "session_id", "status"):
        status_by[user_id][session_id] = status
    leave_counts = program.leave_counts_as_attended
    groups = _group_by_unit(enrollments)
    for group in groups:
        totals = {"attended": 0, "expected": 0, "leave": 0, "absent": 0, "late": 0}
        rows = []
        for e in group["rows"]:
            mine = status_by.get(e.user_id, {})
            marks = []
            for s in sessions:
                st = mine.get(s.pk)
                if st:
                    marks.append(STATUS_MARK.get(st, NO_MARK))
                elif s.pk in held_ids:
                    marks.append(NO_MARK)
                else:
                    marks.append(FUTURE_MARK)
            t = tally(
                [(s.start, s.end, False, mine.get(s.pk)) for s in sessions],
                leave_counts_as_attended=leave_counts,
                now=now,
            )
            row = {
                "user_id": e.user_id,
                "name": e.user.full_name,
                "position": e.user.position,
                "unit": group["name"],
                "marks": "".join(marks),
                "statuses": [mine.get(s.pk, "") for s in sessions],
                "attended": t.attended,
                "expected": t.expected,
                "leave": t.n(AttendanceStatus.ON_LEAVE),
                "absent": t.unexcused,
                "late": t.n(AttendanceStatus.LATE) + t.n(AttendanceStatus.LATE_LEFT_EARLY),
                "rate": t.rate,
            }
            rows.append(row)
            for key in totals:
                totals[key] += row[key]
        group["rows"] = rows
        group["totals"] = totals
        group["rate"] = rate(totals["attended"], totals["expected"])
    return groups


def summary_overview(*, program, sessions, now=None) -> dict:
    """Program-wide totals for the summary's first page: the enrolled trainees' tallies summed
    (3 queries), so the overall rate is the rows' figures added up."""
    now = now or timezone.now()
    held = [s.pk for s in sessions if s.start <= now]
    enrolled = list(
        Enrollment.objects.filter(program=program, status=Enrollment.Status.ENROLLED).values_list(
            "user_id", flat=True
        )
    )
    found = rate_tallies(programs=[program], now=now)
    tallies = [found.get(program.pk, uid) for uid in enrolled]
    attended = sum(t.attended for t in tallies)
    expected = sum(t.expected for t in tallies)
    return {
        "enrolled": len(enrolled),
        "held": len(held),
        "attended": attended,
        "expected": expected,
        "rate": rate(attended, expected),
        "leave": sum(t.n(AttendanceStatus.ON_LEAVE) for t in tallies),
        "absent": sum(t.unexcused for t in tallies),
        "late": sum(
            t.n(AttendanceStatus.LATE) + t.n(AttendanceStatus.LATE_LEFT_EARLY) for t in tallies
        ),
    }


def attendance_flat_rows(*, program):
    """Every (trainee, session) pair with its record, for the streamed CSV: a server-side cursor,
    so memory stays flat however large the program."""
    return (
        AttendanceRecord.objects.filter(session__program=program)
        .order_by("session__start", "session_id", "user__full_name")
        .values_list(
            "session__start",
            "session__topic",
            "user__full_name",
            "user__unit__name",
            "status",
            "checkin_at",
            "checkout_at",
            "source",
        )
        .iterator(chunk_size=2000)
    )


# --- Trainee training record (个人培训档案) ------------------------------------------------------
