"""Generated report files are downloadable only while their owner may still see the data (the
hook core.selectors asks before serving a generated file)."""

from accounts.scoping import roles_of
from core.files import vouches
from programs.access import Access, program_get


def _session_program(*, user, pk):
    from django.http import Http404

    from programs.models import Session

    program_id = Session.objects.filter(pk=pk).values_list("program_id", flat=True).first()
    if program_id is None:
        raise Http404
    return program_get(user=user, pk=program_id, need=Access.MANAGE)


def can_access(*, user, generated_file) -> bool:
    if roles_of(user).is_admin:
        return True
    params = generated_file.params or {}
    if "program_id" in params:
        return vouches(program_get, user=user, pk=params["program_id"], need=Access.MANAGE)
    if "session_id" in params:
        return vouches(_session_program, user=user, pk=params["session_id"])
    if "user_id" in params:
        from reports.access import trainee_for_user

        return vouches(trainee_for_user, user=user, pk=params["user_id"])
    return True
