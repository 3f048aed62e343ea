"""Shared by the services of every evaluation workflow: closed-program check, text bounds and
number parsing."""

from decimal import Decimal, InvalidOperation

from django.utils.translation import gettext as _

from core.errors import DomainError
from programs.models import Program


def _ensure_open(program_id: int, *, lock: bool = False) -> Program:
    """The program's fresh row, or DomainError when it is completed or archived and no admin
    reopened it (programs.access.ensure_program_open): grades, scores, completion and the
    rules behind them are read-only then."""
    from programs.access import ensure_program_open

    qs = Program.objects.select_for_update() if lock else Program.objects
    program = qs.get(pk=program_id)
    ensure_program_open(program)
    return program


def _bounded(text, *, limit: int, field: str, label) -> str:
    """`text` stripped, or a DomainError when it is longer than `limit` characters (checked
    before anything else looks at it, so a huge paste costs nothing more than this)."""
    text = text or ""
    if len(text) > limit:
        raise DomainError(
            _("%(label)s过长:最多 %(max)s 字,现有 %(n)s 字。")
            % {"label": label, "max": limit, "n": len(text)},
            field=field,
        )
    return text.strip()


def _decimal_or_none(value, *, field):
    """A finite decimal (NaN, sNaN and ±Infinity are refused like any other non-number)."""
    if value in (None, ""):
        return None
    text = str(value).strip()
    if len(text) > 40:
        raise DomainError(_("请输入数字。"), field=field)
    try:
        number = Decimal(text)
    except (InvalidOperation, ValueError):
        raise DomainError(_("请输入数字。"), field=field) from None
    if not number.is_finite():
        raise DomainError(_("请输入有限的数字。"), field=field)
    return number
