"""The roster PDF holds phone numbers: downloadable only while its owner still runs the program
(the hook core.selectors asks before serving a generated file)."""

from core.files import vouches
from programs.access import Access, program_get


def can_access(*, user, generated_file) -> bool:
    program = (generated_file.params or {}).get("program")
    return vouches(program_get, user=user, pk=program, need=Access.MANAGE)
