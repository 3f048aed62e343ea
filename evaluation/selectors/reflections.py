"""Reflections (学习体会): writing tasks, drafts and submission, similarity, review and the collection
of excellent essays."""

from collections import Counter
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.db.models import (
    Count,
    Exists,
    OuterRef,
    Q,
)
from django.http import Http404

from accounts.models import User
from enrollment.models import Enrollment
from evaluation.models import (
    Grade,
    Reflection,
    ReflectionAssignment,
    SimilarityFlag,
)
from evaluation.selectors._common import _get, _require, enrolled_users, is_enrolled
from programs.access import Access, program_access
from programs.models import ProgramStaff


def assignment_get(*, user, pk, need: Access = Access.MANAGE) -> ReflectionAssignment:
    assignment = _get(ReflectionAssignment.objects.select_related("program__organizing_unit"), pk)
    assignment.access = _require(user, assignment.program, need)
    return assignment


def assignment_get_for_trainee(*, user, pk) -> ReflectionAssignment:
    """The assignment if `user` is an enrolled trainee of its program (404 / 403 otherwise)."""
    assignment = assignment_get(user=user, pk=pk, need=Access.AUDIENCE)
    if not is_enrolled(user, assignment.program):
        raise PermissionDenied
    return assignment


def reflection_of(*, assignment, user) -> Reflection | None:
    return Reflection.objects.filter(assignment=assignment, author=user).first()


def reflection_get_for_review(*, user, pk) -> Reflection:
    reflection = _get(
        Reflection.objects.select_related(
            "assignment__program__organizing_unit", "author__unit", "reviewed_by"
        ),
        pk,
    )
    _require(user, reflection.assignment.program, Access.MANAGE)
    return reflection


def reflection_with_attachment_get(*, user, pk) -> Reflection:
    """A reflection whose attachment `user` may open: their own, or one in a program they
    MANAGE. Anything else is a 404 (nobody learns that the reflection exists)."""
    reflection = _get(
        Reflection.objects.select_related("assignment__program__organizing_unit", "author"), pk
    )
    if not reflection.attachment:
        raise Http404
    if reflection.author_id != user.pk and (
        program_access(user, reflection.assignment.program) < Access.MANAGE
    ):
        raise Http404
    return reflection


@dataclass
class ReviewRow:
    user: User
    reflection: Reflection | None
    flags: int = 0


REVIEW_PAGE_SIZE = 50


def assignment_review_page(*, assignment, show: str = "", page=None, per_page=REVIEW_PAGE_SIZE):
    """One page of enrolled trainees (by name) with their reflection and similarity-flag count.
    `show`: "todo" (submitted, not yet reviewed) or "flagged" (touched by a similarity flag).
    Four queries whatever the class size: count, the page of users, their reflections, flags."""
    from django.core.paginator import Paginator

    users = enrolled_users(assignment.program)
    mine = Reflection.objects.filter(assignment=assignment, author=OuterRef("pk"))
    if show == "todo":
        users = users.filter(Exists(mine.filter(status=Reflection.Status.SUBMITTED)))
    elif show == "flagged":
        flags = SimilarityFlag.objects.filter(assignment=assignment)
        users = users.filter(
            Exists(flags.filter(first__author=OuterRef("pk")))
            | Exists(flags.filter(second__author=OuterRef("pk")))
        )
    page_obj = Paginator(users.order_by("full_name", "id"), per_page).get_page(page)
    page_users = list(page_obj.object_list)
    reflections = {
        r.author_id: r
        for r in Reflection.objects.filter(
            assignment=assignment, author__in=[u.pk for u in page_users]
        ).only(
            "id",
            "author_id",
            "status",
            "grade",
            "score",
            "submitted_at",
            "is_late",
            "draft_saved_at",
            "assignment_id",
        )
    }
    ids = [r.pk for r in reflections.values()]
    flag_counts: Counter = Counter()
    for a, b in SimilarityFlag.objects.filter(
        Q(first_id__in=ids) | Q(second_id__in=ids), assignment=assignment
    ).values_list("first_id", "second_id"):
        flag_counts[a] += 1
        flag_counts[b] += 1
    page_obj.object_list = [
        ReviewRow(
            user=u,
            reflection=reflections.get(u.pk),
            flags=flag_counts[reflections[u.pk].pk] if u.pk in reflections else 0,
        )
        for u in page_users
    ]
    return page_obj


def assignment_review_counts(*, assignment) -> dict:
    """How many enrolled trainees have not submitted, await review, were returned, reviewed.
    Two queries."""
    total = enrolled_users(assignment.program).count()
    by_status = dict(
        Reflection.objects.filter(
            assignment=assignment,
            author__enrollments__program=assignment.program_id,
            author__enrollments__status=Enrollment.Status.ENROLLED,
        )
        .values_list("status")
        .annotate(n=Count("id"))
        .order_by()
    )
    handed_in = sum(n for st, n in by_status.items() if st != Reflection.Status.DRAFT)
    return {
        "total": total,
        "missing": total - handed_in,
        "submitted": by_status.get(Reflection.Status.SUBMITTED, 0),
        "returned": by_status.get(Reflection.Status.RETURNED, 0),
        "reviewed": by_status.get(Reflection.Status.REVIEWED, 0),
    }


def reflections_to_review(*, user):
    """Submitted reflections awaiting review in the programs `user` works on as class staff:
    what the home panel counts and the review queue lists."""
    staff = ProgramStaff.objects.filter(program=OuterRef("assignment__program"), user=user)
    return (
        Reflection.objects.filter(Exists(staff), status=Reflection.Status.SUBMITTED)
        .select_related("assignment__program", "author__unit")
        .defer("body", "review_comment")
        .order_by("submitted_at", "id")
    )


def similarity_flags_for(*, reflection):
    return SimilarityFlag.objects.filter(Q(first=reflection) | Q(second=reflection)).select_related(
        "first__author", "second__author"
    )


def excellent_reflections(*, assignment):
    return (
        Reflection.objects.filter(assignment=assignment, grade=Grade.EXCELLENT)
        .exclude(status=Reflection.Status.RETURNED)
        .select_related("author__unit")
        .order_by("author__full_name", "id")
    )


def trainee_assignments(*, user):
    """Assignments of the programs the user is enrolled in, each with the user's reflection."""
    assignments = list(
        ReflectionAssignment.objects.filter(
            program__enrollments__user=user,
            program__enrollments__status=Enrollment.Status.ENROLLED,
        )
        .select_related("program")
        .order_by("-deadline")
    )
    mine = {
        r.assignment_id: r
        for r in Reflection.objects.filter(author=user, assignment__in=assignments).only(
            "id", "assignment_id", "status", "grade", "draft_saved_at", "submitted_at"
        )
    }
    for a in assignments:
        a.mine = mine.get(a.pk)
    return assignments
