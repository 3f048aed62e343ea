"""Number rules shared by every app that shows the same figure."""

from decimal import ROUND_HALF_UP, Decimal

TENTH = Decimal("0.1")


def round_hours(value) -> Decimal:
    """Credit hours as shown: summed unrounded, then rounded once, half up, to a tenth of an
    hour, which is what SQL's ROUND(x, 1) does in the statistics rollups (PostgreSQL and
    SQLite alike), so a trainee's credit page, record and the statistics agree."""
    return Decimal(value or 0).quantize(TENTH, rounding=ROUND_HALF_UP)
