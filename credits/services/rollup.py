"""The compliance rollup (CreditYearRollup): one row per cadre and year holding what
`credits.rules.evaluate` says, so the compliance list reads indexed rows at province scale.

Kept right by: `rollup_refresh` for the cadres whose records were approved, edited or revoked
(called in the same transaction) and after an import or a policy change; `rollup_refresh_changed`
(a periodic task) for cadres whose attendance, enrolments, sessions or program credit policy
changed since its last run; and `rollup_rebuild` every night for everything.
"""

from datetime import datetime

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from accounts.models import User
from attendance.models import AttendanceRecord
from credits.models import CreditRollupState, CreditYearRollup, SourceKind
from credits.rules import ZERO, PolicyBook, progress_many
from enrollment.models import Enrollment
from evaluation.models import CreditPolicy

BATCH = 2000
KIND_COLUMNS = {
    SourceKind.LECTERN_SESSION: "hours_lectern",
    SourceKind.EXTERNAL_CLASS: "hours_external",
    SourceKind.ONLINE: "hours_online",
    SourceKind.STUDY_GROUP: "hours_study_group",
    SourceKind.TEACHING: "hours_teaching",
    SourceKind.PAPER: "hours_paper",
    SourceKind.OTHER: "hours_other",
}


def rollup_years(today=None) -> list[int]:
    """The years the rollup keeps: the present one and the one before (January still judges
    December's year)."""
    year = (today or timezone.localdate()).year
    return [year - 1, year]


def cadres():
    """Whom the record judges: active accounts with a rank."""
    return User.objects.filter(is_active=True).exclude(rank="")


def _row(user, year, progress, now) -> CreditYearRollup:
    need = progress.need
    row = CreditYearRollup(
        user_id=user.pk,
        year=year,
        unit_id=user.unit_id,
        unit_path=user.unit.path if user.unit_id else "",
        rank=user.rank,
        year_total=progress.year_total,
        window_total=progress.window_total,
        required_annual=need.annual_hours,
        required_window=need.five_year_hours,
        required_online=need.online_hours or ZERO,
        annual_missing=progress.annual_missing or ZERO,
        window_missing=progress.window_missing or ZERO,
        online_missing=progress.online_missing or ZERO,
        catch_up_missing=(progress.catch_up_missing or ZERO) if progress.catch_up_overdue else ZERO,
        missing=progress.missing_total,
        has_requirement=need.any,
        met=progress.met,
        refreshed_at=now,
    )
    for kind, hours in progress.by_kind.items():
        setattr(row, KIND_COLUMNS[kind], hours)
    return row


def _refresh_batch(users, years, book) -> int:
    now = timezone.now()
    rows = []
    for year in years:
        progress = progress_many(users, year=year, book=book)
        rows.extend(_row(u, year, progress[u.pk], now) for u in users)
    with transaction.atomic():
        CreditYearRollup.objects.filter(
            user_id__in=[u.pk for u in users], year__in=list(years)
        ).delete()
        CreditYearRollup.objects.bulk_create(rows, batch_size=1000)
    return len(rows)


def rollup_refresh(*, user_ids, years=None) -> int:
    """Recompute the rows of these cadres (every kept year unless `years` is given; a year not
    kept is skipped). People without a rank or no longer active lose their rows."""
    kept = rollup_years()
    years = [y for y in (years or kept) if y in kept]
    user_ids = list(set(user_ids))
    if not user_ids or not years:
        return 0
    CreditYearRollup.objects.filter(user_id__in=user_ids).exclude(
        user_id__in=cadres().filter(pk__in=user_ids).values("pk")
    ).delete()
    book = PolicyBook()
    done = 0
    for i in range(0, len(user_ids), BATCH):
        users = list(cadres().filter(pk__in=user_ids[i : i + BATCH]).select_related("unit"))
        if users:
            done += _refresh_batch(users, years, book)
    return done


def rollup_rebuild() -> int:
    """Every cadre, every kept year (the nightly rebuild; after a policy change)."""
    years = rollup_years()
    CreditYearRollup.objects.exclude(year__in=years).delete()
    CreditYearRollup.objects.exclude(user_id__in=cadres().values("pk")).delete()
    book = PolicyBook()
    done = 0
    last = 0
    while True:
        users = list(cadres().filter(pk__gt=last).select_related("unit").order_by("pk")[:BATCH])
        if not users:
            break
        done += _refresh_batch(users, years, book)
        last = users[-1].pk
    return done


def changed_user_ids(since: datetime) -> set[int]:
    """Cadres whose Lectern hours may have changed since `since`: attendance records, their
    enrolments (a withdrawal, a 不予认定学时 decision), sessions (a cancellation) and the credit
    policy of their programs."""
    records = AttendanceRecord.objects.filter(
        Q(updated_at__gte=since)
        | Q(session__updated_at__gte=since)
        | Q(
            session__program__in=CreditPolicy.objects.filter(updated_at__gte=since).values(
                "program"
            )
        )
    ).values_list("user_id", flat=True)
    enrolments = Enrollment.objects.filter(updated_at__gte=since).values_list("user_id", flat=True)
    return set(records) | set(enrolments)


def rollup_refresh_changed(now=None) -> int:
    now = now or timezone.now()
    with transaction.atomic():
        state = CreditRollupState.objects.select_for_update().first()
        if state is None:
            CreditRollupState.objects.create(last_run=now)
            return rollup_rebuild()
        since, state.last_run = state.last_run, now
        state.save(update_fields=["last_run"])
    return rollup_refresh(user_ids=changed_user_ids(since))
