"""The one rule for the credit hours (学时) a Lectern session earns a trainee.

- A record earns the session's hours × the percentage of its attendance status: present 100,
  the others as the program's CreditPolicy says (DEFAULT_CREDIT_PERCENT without one), absent and
  pending 0.
- Nothing is earned at a cancelled session, nor in a program the trainee is not (or no longer)
  enrolled in, nor where a reconciliation decided 不予认定学时 (Enrollment.credit_withheld): a
  withheld enrollment earns exactly what a withdrawn one does.
- The year of a session is its local (Asia/Shanghai) start date's year; a class spanning two
  years counts in each year for its own sessions. Hours are summed unrounded and each figure shown
  is rounded once, half up, to 0.1 (core.numbers.round_hours).

`session_credit` is the rule in Python; `credit_expr` and `counts_for_credit` are the same rule
as ORM expressions for the queries that sum it (evaluation's pages, credits' record and
rollups, reports). Nothing else computes session hours.
"""

from decimal import Decimal

from django.db.models import (
    Case,
    DecimalField,
    Exists,
    ExpressionWrapper,
    F,
    OuterRef,
    Q,
    Value,
    When,
)
from django.db.models.functions import Coalesce

from attendance.models import AttendanceStatus
from enrollment.models import Enrollment
from evaluation.models import DEFAULT_CREDIT_PERCENT
from programs.models import Session

ZERO = Decimal(0)

# status -> (CreditPolicy column, default key); PRESENT earns everything, the rest nothing.
POLICY_COLUMNS = {
    AttendanceStatus.LATE: ("late_percent", "late"),
    AttendanceStatus.LEFT_EARLY: ("left_early_percent", "left_early"),
    AttendanceStatus.LATE_LEFT_EARLY: ("late_left_early_percent", "late_left_early"),
    AttendanceStatus.ON_LEAVE: ("leave_percent", "on_leave"),
}


def percent_for(status: str, policy=None) -> int:
    """The percentage of a session's hours a record of `status` earns under `policy` (a
    CreditPolicy or None for the defaults)."""
    if status == AttendanceStatus.PRESENT:
        return 100
    column = POLICY_COLUMNS.get(status)
    if column is None:
        return 0
    if policy is not None:
        return int(getattr(policy, column[0]))
    return int(DEFAULT_CREDIT_PERCENT[column[1]])


def percents_for(policy=None) -> dict:
    """{status: percent} for every status under `policy` (None: the defaults)."""
    return {status: percent_for(status, policy) for status in AttendanceStatus.values}


def earns_credit(*, session_cancelled: bool, enrollment_status: str | None, withheld: bool) -> bool:
    """Whether a record may earn hours at all (see the module's rule)."""
    return (
        not session_cancelled and enrollment_status == Enrollment.Status.ENROLLED and not withheld
    )


def session_credit(
    *,
    hours,
    status: str,
    policy=None,
    session_cancelled: bool = False,
    enrollment_status: str | None = Enrollment.Status.ENROLLED,
    withheld: bool = False,
) -> Decimal:
    """Unrounded hours one attendance record earns."""
    if not earns_credit(
        session_cancelled=session_cancelled, enrollment_status=enrollment_status, withheld=withheld
    ):
        return ZERO
    return Decimal(hours) * percent_for(status, policy) / 100


# --- the same rule for the database ----------------------------------------------------------


def credit_expr(prefix: str = ""):
    """Hours one attendance record earns (before `counts_for_credit` filters the records): the
    session's hours × the program's percentage for the record's status."""
    hours = F(f"{prefix}session__credit_hours")
    policy = f"{prefix}session__program__credit_policy__"

    def pct(status):
        column, default = POLICY_COLUMNS[status]
        return ExpressionWrapper(
            hours
            * Coalesce(F(policy + column), Value(DEFAULT_CREDIT_PERCENT[default]))
            * Value(Decimal("0.01")),
            output_field=DecimalField(max_digits=8, decimal_places=2),
        )

    status = f"{prefix}status"
    return Case(
        When(**{status: AttendanceStatus.PRESENT}, then=hours),
        *[When(**{status: s}, then=pct(s)) for s in POLICY_COLUMNS],
        default=Value(ZERO),
        output_field=DecimalField(max_digits=8, decimal_places=2),
    )


def counts_for_credit(prefix: str = "", user_ref: str = "user") -> Q:
    """Which attendance records earn hours: at sessions not cancelled, in programs the trainee
    is enrolled in without a 不予认定学时 decision."""
    enrolled = Enrollment.objects.filter(
        program=OuterRef(f"{prefix}session__program"),
        user=OuterRef(user_ref),
        status=Enrollment.Status.ENROLLED,
        credit_withheld=False,
    )
    return ~Q(**{f"{prefix}session__status": Session.Status.CANCELLED}) & Q(Exists(enrolled))
