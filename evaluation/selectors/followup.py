"""Follow-up (成果转化): commitments after completion, progress updates and reminders."""

from django.http import Http404
from django.utils import timezone

from evaluation.models import (
    Commitment,
    ScoreSheet,
)
from evaluation.selectors._common import _get
from programs.models import Program

STALE_DAYS = 30


def commitments_of(*, user):
    return (
        Commitment.objects.filter(user=user).select_related("program").prefetch_related("updates")
    )


def completed_programs_of(*, user):
    return Program.objects.filter(completions__user=user, completions__passed=True).order_by(
        "-end_date"
    )


def commitment_get_for_owner(*, user, pk) -> Commitment:
    commitment = _get(Commitment.objects.select_related("program"), pk)
    if commitment.user_id != user.pk:
        raise Http404
    return commitment


def followup_rows(*, program, today=None):
    """The program's commitments with a `behind` flag: overdue and not done, or no update for
    STALE_DAYS days. One query."""
    today = today or timezone.localdate()
    stale_before = timezone.now() - timezone.timedelta(days=STALE_DAYS)
    rows = list(
        Commitment.objects.filter(program=program)
        .select_related("user__unit")
        .order_by("user__full_name", "due_date", "id")
    )
    for c in rows:
        overdue = c.status == Commitment.Status.OPEN and c.due_date < today
        stale = c.status == Commitment.Status.OPEN and (
            (c.last_update_at or c.created_at) < stale_before
        )
        c.overdue, c.stale = overdue, stale
        c.behind = overdue or stale
    return rows


def round_sheets_for_export(*, rnd):
    return (
        ScoreSheet.objects.filter(round=rnd)
        .select_related("presenter", "judge__user")
        .order_by("presenter__order", "presenter_id", "judge__user__full_name")
    )
