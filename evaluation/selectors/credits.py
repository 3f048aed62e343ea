"""Credit hours (学时): the per-program policy, yearly requirements, a trainee's record and the
organizer's overview."""

from decimal import Decimal

from django.core.exceptions import PermissionDenied
from django.db.models import (
    Case,
    DecimalField,
    Exists,
    ExpressionWrapper,
    F,
    OuterRef,
    Q,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce, Round

from accounts.models import Rank, User
from accounts.scoping import organizer_scope_q, roles_of
from attendance.models import AttendanceRecord, AttendanceStatus
from core.numbers import round_hours
from enrollment.models import Enrollment
from evaluation.models import (
    DEFAULT_CREDIT_PERCENT,
    DEFAULT_REQUIRED_HOURS,
    CreditRequirement,
)
from programs.models import Session


def _credit_expr(prefix: str = ""):
    """Credit hours one attendance record earns: the session's hours × the program's percentage
    for the record's status (CreditPolicy, or the defaults)."""
    hours = F(f"{prefix}session__credit_hours")
    policy = f"{prefix}session__program__credit_policy__"

    def pct(status, column):
        return ExpressionWrapper(
            hours
            * Coalesce(F(policy + column), Value(DEFAULT_CREDIT_PERCENT[status]))
            * Value(Decimal("0.01")),
            output_field=DecimalField(max_digits=8, decimal_places=2),
        )

    status = f"{prefix}status"
    return Case(
        When(**{status: AttendanceStatus.PRESENT}, then=hours),
        When(**{status: AttendanceStatus.LATE}, then=pct("late", "late_percent")),
        When(**{status: AttendanceStatus.LEFT_EARLY}, then=pct("left_early", "left_early_percent")),
        When(
            **{status: AttendanceStatus.LATE_LEFT_EARLY},
            then=pct("late_left_early", "late_left_early_percent"),
        ),
        When(**{status: AttendanceStatus.ON_LEAVE}, then=pct("on_leave", "leave_percent")),
        default=Value(Decimal(0)),
        output_field=DecimalField(max_digits=8, decimal_places=2),
    )


def program_credit_hours(*, program) -> Decimal:
    """The hours a certificate states: the program's declared total (总学时), or when none was
    declared the sum of its sessions that were held (cancelled ones never count)."""
    if program.credit_hours:
        return round_hours(program.credit_hours)
    total = (
        Session.objects.filter(program=program)
        .exclude(status=Session.Status.CANCELLED)
        .aggregate(t=Sum("credit_hours"))["t"]
    )
    return round_hours(total)


def required_hours_by_rank() -> dict:
    required = dict(DEFAULT_REQUIRED_HOURS)
    required.update(dict(CreditRequirement.objects.values_list("rank", "hours")))
    return required


def credit_requirement_rows():
    required = required_hours_by_rank()
    return [(value, label, required[value]) for value, label in Rank.choices]


def _counts_for_credit(prefix: str = "", user_ref: str = "user") -> Q:
    """Which attendance records earn credit hours: those of sessions that were not cancelled, in
    programs the trainee is (still) enrolled in. The statistics rollups and the trainee record
    apply the same rule (reports.rollups, reports.selectors.trainee_record_data)."""
    enrolled = Enrollment.objects.filter(
        program=OuterRef(f"{prefix}session__program"),
        user=OuterRef(user_ref),
        status=Enrollment.Status.ENROLLED,
    )
    return ~Q(**{f"{prefix}session__status": Session.Status.CANCELLED}) & Q(Exists(enrolled))


def credit_record(*, user, year: int):
    """The user's attendance in `year` with the hours each record earned, and the total."""
    records = list(
        AttendanceRecord.objects.filter(
            _counts_for_credit(user_ref="user"), user=user, session__start__year=year
        )
        .select_related("session__program")
        .annotate(earned=_credit_expr())
        .order_by("session__start")
    )
    total = sum((r.earned or Decimal(0) for r in records), Decimal(0))
    required = required_hours_by_rank().get(user.rank) if user.rank else None
    return records, round_hours(total), required


def credit_overview(*, user, year: int, behind_only: bool = False):
    """Cadres in the organizer's units with their hours in `year` against their rank's
    requirement, most behind first. One query (plus the requirement table)."""
    roles = roles_of(user)
    if not (roles.is_admin or roles.is_organizer):
        raise PermissionDenied
    required = required_hours_by_rank()
    required_expr = Case(
        *[When(rank=rank, then=Value(hours)) for rank, hours in required.items()],
        default=Value(Decimal(0)),
        output_field=DecimalField(max_digits=6, decimal_places=1),
    )
    # Summed unrounded, rounded once to a tenth (ROUND, as the statistics rollups do;
    # core.numbers.round_hours on the trainee's page), so the shortfall is that of the shown hours.
    earned = Round(
        Coalesce(
            Sum(
                _credit_expr("attendance__"),
                filter=Q(attendance__session__start__year=year)
                & _counts_for_credit("attendance__", user_ref="pk"),
            ),
            Value(Decimal(0)),
            output_field=DecimalField(max_digits=8, decimal_places=2),
        ),
        1,
        output_field=DecimalField(max_digits=8, decimal_places=1),
    )
    qs = (
        User.objects.filter(organizer_scope_q(user, "unit"), is_active=True)
        .exclude(rank="")
        .annotate(earned=earned, required=required_expr)
        .annotate(
            shortfall=ExpressionWrapper(
                F("required") - F("earned"),
                output_field=DecimalField(max_digits=8, decimal_places=2),
            )
        )
        .select_related("unit")
        .order_by("-shortfall", "full_name", "id")
    )
    if behind_only:
        qs = qs.filter(shortfall__gt=0)
    return qs
