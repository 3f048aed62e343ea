"""Builders for evaluation tests: each takes the `world` fixture (or explicit objects)."""

import datetime as dt
from decimal import Decimal

from django.utils import timezone

from attendance.models import AttendanceRecord, AttendanceStatus
from evaluation import services
from evaluation.models import (
    Certificate,
    Commitment,
    Completion,
    Judge,
    Presenter,
    Reflection,
    ReflectionAssignment,
    ScoringCriterion,
    ScoringRound,
)
from tests.factories import EnrollmentFactory, UserFactory

ESSAY = (
    "通过这次专题培训,我对新质生产力有了更加系统的认识。"
    "回到乡镇工作岗位后,我将结合本地实际,推动特色产业提质增效,"
    "把学习成果转化为推动发展的具体举措,切实为群众办实事解难题。"
)


def long_essay(n: int = 4, seed: str = "") -> str:
    return (seed + ESSAY) * n


def make_assignment(program, **kw) -> ReflectionAssignment:
    defaults = {
        "title": "学习体会",
        "prompt": "结合工作实际谈谈学习体会",
        "deadline": timezone.now() + dt.timedelta(days=2),
        "min_chars": 50,
        "attachment_types": "pdf,docx",
        "allow_late": False,
    }
    defaults.update(kw)
    return ReflectionAssignment.objects.create(program=program, **defaults)


def make_reflection(assignment, user, *, body=None, status=Reflection.Status.SUBMITTED, **kw):
    return Reflection.objects.create(
        assignment=assignment,
        author=user,
        body=body or long_essay(),
        status=status,
        submitted_at=timezone.now() if status != Reflection.Status.DRAFT else None,
        **kw,
    )


def attend(session, user, status=AttendanceStatus.PRESENT, checkin=True):
    return AttendanceRecord.objects.update_or_create(
        session=session,
        user=user,
        defaults={
            "status": status,
            "source": AttendanceRecord.Source.QR,
            "checkin_at": session.start if checkin else None,
            "venue": session.venue,
        },
    )[0]


def attendees(session, n, prefix="学员") -> list:
    """n new trainees enrolled in the session's program who checked in to it."""
    users = []
    for i in range(n):
        u = UserFactory(full_name=f"{prefix}{i}")
        EnrollmentFactory(program=session.program, user=u)
        attend(session, u)
        users.append(u)
    return users


def make_round(program, judges, *, presenters=3, drop_extremes=False) -> ScoringRound:
    rnd = ScoringRound.objects.create(
        program=program, title="乡镇发展思路汇报", drop_extremes=drop_extremes
    )
    ScoringCriterion.objects.create(round=rnd, name="思路", weight=Decimal("40"), max_score=10)
    ScoringCriterion.objects.create(
        round=rnd, name="举措", weight=Decimal("60"), max_score=10, position=1
    )
    for i in range(presenters):
        Presenter.objects.create(round=rnd, name=f"汇报人{i}", position="党委书记", order=i + 1)
    for u in judges:
        Judge.objects.create(round=rnd, user=u)
    return rnd


def make_certificate(program, user, serial="JY2026-00001-TEST01") -> Certificate:
    completion = Completion.objects.create(
        program=program,
        user=user,
        passed=True,
        reasons=[],
        attendance_rate=Decimal("100"),
        confirmed_at=timezone.now(),
    )
    return Certificate.objects.create(
        completion=completion,
        serial=serial,
        holder_name=user.full_name,
        program_title=program.title,
        issued_on=timezone.localdate(),
    )


def make_commitment(program, user, **kw) -> Commitment:
    defaults = {
        "title": "建立村级产业台账",
        "due_date": timezone.localdate() + dt.timedelta(days=30),
    }
    defaults.update(kw)
    return Commitment.objects.create(program=program, user=user, **defaults)


def score(rnd, presenter, judge_user, a, b):
    c1, c2 = list(rnd.criteria.all())
    return services.score_submit(
        rnd=rnd, presenter=presenter, judge_user=judge_user, values={str(c1.pk): a, str(c2.pk): b}
    )
