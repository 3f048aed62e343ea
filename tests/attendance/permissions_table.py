"""Every attendance URL for every role (walked by tests/test_url_permissions.py)."""

from django.core.files.base import ContentFile

from attendance.models import AttendanceRecord, LeaveLimitFlag, LeaveRequest
from tests.permissions import LOGIN, Entry, everyone

# Who runs a session: program managers, and the venue manager of its branch venue.
RUNS_SESSION = everyone(
    403,
    outsider=404,
    other_trainee=404,
    admin=200,
    organizer=200,
    manager=200,
    assistant=200,
    venue_manager=200,
)
MANAGES_PROGRAM = everyone(
    403, outsider=404, other_trainee=404, admin=200, organizer=200, manager=200, assistant=200
)
# Private objects (a trainee's record or leave request): the owner and the program's managers.
OWNER_OR_MANAGER = everyone(404, trainee=200, admin=200, organizer=200, manager=200, assistant=200)


def _record(w):
    record, _ = AttendanceRecord.objects.get_or_create(
        session=w.session,
        user=w.trainee,
        defaults={"status": "present", "source": "qr", "checkin_at": w.session.start},
    )
    return {"pk": record.pk}


def _flagged_record(w):
    kwargs = _record(w)
    AttendanceRecord.objects.filter(pk=kwargs["pk"]).update(flagged=True)
    return kwargs


def _leave(w):
    leave = LeaveRequest.objects.filter(user=w.trainee).first()
    if leave is None:
        leave = LeaveRequest.objects.create(program=w.program, user=w.trainee, reason="事假")
        leave.sessions.add(w.session)
        leave.attachment.save("proof.pdf", ContentFile(b"%PDF-1.4\n"), save=True)
    return {"pk": leave.pk}


def _limit_flag(w):
    """A trainee past the 1/7 limit, undecided (each walk step gets it afresh, undecided)."""
    flag, _ = LeaveLimitFlag.objects.update_or_create(
        program=w.program,
        user=w.trainee,
        defaults={
            "level": "over",
            "leave_hours": "6.0",
            "class_hours": "21.0",
            "decision": "",
            "decided_at": None,
        },
    )
    return {"pk": flag.pk}


def _limit_decision(w):
    return LeaveLimitFlag.objects.filter(user=w.trainee).values_list("decision", flat=True).first()


def _mark_data(w):
    return {"users": [w.trainee.pk], "status": "present", "reason": "权限测试"}


PERMISSIONS = {
    "attendance:index": Entry(expect=everyone(200)),
    "attendance:ping": Entry(expect=everyone(200)),
    # A forged token: everyone, even anonymous, gets the "invalid code" page (nothing leaks).
    "attendance:scan": Entry(
        kwargs=lambda w: {"token": "forged"}, expect=everyone(200, anonymous=200)
    ),
    "attendance:scan_resume": Entry(expect=everyone(200)),
    "attendance:session": Entry(kwargs=lambda w: {"pk": w.session.pk}, expect=RUNS_SESSION),
    "attendance:board": Entry(kwargs=lambda w: {"pk": w.session.pk}, expect=RUNS_SESSION),
    "attendance:screen": Entry(
        kwargs=lambda w: {"pk": w.session.pk, "venue_pk": w.branch_venue.pk},
        expect=RUNS_SESSION,
    ),
    "attendance:mark": Entry(
        method="post",
        kwargs=lambda w: {"pk": w.session.pk},
        data=_mark_data,
        expect={**RUNS_SESSION, **{r: 302 for r, c in RUNS_SESSION.items() if c == 200}},
    ),
    "attendance:record": Entry(kwargs=_record, expect={**OWNER_OR_MANAGER, "venue_manager": 200}),
    # Only those who mark the session clear a flag; the trainee sees the record but may not.
    "attendance:record_clear_flag": Entry(
        method="post",
        kwargs=_flagged_record,
        data=lambda w: {"reason": "本人在场,手机借给同桌"},
        expect=everyone(
            404,
            trainee=403,
            admin=302,
            organizer=302,
            manager=302,
            assistant=302,
            venue_manager=302,
        ),
    ),
    "attendance:program": Entry(kwargs=lambda w: {"pk": w.program.pk}, expect=MANAGES_PROGRAM),
    "attendance:leave_list": Entry(kwargs=lambda w: {"pk": w.program.pk}, expect=MANAGES_PROGRAM),
    "attendance:leave_limit": Entry(kwargs=lambda w: {"pk": w.program.pk}, expect=MANAGES_PROGRAM),
    # the decision on a trainee past the 1/7 leave limit: those who manage the program; nothing of
    # it shows to anyone else (404), the trainee included
    "attendance:leave_limit_decide": Entry(
        method="post",
        kwargs=_limit_flag,
        data=lambda w: {"decision": "keep", "reason": "权限测试:保留"},
        expect=everyone(404, admin=302, organizer=302, manager=302, assistant=302),
        effect=_limit_decision,
    ),
    "attendance:leave_new": Entry(
        kwargs=lambda w: {"pk": w.program.pk},
        expect=everyone(403, outsider=404, other_trainee=404, trainee=200),
    ),
    "attendance:leave_detail": Entry(kwargs=_leave, expect=OWNER_OR_MANAGER),
    "attendance:leave_attachment": Entry(kwargs=_leave, expect=OWNER_OR_MANAGER),
    "attendance:leave_decide": Entry(
        method="post",
        kwargs=_leave,
        data=lambda w: {"decision": "approve"},
        expect={
            **OWNER_OR_MANAGER,
            "trainee": 403,
            "admin": 302,
            "organizer": 302,
            "manager": 302,
            "assistant": 302,
        },
    ),
    "attendance:leave_cancel": Entry(
        method="post",
        kwargs=_leave,
        expect={
            **OWNER_OR_MANAGER,
            "trainee": 302,
            "admin": 403,
            "organizer": 403,
            "manager": 403,
            "assistant": 403,
        },
    ),
}
assert all(
    e.expect.get("anonymous") == LOGIN or e.expect["anonymous"] == 200 for e in PERMISSIONS.values()
)
