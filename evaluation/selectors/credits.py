"""Credit hours (学时) of Lectern sessions: a trainee's sessions of a year with what each earned,
the organizer's per-cadre sums, and the hours a certificate states. All of it through the one
rule (evaluation.rules); the yearly requirement of a rank is credits' policy data, asked through
evaluation.hooks (the record of every source is credits' 培训档案)."""

from decimal import Decimal

from django.core.exceptions import PermissionDenied
from django.db.models import (
    Case,
    DecimalField,
    ExpressionWrapper,
    F,
    Q,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce, Round
from django.utils import timezone

from accounts.models import User
from accounts.scoping import organizer_scope_q, roles_of
from attendance.models import AttendanceRecord
from core.numbers import round_hours
from evaluation import hooks
from evaluation.rules import counts_for_credit, credit_expr
from programs.models import Session


def program_credit_hours(*, program) -> Decimal:
    """The program's nominal hours: its declared total (总学时), or when none was declared the
    sum of its sessions that were held (cancelled ones never count). Certificates state the hours
    a trainee earned (`earned_hours`); this is the program's figure."""
    if program.credit_hours:
        return round_hours(program.credit_hours)
    total = (
        Session.objects.filter(program=program)
        .exclude(status=Session.Status.CANCELLED)
        .aggregate(t=Sum("credit_hours"))["t"]
    )
    return round_hours(total)


def earned_hours(*, program, user) -> Decimal:
    """The hours one trainee earned in one program by the rule (rounded once). One query."""
    total = AttendanceRecord.objects.filter(
        counts_for_credit(user_ref="user"), user=user, session__program=program
    ).aggregate(t=Sum(credit_expr()))["t"]
    return round_hours(total or 0)


def earned_hours_by_user(*, program) -> dict:
    """{user id: hours earned in the program} (unrounded). One query."""
    rows = (
        AttendanceRecord.objects.filter(
            counts_for_credit(user_ref="user"), session__program=program
        )
        .values("user_id")
        .annotate(h=Sum(credit_expr()))
        .order_by()
    )
    return {r["user_id"]: Decimal(r["h"] or 0) for r in rows}


def required_hours_by_rank(year: int | None = None) -> dict:
    """{rank: hours a year} from credits' policy (through the hook)."""
    return hooks.yearly_requirements(year or timezone.localdate().year)


def credit_record(*, user, year: int):
    """The user's attendance in `year` with the hours each record earned (`earned`), the total
    (rounded once) and the yearly requirement of their rank (None without one)."""
    records = list(
        AttendanceRecord.objects.filter(
            counts_for_credit(user_ref="user"), user=user, session__start__year=year
        )
        .select_related("session__program")
        .annotate(earned=credit_expr())
        .order_by("session__start")
    )
    total = sum((r.earned or Decimal(0) for r in records), Decimal(0))
    required = required_hours_by_rank(year).get(user.rank) if user.rank else None
    return records, round_hours(total), required


def credit_overview(*, user, year: int, behind_only: bool = False):
    """Cadres in the organizer's units with their Lectern hours in `year` (`earned`) against
    their rank's yearly requirement, most behind first. One query."""
    roles = roles_of(user)
    if not (roles.is_admin or roles.is_organizer):
        raise PermissionDenied
    required = required_hours_by_rank(year)
    required_expr = Case(
        *[When(rank=rank, then=Value(hours)) for rank, hours in required.items()],
        default=Value(Decimal(0)),
        output_field=DecimalField(max_digits=6, decimal_places=1),
    )
    earned = Round(
        Coalesce(
            Sum(
                credit_expr("attendance__"),
                filter=Q(attendance__session__start__year=year)
                & counts_for_credit("attendance__", user_ref="pk"),
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
