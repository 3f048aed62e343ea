"""The roster PDF holds phone numbers: downloadable only while its owner still runs the program."""

from django.core.exceptions import PermissionDenied
from django.http import Http404

from programs.access import Access, program_get


def can_access(*, user, generated_file) -> bool:
    try:
        program_get(user=user, pk=(generated_file.params or {}).get("program"), need=Access.MANAGE)
    except (Http404, PermissionDenied):
        return False
    return True
