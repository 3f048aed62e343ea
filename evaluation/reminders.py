"""Evaluation's reminder sources for the reminder engine (core.reminders).

Each (kind, occasion, person) is sent at most once by the engine, so these may return the same
reminder on every tick. Titles and bodies are lazy translations with their values in `params`,
so each trainee reads them in their own language.
"""

from collections import defaultdict
from datetime import timedelta

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy

from attendance.models import AttendanceRecord
from attendance.rules import IN_ROOM as ATTENDED  # as evaluation.selectors
from core.reminders import Reminder
from enrollment.models import Enrollment
from evaluation.models import EvaluationReceipt, Reflection, ReflectionAssignment
from programs.models import Program, Session

# Reminder kinds (the values the engine's sent-markers and preferences know them by).
REFLECTION_DEADLINE = "reflection_deadline"
EVALUATION_PENDING = "evaluation_pending"

DEADLINE_AHEAD = timedelta(hours=24)
EVALUATION_WINDOW = timedelta(days=2)


def reflection_deadline_reminders(now) -> list[Reminder]:
    """Trainees who have not submitted a reflection due within the next 24 hours."""
    assignments = list(
        ReflectionAssignment.objects.filter(deadline__gt=now, deadline__lte=now + DEADLINE_AHEAD)
        .exclude(program__status__in=[Program.Status.DRAFT, Program.Status.ARCHIVED])
        .select_related("program")
    )
    if not assignments:
        return []
    enrolled = defaultdict(set)
    for program_id, user_id in Enrollment.objects.filter(
        program_id__in={a.program_id for a in assignments}, status=Enrollment.Status.ENROLLED
    ).values_list("program_id", "user_id"):
        enrolled[program_id].add(user_id)
    done = set(
        Reflection.objects.filter(assignment__in=assignments)
        .exclude(status__in=[Reflection.Status.DRAFT, Reflection.Status.RETURNED])
        .values_list("assignment_id", "author_id")
    )
    out = []
    for a in assignments:
        users = sorted(u for u in enrolled[a.program_id] if (a.pk, u) not in done)
        if not users:
            continue
        due = timezone.localtime(a.deadline).strftime("%m-%d %H:%M")
        out.append(
            Reminder(
                kind=REFLECTION_DEADLINE,
                occasion=f"reflection:{a.pk}",
                user_ids=users,
                title=gettext_lazy("学习心得“%(title)s”将于 %(due)s 截止"),
                body=gettext_lazy("%(program)s。请在截止前提交。"),
                params={"title": a.title, "due": due, "program": a.program.title},
                url=reverse("evaluation:reflection_write", args=[a.pk]),
            )
        )
    return out


def evaluation_pending_reminders(now) -> list[Reminder]:
    """Attendees of sessions that ended in the last two days and have not evaluated them."""
    sessions = list(
        Session.objects.filter(end__lte=now, end__gt=now - EVALUATION_WINDOW)
        .exclude(status=Session.Status.CANCELLED)
        .select_related("program")
    )
    if not sessions:
        return []
    attended = defaultdict(set)
    for session_id, user_id in AttendanceRecord.objects.filter(
        session__in=sessions, status__in=ATTENDED
    ).values_list("session_id", "user_id"):
        attended[session_id].add(user_id)
    answered = set(
        EvaluationReceipt.objects.filter(session__in=sessions).values_list("session_id", "user_id")
    )
    out = []
    for s in sessions:
        users = sorted(u for u in attended[s.pk] if (s.pk, u) not in answered)
        if users:
            out.append(
                Reminder(
                    kind=EVALUATION_PENDING,
                    occasion=f"evaluation:{s.pk}",
                    user_ids=users,
                    title=gettext_lazy("请对课程“%(topic)s”进行满意度评价"),
                    body=gettext_lazy("%(program)s。评价匿名,只需一分钟。"),
                    params={"topic": s.topic, "program": s.program.title},
                    url=reverse("evaluation:evaluate", args=[s.pk]),
                )
            )
    return out


def due_reminders(now) -> list[Reminder]:
    return reflection_deadline_reminders(now) + evaluation_pending_reminders(now)
