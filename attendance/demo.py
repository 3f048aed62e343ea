"""Demo attendance: past sessions of YJC-2026-XZ and YJC-2026-JT with realistic records (mostly
present, some late, a few left early, absent or on leave, one proxy pair, a few manual corrections
with reasons), pending and decided leave requests, and one YJC-2026-XZ session whose check-in is
open right now (re-timed on every run).

Idempotent: a past session that already has records is left alone; leave requests are looked up
by trainee and reason; the live session is re-timed and its records are made again.
"""

import datetime as dt
import random

from django.utils import timezone

from attendance import services
from attendance.models import AttendanceRecord, AttendanceStatus, LeaveRequest, SessionClosure
from attendance.rules import Policy
from attendance.selectors import expected_venue, session_venues
from enrollment.models import Enrollment
from programs.models import ProgramStaff, Session, Venue

LIVE_TOPIC = "随堂签到演示:基层治理能力提升专题"
MIN = dt.timedelta(minutes=1)
LEAVE_REASONS = [
    "参加县委常委会扩大会议,已向单位主要负责同志报告",
    "镇里突发防汛险情,需返岗组织转移群众",
    "本人发热就医,附医院诊断证明",
    "陪同省检查组开展乡村振兴实地督导",
]
CORRECTIONS = [
    (AttendanceStatus.PRESENT, "手机没电未能扫码,经班主任现场核实到课"),
    (AttendanceStatus.PRESENT, "扫码时网络故障,跟班管理员核实在场"),
    (AttendanceStatus.LATE, "经核实迟到约十分钟,补记为迟到"),
]


def seed(ctx):
    xz, jt = ctx.programs.get("YJC-2026-XZ"), ctx.programs.get("YJC-2026-JT")
    if xz is None and jt is None:
        ctx.say("attendance: demo programs missing, nothing to seed")
        return
    now = timezone.now()
    made = 0
    for program in (p for p in (xz, jt) if p is not None):
        trainees = _trainees(program)
        if not trainees:
            ctx.say(f"attendance: {program.code} has no enrolled trainees, skipped")
            continue
        manager = _manager(program) or ctx.users.get("manager")
        _decided_leave(ctx, program, trainees, manager, now)
        for session in program.sessions.filter(end__lt=now).exclude(status="cancelled"):
            made += _past_session(session, trainees, program, now)
        _corrections(program, manager, now)
        _pending_leave(ctx, program, trainees, now)
    if xz is not None and _trainees(xz):
        live = _live_session(ctx, xz, now)
        ctx.say(
            f"attendance: check-in open now for 「{live.topic}」 (session {live.pk}), "
            f"screen /attendance/sessions/{live.pk}/board/"
        )
    ctx.say(f"attendance: {made} records for past sessions")


def _trainees(program):
    return list(
        Enrollment.objects.filter(program=program, status=Enrollment.Status.ENROLLED)
        .select_related("user", "unit")
        .order_by("user_id")
    )


def _manager(program):
    staff = (
        ProgramStaff.objects.filter(program=program, role=ProgramStaff.Role.CLASS_MANAGER)
        .select_related("user")
        .first()
    )
    return staff.user if staff else None


def _venue_of(e, venues, main_id):
    return expected_venue(e.unit.path if e.unit_id else "", venues, main_id)


def _past_session(session, trainees, program, now) -> int:
    """Records for one finished session, unless it already has some."""
    if (
        AttendanceRecord.objects.filter(session=session)
        .exclude(source=AttendanceRecord.Source.LEAVE)
        .exists()
    ):
        return 0
    rng = random.Random(session.pk)
    policy = Policy.of(program)
    venues = session_venues(session)
    rows = []
    for e in trainees:
        roll = rng.random()
        venue_id = _venue_of(e, venues, session.venue_id)
        checkin = session.start - rng.randint(2, 25) * MIN
        checkout = session.end + rng.randint(0, 12) * MIN if policy.require_checkout else None
        status = AttendanceStatus.PRESENT
        if roll < 0.02:
            rows.append(
                AttendanceRecord(
                    session=session,
                    user=e.user,
                    status="absent",
                    source=AttendanceRecord.Source.AUTO,
                )
            )
            continue
        if roll < 0.09:
            checkin = session.start + rng.randint(policy.late_grace_minutes + 1, 28) * MIN
            status = AttendanceStatus.LATE
        elif roll < 0.11:
            checkout = session.end - rng.randint(30, 60) * MIN
            status = AttendanceStatus.LEFT_EARLY
        rows.append(
            AttendanceRecord(
                session=session,
                user=e.user,
                venue_id=venue_id,
                status=status,
                checkin_at=checkin,
                checkout_at=checkout,
                source=AttendanceRecord.Source.QR,
                device_id=f"demo-{e.user_id:06d}",
            )
        )
    # One proxy pair in every program's first session: one phone, two trainees, 40 s apart.
    if session == session.program.sessions.order_by("start").first() and len(rows) > 12:
        a, b = rows[10], rows[11]
        if a.checkin_at and b.checkin_at:
            b.checkin_at = a.checkin_at + dt.timedelta(seconds=40)
            b.device_id = a.device_id
            _proxy_pair(a, b)
    AttendanceRecord.objects.bulk_create(rows, ignore_conflicts=True, batch_size=1000)
    SessionClosure.objects.update_or_create(
        session=session, defaults={"absent_marked_at": now, "checkout_closed_at": now}
    )
    return len(rows)


def _proxy_pair(a, b):
    """Flag two records one phone made, each with the evidence naming the other (as
    services.checkin_scan writes it)."""
    for one, other in ((a, b), (b, a)):
        one.flagged = True
        one.flag_evidence = [
            {
                "signal": "device",
                "user": other.user_id,
                "name": other.user.full_name,
                "record": None,
                "at": timezone.localtime(other.checkin_at).isoformat(timespec="seconds"),
            }
        ]


def _decided_leave(ctx, program, trainees, manager, now):
    """An approved and a rejected request for past sessions (before their records are made)."""
    past = list(program.sessions.filter(end__lt=now).exclude(status="cancelled").order_by("start"))
    if len(past) < 2 or manager is None:
        return
    people = [e.user for e in trainees if e.user != ctx.users.get("trainee")]
    plan = [
        (people[3], [past[1]], LEAVE_REASONS[0], True, "同意,请会后自学课程录像"),
        (people[7], past[:1], LEAVE_REASONS[3], False, "开班式不得请假,请调整工作安排"),
    ]
    demo_trainee = ctx.users.get("trainee")
    if demo_trainee and any(e.user == demo_trainee for e in trainees) and len(past) > 2:
        plan.append((demo_trainee, [past[2]], LEAVE_REASONS[2], True, "同意,注意休息"))
    for user, sessions, reason, approve, note in plan:
        if LeaveRequest.objects.filter(user=user, program=program, reason=reason).exists():
            continue
        if AttendanceRecord.objects.filter(user=user, session__in=sessions).exists():
            continue
        leave = services.leave_request_create(
            user=user,
            program=program,
            session_ids=[s.pk for s in sessions],
            reason=reason,
            now=sessions[0].start - dt.timedelta(days=1),  # asked the day before
        )
        services.leave_request_decide(leave=leave, approve=approve, note=note, by=manager)


def _pending_leave(ctx, program, trainees, now):
    future = list(
        program.sessions.filter(start__gt=now + dt.timedelta(hours=2))
        .exclude(status="cancelled")
        .order_by("start")[:3]
    )
    if not future:
        return
    people = [e.user for e in trainees]
    demo_trainee = ctx.users.get("trainee")
    askers = [(people[5], LEAVE_REASONS[1])]
    if demo_trainee in people:
        askers.append((demo_trainee, LEAVE_REASONS[3]))
    for i, (user, reason) in enumerate(askers):
        if LeaveRequest.objects.filter(user=user, program=program, reason=reason).exists():
            continue
        services.leave_request_create(
            user=user, program=program, session_ids=[future[i % len(future)].pk], reason=reason
        )


def _corrections(program, manager, now):
    """A few manual corrections with reasons, on the program's most recent past session."""
    if manager is None:
        return
    last = program.sessions.filter(end__lt=now).exclude(status="cancelled").order_by("-start")
    session = last.first()
    if (
        session is None
        or AttendanceRecord.objects.filter(
            session=session, source=AttendanceRecord.Source.MANUAL
        ).exists()
    ):
        return
    candidates = list(
        AttendanceRecord.objects.filter(session=session, source__in=("qr", "auto"))
        .exclude(status=AttendanceStatus.PRESENT)
        .order_by("user_id")[: len(CORRECTIONS)]
    )
    for record, (status, reason) in zip(candidates, CORRECTIONS, strict=False):
        services.records_mark(
            session=session, user_ids=[record.user_id], status=status, reason=reason, by=manager
        )


def _live_session(ctx, program, now):
    """The session whose check-in is open now: started 8 minutes ago, some trainees in."""
    venues = {v.name: v for v in Venue.objects.filter(name__in=["市委党校报告厅", "青湖区分课堂"])}
    main = venues.get("市委党校报告厅") or program.sessions.exclude(venue=None).first().venue
    start = now - 8 * MIN
    session = program.sessions.filter(topic=LIVE_TOPIC).first()
    if session is None:
        session = Session.objects.create(
            program=program,
            topic=LIVE_TOPIC,
            kind="lecture",
            start=start,
            end=start + dt.timedelta(hours=3),
            venue=main,
        )
    else:
        Session.objects.filter(pk=session.pk).update(start=start, end=start + dt.timedelta(hours=3))
        session.refresh_from_db()
    if "青湖区分课堂" in venues:
        session.branch_venues.add(venues["青湖区分课堂"])
    lecturer = (ctx.extra.get("lecturers") or {}).get("魏博文")
    if lecturer is not None:
        session.lecturers.add(lecturer)
    AttendanceRecord.objects.filter(session=session).delete()
    SessionClosure.objects.filter(session=session).delete()
    rng = random.Random(20260305)
    all_venues = session_venues(session)
    rows = []
    demo_trainee = ctx.users.get("trainee")
    for e in _trainees(program):
        if e.user == demo_trainee:
            continue  # left for the visitor to scan
        roll = rng.random()
        if roll < 0.62:
            checkin = start - rng.randint(1, 20) * MIN
            status = AttendanceStatus.PRESENT
        elif roll < 0.7:
            checkin = start + rng.randint(6, 8) * MIN
            status = AttendanceStatus.LATE
        else:
            continue
        rows.append(
            AttendanceRecord(
                session=session,
                user=e.user,
                venue_id=_venue_of(e, all_venues, session.venue_id),
                status=status,
                checkin_at=min(checkin, now),
                source="qr",
                device_id=f"demo-{e.user_id:06d}",
            )
        )
    if len(rows) > 3:  # the proxy pair of the day
        rows[3].device_id = rows[2].device_id
        rows[3].checkin_at = rows[2].checkin_at + dt.timedelta(seconds=25)
        _proxy_pair(rows[2], rows[3])
    AttendanceRecord.objects.bulk_create(rows, ignore_conflicts=True)
    return session
