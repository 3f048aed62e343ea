"""Reads for nomination notices (调训通知): the notice of a program, a unit's receipt for its
liaison, and the host's per-unit reply overview (read / replied / declined / overdue)."""

from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils import timezone

from enrollment.models import NominationNotice, NoticeReceipt, Quota, SubstitutionRequest
from enrollment.selectors.quotas import is_liaison_for, quotas_with_usage
from programs.access import Access, program_access


def notice_for(program) -> NominationNotice | None:
    return NominationNotice.objects.filter(program=program).first()


def receipt_get(*, user, pk) -> NoticeReceipt:
    """A unit's receipt for that unit's liaison (`can_reply`) or the program's managers
    (read-only); 404 outside scope, 403 for others who can see the program."""
    try:
        receipt = NoticeReceipt.objects.select_related(
            "notice__program__organizing_unit", "unit", "read_by", "declined_by"
        ).get(pk=pk)
    except (NoticeReceipt.DoesNotExist, ValueError, TypeError):
        raise Http404 from None
    receipt.can_reply = is_liaison_for(user, receipt.unit)
    if receipt.can_reply:
        return receipt
    level = program_access(user, receipt.notice.program)
    if level == Access.NONE:
        raise Http404
    if level < Access.MANAGE:
        raise PermissionDenied
    return receipt


def liaison_receipt(user, program) -> NoticeReceipt | None:
    """The first receipt of the program's sent notice that this user is liaison for."""
    for r in NoticeReceipt.objects.filter(notice__program=program).select_related("unit"):
        if is_liaison_for(user, r.unit):
            return r
    return None


def quota_rows(program):
    """(unit, seats) of the program's quotas for the notice's table, in unit order."""
    return Quota.objects.filter(program=program).select_related("unit").order_by("unit__path")


@dataclass
class UnitReply:
    unit: object
    seats: int
    used: int
    confirmed: int
    receipt: NoticeReceipt | None
    state: str  # pending | replied | declined | overdue | not_sent

    @property
    def read(self) -> bool:
        return bool(self.receipt and self.receipt.read_at)


STATES = ("not_sent", "pending", "replied", "declined", "overdue")


def reply_state(*, receipt, seats: int, used: int, deadline, now) -> str:
    if receipt is None:
        return "not_sent"
    if used >= seats:
        return "replied"
    if receipt.declined_at and used == 0:
        return "declined"
    if now > deadline:
        return "overdue"
    return "pending"


def reply_overview(notice, *, now=None) -> list[UnitReply]:
    """Per unit with a quota: seats, nominations (open and confirmed), read receipt and the
    reply state. Two queries whatever the number of units."""
    now = now or timezone.now()
    receipts = {
        r.unit_id: r for r in NoticeReceipt.objects.filter(notice=notice).select_related("read_by")
    }
    rows = []
    for q in quotas_with_usage(Quota.objects.filter(program_id=notice.program_id)).order_by(
        "unit__path"
    ):
        receipt = receipts.get(q.unit_id)
        rows.append(
            UnitReply(
                unit=q.unit,
                seats=q.seats,
                used=q.used,
                confirmed=q.confirmed,
                receipt=receipt,
                state=reply_state(
                    receipt=receipt,
                    seats=q.seats,
                    used=q.used,
                    deadline=notice.reply_deadline,
                    now=now,
                ),
            )
        )
    return rows


def reply_counts(rows) -> dict:
    counts = dict.fromkeys(STATES, 0)
    counts["read"] = 0
    for r in rows:
        counts[r.state] += 1
        counts["read"] += r.read
    return counts


# ---- substitution requests after the deadline (替换申请) ------------------------------------


def _substitutions():
    return SubstitutionRequest.objects.select_related(
        "enrollment__user",
        "enrollment__unit",
        "enrollment__quota__unit",
        "new_user__unit",
        "requested_by",
        "decided_by",
    )


def substitutions_pending(program):
    """The program's requests waiting for the host, oldest first."""
    return (
        _substitutions()
        .filter(enrollment__program=program, status=SubstitutionRequest.Status.PENDING)
        .order_by("created_at", "id")
    )


def quota_substitutions(quota, *, limit: int = 20):
    """A unit's latest requests (any state), for its liaison's quota page."""
    return _substitutions().filter(enrollment__quota=quota).order_by("-created_at", "-id")[:limit]


def substitution_get(*, user, pk) -> SubstitutionRequest:
    """A request for the program's managers: 404 outside scope, 403 below MANAGE."""
    try:
        req = _substitutions().select_related("enrollment__program__organizing_unit").get(pk=pk)
    except (SubstitutionRequest.DoesNotExist, ValueError, TypeError):
        raise Http404 from None
    level = program_access(user, req.enrollment.program)
    if level == Access.NONE:
        raise Http404
    if level < Access.MANAGE:
        raise PermissionDenied
    return req
