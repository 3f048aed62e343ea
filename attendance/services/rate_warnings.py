"""Attendance-rate warnings (出勤预警): trainees below their program's line, and a digest to
the class managers."""

import uuid
from decimal import Decimal

from django.urls import reverse
from django.utils.translation import gettext_lazy

from attendance.models import (
    AttendanceWarning,
)
from attendance.selectors import rates_for
from attendance.services.common import class_managers
from core.services import notify_many
from programs.models import Program


# --- Rates and warnings --------------------------------------------------------------------
def rate_warnings_check(*, program: Program, user_ids, now=None) -> int:
    """Warn trainees (and, in one digest, the class managers) whose rate is below the program's
    warning line by attendance.rules (Tally.warn), once while they stay below; a trainee who
    recovers may be warned again later. A fixed number of queries however many trainees: two
    for the rates, one delete, one insert, one read back, then the notices."""
    user_ids = set(user_ids)
    if not user_ids:
        return 0
    line = program.attendance_warning_rate
    tallies = rates_for(program=program, user_ids=user_ids, now=now)
    below = {uid: t for uid, t in tallies.items() if t.warn(line)}
    AttendanceWarning.objects.filter(program=program, user_id__in=user_ids - below.keys()).delete()
    if not below:
        return 0
    run = uuid.uuid4()
    AttendanceWarning.objects.bulk_create(
        [
            AttendanceWarning(program=program, user_id=uid, rate=Decimal(str(t.rate)), run=run)
            for uid, t in below.items()
        ],
        ignore_conflicts=True,
    )
    fresh = list(
        AttendanceWarning.objects.filter(program=program, run=run)
        .select_related("user")
        .order_by("user__full_name", "user_id")
    )
    if not fresh:
        return 0
    args = {"program": program.title, "line": str(line)}
    notify_many(
        users=[w.user for w in fresh],
        title=gettext_lazy("出勤预警:%(program)s"),
        body=gettext_lazy(
            "您在本班的出勤率已低于要求的 %(line)s%%,请注意按时参加学习;如有特殊情况请及时请假。"
        ),
        params=args,
        url=reverse("attendance:index"),
        kind="attendance.warning",
    )
    managers = class_managers(program.pk)
    if managers:
        names = ", ".join(f"{w.user.full_name} {w.rate}%" for w in fresh)
        notify_many(
            users=managers,
            title=gettext_lazy("学员出勤预警:%(program)s,%(n)s 名学员低于 %(line)s%%"),
            params={**args, "n": len(fresh)},
            body=names,
            url=reverse("attendance:program", args=[program.pk]),
            kind="attendance.warning",
        )
    return len(fresh)
