"""Shared by the selectors of every evaluation workflow: access checks, lookups and who is
enrolled."""

from decimal import Decimal

from django.core.exceptions import PermissionDenied
from django.http import Http404

from accounts.models import User
from enrollment.models import Enrollment
from programs.access import Access, program_access
from programs.models import Program

# Below this many answers a session's ratings and comments are shown to nobody (lecturers,
# class managers, organizers, admins alike): with two or three answers, an average or a comment
# points at the person too easily. Only the number of answers is shown.
MIN_ANSWERS = 5


TWO = Decimal("0.01")


def _require(user, program: Program, need: Access) -> Access:
    level = program_access(user, program)
    if level == Access.NONE:
        raise Http404
    if level < need:
        raise PermissionDenied
    return level


def _get(qs, pk):
    try:
        return qs.get(pk=pk)
    except (qs.model.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def is_enrolled(user, program: Program) -> bool:
    return Enrollment.objects.filter(
        program=program, user=user, status=Enrollment.Status.ENROLLED
    ).exists()


def enrolled_users(program: Program):
    return User.objects.filter(
        enrollments__program=program, enrollments__status=Enrollment.Status.ENROLLED
    ).select_related("unit")
