"""Counts for the program dashboard and the list of programs a user manages."""

from django.db.models import (
    Count,
    Q,
)

from evaluation.models import (
    Completion,
    Reflection,
    ReflectionAssignment,
    ScoringRound,
)
from evaluation.selectors._common import enrolled_users
from programs.models import Program


def managed_programs(*, user, limit: int = 30):
    """Programs the user runs (organizer scope or program staff), newest first."""
    from programs.selectors import programs_managed_by

    return (
        programs_managed_by(user=user)
        .exclude(status=Program.Status.DRAFT)
        .order_by("-start_date", "code")[:limit]
    )


def program_dashboard_counts(*, program) -> dict:
    return {
        "assignments": ReflectionAssignment.objects.filter(program=program)
        .annotate(
            submitted=Count(
                "reflections",
                filter=Q(
                    reflections__status__in=[
                        Reflection.Status.SUBMITTED,
                        Reflection.Status.REVIEWED,
                    ]
                ),
            ),
            to_review=Count(
                "reflections", filter=Q(reflections__status=Reflection.Status.SUBMITTED)
            ),
        )
        .order_by("deadline"),
        "rounds": ScoringRound.objects.filter(program=program).annotate(
            presenters_n=Count("presenters", distinct=True), judges_n=Count("judges", distinct=True)
        ),
        "enrolled": enrolled_users(program).count(),
        "completions": Completion.objects.filter(program=program).aggregate(
            total=Count("id"), passed=Count("id", filter=Q(passed=True))
        ),
    }
