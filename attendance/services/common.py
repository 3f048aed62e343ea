"""What the attendance services share: the record snapshot an audit entry keeps, the class
managers a notice goes to, sessions named in a message."""

from django.utils import dateformat, timezone
from django.utils.translation import gettext as _

from attendance.models import (
    AttendanceRecord,
)
from programs.models import ProgramStaff


def record_snapshot(record: AttendanceRecord) -> dict:
    def iso(v):
        return timezone.localtime(v).isoformat(timespec="seconds") if v else None

    return {
        "status": record.status,
        "checkin_at": iso(record.checkin_at),
        "checkout_at": iso(record.checkout_at),
        "source": record.source,
        "flagged": record.flagged,
    }


def session_names(sessions, *, neutral: bool = False) -> str:
    """Sessions as people name them in an error: "11月21日 14:30 乡村振兴专题、…"; `neutral`
    for a notice's parameter, read later in any language: "11/21 14:30 乡村振兴专题, …"."""
    fmt = "n/j H:i" if neutral else _("n月j日 H:i")
    sep = ", " if neutral else "、"
    return sep.join(
        f"{dateformat.format(timezone.localtime(s.start), fmt)} {s.topic}" for s in sessions
    )


def class_managers(program_id):
    return [
        s.user
        for s in ProgramStaff.objects.filter(
            program_id=program_id, role=ProgramStaff.Role.CLASS_MANAGER
        ).select_related("user")
    ]
