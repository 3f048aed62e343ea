"""Completion (结业) under the program's rules, certificates, their PDF and the public verification."""

import re
from collections import Counter, defaultdict
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import (
    Exists,
    OuterRef,
    Q,
)
from django.utils import timezone

from accounts.models import User
from attendance.models import AttendanceStatus
from attendance.rules import IN_ROOM as ATTENDED  # in the room, pending check-out included
from enrollment.models import Enrollment
from evaluation.models import (
    Certificate,
    Completion,
    Grade,
    Reflection,
    ReflectionAssignment,
)
from evaluation.selectors._common import _get, _require, enrolled_users
from programs.access import Access


@dataclass
class CompletionRow:
    user: User
    sessions_total: int
    attended: int
    on_leave: int
    unexcused: int
    rate: Decimal
    reflection_ok: bool
    score: Decimal | None
    passed: bool
    reasons: list
    completion: Completion | None = None


def completion_assess(*, program, until=None) -> list[CompletionRow]:
    """Each enrolled trainee's result under the program's completion rules, with reasons.
    A fixed number of queries whatever the class size."""
    from django.utils.translation import gettext as _

    from attendance.selectors import rate_tallies

    # The one attendance rate (attendance.rules), as on the trainee's and the manager's pages.
    tallies = rate_tallies(programs=[program], now=until or timezone.now())
    assignments = list(
        ReflectionAssignment.objects.filter(program=program).values_list("pk", flat=True)
    )
    accepted: Counter = Counter()
    scores: dict = defaultdict(list)
    for author_id, status, grade, score in Reflection.objects.filter(
        assignment_id__in=assignments
    ).values_list("author_id", "status", "grade", "score"):
        if status == Reflection.Status.REVIEWED and grade and grade != Grade.FAIL:
            accepted[author_id] += 1
        if status == Reflection.Status.REVIEWED and score is not None:
            scores[author_id].append(score)
    completions = {
        c.user_id: c
        for c in Completion.objects.filter(program=program).select_related("certificate")
    }
    rows = []
    for user in enrolled_users(program).order_by("full_name", "id"):
        tally = tallies.get(program.pk, user.pk)
        attended_n = sum(tally.n(s) for s in ATTENDED)
        leave = tally.n(AttendanceStatus.ON_LEAVE)
        unexcused = tally.unexcused
        rate = Decimal(str(tally.rate)) if tally.rate is not None else Decimal(100)
        reflection_ok = accepted[user.pk] >= len(assignments)
        score = (
            (sum(scores[user.pk]) / len(scores[user.pk])).quantize(Decimal("0.1"))
            if scores[user.pk]
            else None
        )
        reasons = []
        if tally.expected and tally.below(program.completion_min_attendance_rate):
            reasons.append(
                _("出勤率 %(rate)s%% 低于要求的 %(min)s%%")
                % {"rate": rate, "min": program.completion_min_attendance_rate}
            )
        if unexcused > program.completion_max_unexcused_absences:
            reasons.append(
                _("旷课 %(n)s 次,超过允许的 %(max)s 次")
                % {"n": unexcused, "max": program.completion_max_unexcused_absences}
            )
        if program.completion_requires_reflection and not reflection_ok:
            reasons.append(_("学习体会未提交或未通过评阅"))
        if program.completion_min_score is not None and score is None:
            reasons.append(
                _("尚无成绩(要求不低于 %(min)s)") % {"min": program.completion_min_score}
            )
        elif program.completion_min_score is not None and score < program.completion_min_score:
            reasons.append(
                _("成绩 %(score)s 低于要求的 %(min)s")
                % {"score": score, "min": program.completion_min_score}
            )
        rows.append(
            CompletionRow(
                user=user,
                sessions_total=tally.expected,
                attended=attended_n,
                on_leave=leave,
                unexcused=unexcused,
                rate=rate,
                reflection_ok=reflection_ok,
                score=score,
                passed=not reasons,
                reasons=reasons,
                completion=completions.get(user.pk),
            )
        )
    return rows


def completions_of_non_trainees(*, program):
    """Completions still marked passed, or with a certificate not yet revoked, of people who are
    no longer enrolled trainees of the program (withdrawn after a confirmation, say)."""
    return (
        Completion.objects.filter(program=program)
        .exclude(
            Exists(
                Enrollment.objects.filter(
                    program=program, user=OuterRef("user"), status=Enrollment.Status.ENROLLED
                )
            )
        )
        .filter(Q(passed=True) | Q(certificate__isnull=False, certificate__revoked_at__isnull=True))
        .select_related("certificate", "user")
    )


def certificate_of(completion) -> Certificate | None:
    if completion is None:
        return None
    try:
        return completion.certificate
    except Certificate.DoesNotExist:
        return None


def certificates_to_revoke(*, program, rows: list[CompletionRow]) -> int:
    """How many valid certificates a confirmation now would revoke: enrolled holders who no
    longer pass (from `rows`, completion_assess's) and holders no longer enrolled (one query)."""
    failing = sum(
        1
        for row in rows
        if not row.passed
        and (cert := certificate_of(row.completion)) is not None
        and not cert.is_revoked
    )
    gone = (
        completions_of_non_trainees(program=program)
        .filter(certificate__isnull=False, certificate__revoked_at__isnull=True)
        .count()
    )
    return failing + gone


_SERIAL = re.compile(r"^[A-Z0-9-]{1,40}$")


def serial_from_input(text: str) -> str:
    """The serial in what a verifier typed or pasted: the serial itself, or the verification URL
    (with or without scheme, query or fragment), whose last path segment is the serial. An empty
    string when nothing in it can be a serial."""
    text = (text or "").strip()[:500]
    text = text.split("#", 1)[0].split("?", 1)[0]
    parts = [p for p in text.split("/") if p.strip()]
    serial = parts[-1].strip().upper() if parts else ""
    return serial if _SERIAL.match(serial) else ""


def certificate_by_serial(serial: str) -> Certificate | None:
    serial = serial_from_input(serial)
    if not serial:
        return None
    return Certificate.objects.filter(serial=serial).select_related("completion__program").first()


def masked_name(name: str) -> str:
    """A holder's name as the public verification page shows it: 江沐阳 → 江*阳, 李娜 → 李*."""
    name = (name or "").strip()
    if len(name) <= 1:
        return name
    if len(name) == 2:
        return name[0] + "*"
    return name[0] + "*" * (len(name) - 2) + name[-1]


def certificate_get(*, user, pk) -> Certificate:
    """The holder downloads their own certificate; the program's managers any of theirs."""
    cert = _get(
        Certificate.objects.select_related(
            "completion__program__organizing_unit", "completion__user"
        ),
        pk,
    )
    if cert.completion.user_id != user.pk:
        _require(user, cert.completion.program, Access.MANAGE)
    return cert


def my_certificates(*, user, include_revoked: bool = False):
    """The user's certificates: the valid ones (what other apps list as held), or with
    include_revoked also those withdrawn, for the holder's own page."""
    qs = Certificate.objects.filter(completion__user=user).select_related("completion__program")
    if not include_revoked:
        qs = qs.filter(revoked_at__isnull=True)
    return qs
