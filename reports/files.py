"""Generated report files are downloadable only while their owner may still see the data."""

from django.core.exceptions import PermissionDenied
from django.http import Http404

from accounts.scoping import roles_of
from programs.access import Access, program_get


def can_access(*, user, generated_file) -> bool:
    if roles_of(user).is_admin:
        return True
    params = generated_file.params or {}
    try:
        if "program_id" in params:
            program_get(user=user, pk=params["program_id"], need=Access.MANAGE)
        elif "session_id" in params:
            from programs.models import Session

            program_id = (
                Session.objects.filter(pk=params["session_id"])
                .values_list("program_id", flat=True)
                .first()
            )
            if program_id is None:
                return False
            program_get(user=user, pk=program_id, need=Access.MANAGE)
        elif "user_id" in params:
            from reports.access import trainee_for_user

            trainee_for_user(user=user, pk=params["user_id"])
    except (Http404, PermissionDenied):
        return False
    return True
