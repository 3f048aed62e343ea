"""The reports app's reminder sources (sessions ahead, low attendance, leave waiting), offered to
the one reminder engine, core.reminders, which sends each (kind, person, occasion) at most once;
so a source may return the same reminder on every tick.
"""

from collections import defaultdict
from datetime import timedelta

from django.apps import apps
from django.db.models import Q
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from attendance.models import AttendanceRecord, AttendanceStatus
from attendance.selectors import rate_tallies
from core.reminders import Reminder
from enrollment.models import Enrollment
from programs.models import Program, ProgramStaff, Session
from reports.models import ReminderKind


def _url(name: str, *args) -> str:
    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        return ""


def _session_reminders(now, *, kind: str, start_after, start_until) -> list[Reminder]:
    sessions = list(
        Session.objects.filter(start__gt=start_after, start__lte=start_until)
        .exclude(status=Session.Status.CANCELLED)
        .filter(program__status__in=[Program.Status.PUBLISHED, Program.Status.RUNNING])
        .select_related("program", "venue")
    )
    if not sessions:
        return []
    program_ids = {s.program_id for s in sessions}
    trainees = defaultdict(list)
    for program_id, user_id in Enrollment.objects.filter(
        program_id__in=program_ids, status=Enrollment.Status.ENROLLED
    ).values_list("program_id", "user_id"):
        trainees[program_id].append(user_id)
    on_leave = set(
        AttendanceRecord.objects.filter(
            session__in=sessions, status=AttendanceStatus.ON_LEAVE
        ).values_list("session_id", "user_id")
    )
    out = []
    for s in sessions:
        local = timezone.localtime(s.start)
        day_before = kind == ReminderKind.SESSION_DAY_BEFORE
        title = _("明天 %(time)s:%(topic)s") if day_before else _("一小时后开课 %(time)s:%(topic)s")
        params = {
            "time": local.strftime("%m-%d %H:%M" if day_before else "%H:%M"),
            "topic": s.topic,
            "program": s.program.title,
            "venue": s.venue.name if s.venue else "—",
        }
        body = _("%(program)s。地点:%(venue)s。请按时扫码签到。")
        users = [u for u in trainees.get(s.program_id, []) if (s.pk, u) not in on_leave]
        if users:
            out.append(
                Reminder(
                    kind=kind,
                    occasion=f"session:{s.pk}",
                    user_ids=users,
                    title=title,
                    body=body,
                    params=params,
                )
            )
    return out


def session_reminders(now) -> list[Reminder]:
    return _session_reminders(
        now,
        kind=ReminderKind.SESSION_DAY_BEFORE,
        start_after=now + timedelta(hours=1),
        start_until=now + timedelta(hours=24),
    ) + _session_reminders(
        now,
        kind=ReminderKind.SESSION_HOUR_BEFORE,
        start_after=now,
        start_until=now + timedelta(hours=1),
    )


def low_attendance_reminders(now) -> list[Reminder]:
    """Trainees of running programs to be warned about their rate by attendance.rules
    (Tally.warn: the rate the trainee sees is below the program's warning line, two sessions
    due at least), once per trainee and program, and the class managers once per program and
    day. Five queries whatever the number of programs and trainees."""
    programs = {
        p.pk: p
        for p in Program.objects.filter(status=Program.Status.RUNNING).only(
            "id", "title", "attendance_warning_rate", "leave_counts_as_attended"
        )
    }
    if not programs:
        return []
    found = rate_tallies(programs=programs.values(), now=now)
    low = defaultdict(list)
    for program_id, user_id in Enrollment.objects.filter(
        program_id__in=programs, status=Enrollment.Status.ENROLLED
    ).values_list("program_id", "user_id"):
        if found.get(program_id, user_id).warn(programs[program_id].attendance_warning_rate):
            low[program_id].append(user_id)
    managers = defaultdict(list)
    for program_id, user_id in ProgramStaff.objects.filter(program_id__in=low).values_list(
        "program_id", "user_id"
    ):
        managers[program_id].append(user_id)
    out = []
    today = timezone.localdate(now).isoformat()
    for program_id, users in low.items():
        p = programs[program_id]
        out.append(
            Reminder(
                kind=ReminderKind.LOW_ATTENDANCE,
                occasion=f"program:{program_id}",
                user_ids=users,
                title=_("出勤率预警:%(program)s"),
                body=_(
                    "您在本班的出勤率已低于 %(rate)s%%,请注意按时参加学习;如有特殊情况请及时请假。"
                ),
                params={"program": p.title, "rate": str(p.attendance_warning_rate)},
            )
        )
        if managers.get(program_id):
            out.append(
                Reminder(
                    kind=ReminderKind.LOW_ATTENDANCE,
                    occasion=f"program:{program_id}:staff:{today}",
                    user_ids=managers[program_id],
                    title=_("%(program)s:%(n)s 名学员出勤率低于预警线"),
                    params={"program": p.title, "n": len(users)},
                    url=_url("reports:program_exports", program_id),
                )
            )
    return out


def leave_pending_reminders(now) -> list[Reminder]:
    """Class managers of programs with leave requests waiting more than 12 hours. Works once the
    attendance app has a LeaveRequest model with `status`, `created_at` and a program link."""
    try:
        model = apps.get_model("attendance", "LeaveRequest")
    except LookupError:
        return []
    names = {f.name for f in model._meta.get_fields()}
    if "status" not in names or "created_at" not in names:
        return []
    program_path = (
        "program_id"
        if "program" in names
        else ("session__program_id" if "session" in names else None)
    )
    if program_path is None:
        return []
    pending = model.objects.filter(
        Q(status="pending") | Q(status="submitted"), created_at__lte=now - timedelta(hours=12)
    ).values_list("pk", program_path)[:5000]
    by_program = defaultdict(list)
    for pk, program_id in pending:
        by_program[program_id].append(pk)
    managers = defaultdict(list)
    for program_id, user_id in ProgramStaff.objects.filter(
        program_id__in=by_program, role=ProgramStaff.Role.CLASS_MANAGER
    ).values_list("program_id", "user_id"):
        managers[program_id].append(user_id)
    out = []
    for program_id, request_ids in by_program.items():
        for pk in request_ids:
            if managers.get(program_id):
                out.append(
                    Reminder(
                        kind=ReminderKind.LEAVE_PENDING,
                        occasion=f"leave:{pk}",
                        user_ids=managers[program_id],
                        title=_("有请假申请等待审批"),
                        body=_("有学员的请假申请已等待超过 12 小时,请及时审批。"),
                    )
                )
    return out


BUILTIN_SOURCES = [session_reminders, low_attendance_reminders, leave_pending_reminders]


def reminder_sources() -> list:
    """What this app offers the engine (core.reminders.sources)."""
    return list(BUILTIN_SOURCES)


def due_reminders(now=None) -> list[Reminder]:
    """Every app's due reminders (core.reminders.due_reminders), for callers that know reports."""
    from core.reminders import due_reminders as every_due

    return every_due(now)
