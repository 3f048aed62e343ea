import datetime as dt
from decimal import Decimal

from credits.models import CreditEntry


def entry_for(user, *, by=None, status=CreditEntry.Status.APPROVED, **extra) -> CreditEntry:
    start = extra.pop("start_date", dt.date(2026, 5, 11))
    fields = {
        "kind": "external_class",
        "title": "省委党校中青年干部培训班",
        "organizer_name": "省委党校",
        "hours": Decimal("30"),
        "end_date": start,
        "category": "required",
        "mode": "full_time",
        **extra,
    }
    return CreditEntry.objects.create(
        user=user, filed_by=by or user, status=status, start_date=start, **fields
    )
