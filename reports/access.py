"""Who may export what. Program reports need MANAGE on the program (programs.access); a trainee's
record is visible to the trainee, admins and organizers whose subtree holds the trainee's unit;
statistics are for admins."""

from django.http import Http404

from accounts.scoping import can_organize_unit, roles_of
from core.models import GeneratedFile
from programs.access import Access, program_get
from programs.models import Program
from reports import selectors


def program_for_export(*, user, pk) -> Program:
    return program_get(user=user, pk=pk, need=Access.MANAGE)


def session_for_export(*, user, pk, program):
    """A session of `program` (on which the user already has MANAGE); 404 for any other."""
    from programs.models import Session

    try:
        return Session.objects.select_related("program").get(pk=pk, program=program)
    except (Session.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def trainee_for_user(*, user, pk):
    trainee = selectors.trainee_get(pk=pk)
    if trainee.pk == user.pk or roles_of(user).is_admin:
        return trainee
    if trainee.unit_id and can_organize_unit(user, trainee.unit):
        return trainee
    raise Http404


def can_see_record(user, trainee) -> bool:
    try:
        trainee_for_user(user=user, pk=trainee.pk)
    except Http404:
        return False
    return True


def programs_managed_by(user):
    """Programs the user may export: those they run (programs.selectors), drafts aside."""
    from programs.selectors import programs_managed_by as run_by

    return run_by(user=user).select_related("organizing_unit").exclude(status=Program.Status.DRAFT)


def may_export_anything(user) -> bool:
    from programs.selectors import runs_programs

    return runs_programs(user=user)


def exports_of(*, user, program=None, trainee=None, limit: int = 10):
    """The user's recent exports, optionally for one program or trainee."""
    qs = GeneratedFile.objects.filter(owner=user, kind__startswith="reports.")
    if program is not None:
        qs = qs.filter(params__program_id=program.pk) | qs.filter(
            params__session_id__in=list(program.sessions.values_list("pk", flat=True))
        )
    if trainee is not None:
        qs = qs.filter(params__user_id=trainee.pk)
    return qs.order_by("-created_at")[:limit]
