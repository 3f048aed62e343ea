"""Rollup tables for the statistics page (DESIGN.md §6: the page never scans raw attendance).

Each rollup is computed by one INSERT … SELECT straight from the base tables, for all programs
(`rollup_rebuild_all`) or for a few programs whose records changed (`rollup_refresh`). The SQL is
plain enough to run on PostgreSQL and on the SQLite demo alike.
"""

import re
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.exceptions import EmptyResultSet
from django.db import connection, transaction
from django.db.models import F, Max, Min, Q, Sum
from django.db.models.functions import ExtractYear
from django.utils import timezone

from attendance import rules
from evaluation.rules import counts_for_credit, credit_expr
from reports.credit import credit_requirements
from reports.credit import evaluation_model as _evaluation_model
from reports.models import RollupDirtyProgram, RollupState


def _year_month(column: str) -> tuple[str, str]:
    if connection.vendor == "postgresql":
        return (
            f"CAST(EXTRACT(YEAR FROM {column}) AS integer)",
            f"CAST(EXTRACT(MONTH FROM {column}) AS integer)",
        )
    return (
        f"CAST(strftime('%%Y', {column}) AS integer)",
        f"CAST(strftime('%%m', {column}) AS integer)",
    )


def _db_now(now):
    return connection.ops.adapt_datetimefield_value(now)


def _in(column: str, ids) -> str:
    if ids is None:
        return "1 = 1"
    ids = [int(i) for i in ids]
    if not ids:
        return "1 = 0"
    return f"{column} IN ({', '.join(map(str, ids))})"


# --- The evaluation app's rules, when its tables exist -------------------------------------------
# Credit hours follow evaluation's CreditPolicy (percent of a session's hours per status, with its
# defaults); completion follows its confirmed Completion rows where a program has them;
# satisfaction counts 满意 and 较满意 on the "overall" indicator of its anonymous answers.


def _credit_hours(*, program_ids=None, user_ids=None, by_year=False) -> tuple[str, dict]:
    """SQL (and named params) of the hours each trainee earns per program (and per local year of
    the session with `by_year`), columns pid, uid[, yr], hours. The rule is evaluation's one
    statement of it (evaluation.rules.credit_expr and counts_for_credit), compiled by the ORM:
    cancelled sessions, withdrawn enrolments and 不予认定学时 earn nothing; a session's hours
    count in the year of its local start date, so a class over New Year is split."""
    from attendance.models import AttendanceRecord

    qs = AttendanceRecord.objects.filter(counts_for_credit())
    if program_ids is not None:
        qs = qs.filter(session__program_id__in=list(program_ids))
    if user_ids is not None:
        qs = qs.filter(user_id__in=list(user_ids))
    keys = {"pid": F("session__program_id"), "uid": F("user_id")}
    if by_year:
        keys["yr"] = ExtractYear("session__start", tzinfo=ZoneInfo(settings.TIME_ZONE))
    qs = qs.values(**keys).annotate(hours=Sum(credit_expr())).order_by()
    if (program_ids is not None and not program_ids) or (user_ids is not None and not user_ids):
        qs = qs.none()
    try:
        sql, params = qs.query.sql_with_params()
    except EmptyResultSet:  # no programs or people: nothing to sum
        cols = "NULL AS pid, NULL AS uid, " + ("NULL AS yr, " if by_year else "")
        return f"SELECT {cols}0 AS hours WHERE 1 = 0", {}
    named = {}

    def name(_match):
        key = f"credit_{len(named)}"
        named[key] = params[len(named)]
        return f"%({key})s"

    return re.sub(r"(?<!%)%s", name, sql), named


def _completion_join() -> str:
    model = _evaluation_model("Completion")
    if model is None:
        return ""
    return (
        f"LEFT JOIN {model._meta.db_table} c ON c.program_id = e.program_id "
        "AND c.user_id = e.user_id"
    )


def _completion_column() -> str:
    return "c.id" if _evaluation_model("Completion") is not None else "NULL"


def _completion_passed() -> str:
    return "(CASE WHEN c.passed THEN 1 ELSE 0 END)" if _evaluation_model("Completion") else "0"


def _satisfaction_subquery() -> str:
    model = _evaluation_model("EvaluationAnswer")
    if model is None:
        return "(SELECT NULL AS program_id, 0 AS n, 0 AS sat) ev"
    return f"""(SELECT s2.program_id, COUNT(*) AS n,
        SUM(CASE WHEN a.overall >= 3 THEN 1 ELSE 0 END) AS sat
      FROM {model._meta.db_table} a JOIN programs_session s2 ON s2.id = a.session_id
      GROUP BY s2.program_id) ev"""


def _per_enrollment_cte(program_filter: str, hours_sql: str) -> str:
    """One row per enrolled trainee of the selected programs, with attendance counts. Sessions
    due, attended and unexcused follow attendance.rules (its SQL fragments): due for everyone
    once ended, due for a trainee with a record once started; cancelled sessions never."""
    now = "%(now)s"
    ended = rules.sql_session_ended(start="s.start", end="s.end", now=now)
    started = rules.sql_session_started(start="s.start", now=now)
    attended = rules.sql_attended(status="r.status", leave_counts="p.leave_counts_as_attended")

    def count(status):
        return f"SUM(CASE WHEN {started} AND r.status = '{status}' THEN 1 ELSE 0 END)"

    return f"""
hrs AS ({hours_sql}),
held AS (
  SELECT s.program_id, COUNT(*) AS n FROM programs_session s
  WHERE s.status <> 'cancelled' AND {ended} AND {program_filter.format(c="s.program_id")}
  GROUP BY s.program_id
),
att AS (
  SELECT s.program_id, r.user_id,
    SUM(CASE WHEN {started} THEN 1 ELSE 0 END) AS recorded,
    SUM(CASE WHEN {started} AND NOT {ended} THEN 1 ELSE 0 END) AS running,
    SUM(CASE WHEN {started} THEN {attended} ELSE 0 END) AS attended,
    {count("present")} AS present,
    {count("late")} AS late,
    {count("left_early")} AS left_early,
    {count("late_left_early")} AS late_left_early,
    {count("absent")} AS absent,
    {count("on_leave")} AS on_leave
  FROM attendance_attendancerecord r JOIN programs_session s ON s.id = r.session_id
  JOIN programs_program p ON p.id = s.program_id
  WHERE s.status <> 'cancelled' AND {program_filter.format(c="s.program_id")}
  GROUP BY s.program_id, r.user_id
),
per0 AS (
  SELECT e.program_id, e.unit_id, e.user_id, u.rank, u.unit_id AS user_unit_id,
    p.level, p.start_date, p.status AS program_status, p.completion_min_attendance_rate,
    p.completion_max_unexcused_absences,
    COALESCE(h.n, 0) + COALESCE(a.running, 0) AS expected,
    COALESCE(h.n, 0) + COALESCE(a.running, 0) - COALESCE(a.recorded, 0) AS missing,
    COALESCE(a.attended, 0) AS attended,
    COALESCE(a.present, 0) AS present, COALESCE(a.late, 0) AS late,
    COALESCE(a.left_early, 0) AS left_early, COALESCE(a.late_left_early, 0) AS late_left_early,
    COALESCE(a.absent, 0) AS absent, COALESCE(a.on_leave, 0) AS on_leave,
    COALESCE(hrs.hours, 0) AS hours,
    {_completion_column()} AS completion_id, {_completion_passed()} AS completion_passed
  FROM enrollment_enrollment e
  JOIN programs_program p ON p.id = e.program_id
  JOIN accounts_user u ON u.id = e.user_id
  LEFT JOIN held h ON h.program_id = e.program_id
  LEFT JOIN att a ON a.program_id = e.program_id AND a.user_id = e.user_id
  LEFT JOIN hrs ON hrs.pid = e.program_id AND hrs.uid = e.user_id
  {_completion_join()}
  WHERE e.status = 'enrolled' AND {program_filter.format(c="e.program_id")}
),
per AS (
  SELECT per0.*,
    CASE WHEN completion_id IS NOT NULL THEN completion_passed
    WHEN program_status IN ('completed', 'archived') AND expected > 0
      AND NOT {
        rules.sql_below_line(
            attended="attended", expected="expected", line="completion_min_attendance_rate"
        )
    }
      AND absent + missing <= completion_max_unexcused_absences
    THEN 1 ELSE 0 END AS completed,
    CASE WHEN completion_id IS NOT NULL OR program_status IN ('completed', 'archived')
    THEN 1 ELSE 0 END AS assessed
  FROM per0
)"""


def _insert_attendance(program_ids, now) -> None:
    year, month = _year_month("MIN(per.start_date)")
    flt = _in("{c}", program_ids) if program_ids is not None else "1 = 1"
    hours_sql, params = _credit_hours(program_ids=program_ids)
    sql = f"""
WITH {_per_enrollment_cte(flt, hours_sql)}
INSERT INTO reports_attendancerollup (program_id, unit_id, rank, year, month, level, unit_path,
  enrolled, completed, assessed, expected, attended, present, late, left_early, late_left_early,
  absent, on_leave, credit_hours)
SELECT per.program_id, per.unit_id, per.rank, {year}, {month}, MIN(per.level),
  COALESCE(MIN(o.path), ''), COUNT(*), SUM(per.completed), SUM(per.assessed), SUM(per.expected),
  SUM(per.attended), SUM(per.present),
  SUM(per.late), SUM(per.left_early), SUM(per.late_left_early), SUM(per.absent),
  SUM(per.on_leave), SUM(per.hours)
FROM per LEFT JOIN accounts_orgunit o ON o.id = per.unit_id
GROUP BY per.program_id, per.unit_id, per.rank
"""
    with connection.cursor() as cursor:
        cursor.execute(sql, {"now": _db_now(now), **params})


def _insert_programs(program_ids, now) -> None:
    year, month = _year_month("p.start_date")
    sql = f"""
INSERT INTO reports_programrollup (program_id, year, month, level, organizing_unit_path, held,
  sessions_held, evaluation_responses, evaluation_satisfied)
SELECT p.id, {year}, {month}, p.level, COALESCE(o.path, ''),
  CASE WHEN COALESCE(h.n, 0) > 0 THEN TRUE ELSE FALSE END, COALESCE(h.n, 0),
  COALESCE(ev.n, 0), COALESCE(ev.sat, 0)
FROM programs_program p
LEFT JOIN accounts_orgunit o ON o.id = p.organizing_unit_id
LEFT JOIN (SELECT s.program_id, COUNT(*) AS n FROM programs_session s
           WHERE s.status <> 'cancelled' AND s.start <= %(now)s GROUP BY s.program_id) h
  ON h.program_id = p.id
LEFT JOIN {_satisfaction_subquery()} ON ev.program_id = p.id
WHERE p.status <> 'draft' AND {_in("p.id", program_ids)}
"""
    with connection.cursor() as cursor:
        cursor.execute(sql, {"now": _db_now(now)})


def _insert_trainee_years(user_ids, year_filter: str) -> None:
    """Each trainee's credit hours per calendar year (and per level). A session's hours count in
    the year it was held, in local time, as on the trainee's own credit pages (evaluation and
    the trainee record); an enrolment with nothing recorded yet counts in its program's start
    year. A class that runs over New Year is therefore split between the two years. Hours are
    summed unrounded and rounded once, half up (core.numbers.round_hours is the same rule)."""
    start_year, _ = _year_month("per.start_date")
    user_filter = _in("{c}", user_ids)
    hours_sql, params = _credit_hours(user_ids=user_ids, by_year=True)
    sql = f"""
WITH per AS (
  SELECT e.program_id, e.user_id, u.rank, u.unit_id AS user_unit_id, p.level, p.start_date
  FROM enrollment_enrollment e
  JOIN programs_program p ON p.id = e.program_id
  JOIN accounts_user u ON u.id = e.user_id
  WHERE e.status = 'enrolled' AND {user_filter.format(c="e.user_id")}
),
hy AS (
  SELECT pid AS program_id, uid AS user_id, yr AS year, hours FROM ({hours_sql}) h0
),
yr AS (
  SELECT per.user_id, per.program_id, COALESCE(hy.year, {start_year}) AS year, per.level,
    per.rank, per.user_unit_id, COALESCE(hy.hours, 0) AS hours
  FROM per LEFT JOIN hy ON hy.program_id = per.program_id AND hy.user_id = per.user_id
)
INSERT INTO reports_traineeyearrollup (user_id, year, level, rank, unit_id, unit_path, programs,
  credit_hours)
SELECT yr.user_id, yr.year, yr.level, MIN(yr.rank), MIN(yr.user_unit_id), COALESCE(MIN(o.path), ''),
  COUNT(DISTINCT yr.program_id), ROUND(SUM(yr.hours), 1)
FROM yr LEFT JOIN accounts_orgunit o ON o.id = yr.user_unit_id
WHERE {year_filter.format(c="yr.year")}
GROUP BY yr.user_id, yr.year, yr.level
UNION ALL
SELECT yr.user_id, yr.year, '', MIN(yr.rank), MIN(yr.user_unit_id), COALESCE(MIN(o.path), ''),
  COUNT(DISTINCT yr.program_id), ROUND(SUM(yr.hours), 1)
FROM yr LEFT JOIN accounts_orgunit o ON o.id = yr.user_unit_id
WHERE {year_filter.format(c="yr.year")}
GROUP BY yr.user_id, yr.year
"""
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


CUBE_PATH_LEN = 21  # three path segments: province, city, county (depth 2)
SUM_COLUMNS = [
    "enrolled",
    "completed",
    "assessed",
    "expected",
    "attended",
    "present",
    "late",
    "left_early",
    "late_left_early",
    "absent",
    "on_leave",
    "credit_hours",
]


def _met_expr() -> str:
    """Met: the rank has a requirement and the hours reach it. A rank without one (a cadre with
    no rank) never meets it, as in the detail path (selectors.statistics._compliance_by)."""
    return (
        "CASE "
        + " ".join(
            f"WHEN rank = '{rank}' AND credit_hours >= {float(hours)} THEN 1"
            for rank, hours in credit_requirements().items()
        )
        + " ELSE 0 END"
    )


def _prefix_filter(prefixes) -> tuple[str, list]:
    """SQL (and params) keeping rows whose county prefix is one of `prefixes` (None = all):
    `LIKE 'prefix%'` lets PostgreSQL use the path pattern index, SUBSTR makes it exact."""
    if prefixes is None:
        return "1 = 1", []
    prefixes = sorted(set(prefixes))
    if not prefixes:
        return "1 = 0", []
    one = f"(SUBSTR(unit_path, 1, {CUBE_PATH_LEN}) = %s AND unit_path LIKE %s)"
    params = []
    for prefix in prefixes:
        params += [prefix, prefix + "%"]
    return "(" + " OR ".join([one] * len(prefixes)) + ")", params


def _rebuild_cubes(years, *, stats_prefixes=None, compliance_prefixes=None) -> None:
    """Fold the detailed rollups of these years (None = all) into the county-level cubes; with
    prefixes given, only the cube rows of those counties (a program's refresh touches a few).
    One DELETE and one INSERT … SELECT per cube table."""
    year_filter = _in("year", years) if years is not None else "1 = 1"
    sums = ", ".join(f"SUM({c})" for c in SUM_COLUMNS)
    stats_where, stats_params = _prefix_filter(stats_prefixes)
    comp_where, comp_params = _prefix_filter(compliance_prefixes)
    with connection.cursor() as cursor:
        cursor.execute(
            f"DELETE FROM reports_statscube WHERE {year_filter} AND {stats_where}", stats_params
        )
        cursor.execute(
            f"DELETE FROM reports_compliancecube WHERE {year_filter} AND {comp_where}", comp_params
        )
        cursor.execute(
            f"""
INSERT INTO reports_statscube (year, month, level, rank, unit_path, {", ".join(SUM_COLUMNS)})
SELECT year, month, level, rank, SUBSTR(unit_path, 1, {CUBE_PATH_LEN}), {sums}
FROM reports_attendancerollup WHERE {year_filter} AND {stats_where}
GROUP BY year, month, level, rank, SUBSTR(unit_path, 1, {CUBE_PATH_LEN})
""",
            stats_params,
        )
        cursor.execute(
            f"""
INSERT INTO reports_compliancecube (year, level, rank, unit_path, trainees, met)
SELECT year, level, rank, SUBSTR(unit_path, 1, {CUBE_PATH_LEN}), COUNT(*),
  SUM({_met_expr()})
FROM reports_traineeyearrollup WHERE {year_filter} AND {comp_where}
GROUP BY year, level, rank, SUBSTR(unit_path, 1, {CUBE_PATH_LEN})
""",
            comp_params,
        )


def _prefixes(queryset) -> set[str]:
    """The county prefixes (the cubes' unit_path) of some rollup rows."""
    return {
        path[:CUBE_PATH_LEN] for path in queryset.values_list("unit_path", flat=True).distinct()
    }


@transaction.atomic
def rollup_rebuild_all(*, now=None) -> dict:
    """Recompute every rollup from scratch (the nightly job and `manage.py rollup_rebuild`)."""
    from reports.models import AttendanceRollup, ProgramRollup, TraineeYearRollup

    now = now or timezone.now()
    AttendanceRollup.objects.all().delete()
    ProgramRollup.objects.all().delete()
    TraineeYearRollup.objects.all().delete()
    _insert_programs(None, now)
    _insert_attendance(None, now)
    _insert_trainee_years(None, "1 = 1")
    _rebuild_cubes(None)
    RollupDirtyProgram.objects.all().delete()
    RollupState.objects.update_or_create(
        key="attendance", defaults={"refreshed_through": now, "full_rebuild_at": now}
    )
    return {
        "programs": ProgramRollup.objects.count(),
        "attendance_rows": AttendanceRollup.objects.count(),
        "trainee_years": TraineeYearRollup.objects.count(),
    }


def _years_touched(program_ids) -> list[int]:
    """Every calendar year these programs' hours may count in: from their start to their end
    date, widened by their sessions' local dates (see _insert_trainee_years)."""
    from programs.models import Program, Session

    dates = Program.objects.filter(pk__in=program_ids).aggregate(
        first=Min("start_date"), last=Max("end_date")
    )
    held = Session.objects.filter(program_id__in=program_ids).aggregate(
        first=Min("start"), last=Max("start")
    )
    bounds = [d.year for d in (dates["first"], dates["last"]) if d]
    bounds += [timezone.localtime(t).year for t in (held["first"], held["last"]) if t]
    return list(range(min(bounds), max(bounds) + 1)) if bounds else []


@transaction.atomic
def rollup_refresh(*, program_ids, now=None) -> int:
    """Recompute the rollups of these programs (and the year rows of their trainees), then the
    cube rows of only the counties and years those rows counted in, before and after."""
    from enrollment.models import Enrollment
    from reports.models import AttendanceRollup, ProgramRollup, TraineeYearRollup

    program_ids = sorted({int(p) for p in program_ids})
    if not program_ids:
        return 0
    now = now or timezone.now()
    # The years the rows counted in until now as well: a program moved to another year must
    # leave the old year's cubes and trainee years too.
    old_years = set(
        ProgramRollup.objects.filter(program_id__in=program_ids).values_list("year", flat=True)
    )
    mine = AttendanceRollup.objects.filter(program_id__in=program_ids)
    stats_prefixes = _prefixes(mine)
    mine.delete()
    ProgramRollup.objects.filter(program_id__in=program_ids).delete()
    _insert_programs(program_ids, now)
    _insert_attendance(program_ids, now)
    stats_prefixes |= _prefixes(AttendanceRollup.objects.filter(program_id__in=program_ids))
    years = sorted(old_years | set(_years_touched(program_ids)))
    user_ids = list(
        Enrollment.objects.filter(program_id__in=program_ids)
        .values_list("user_id", flat=True)
        .distinct()
    )
    compliance_prefixes: set[str] = set()
    for start in range(0, len(user_ids), 5000):
        batch = user_ids[start : start + 5000]
        rows = TraineeYearRollup.objects.filter(user_id__in=batch, year__in=years)
        compliance_prefixes |= _prefixes(rows)
        rows.delete()
        _insert_trainee_years(batch, _in("{c}", years))
        compliance_prefixes |= _prefixes(
            TraineeYearRollup.objects.filter(user_id__in=batch, year__in=years)
        )
    _rebuild_cubes(years, stats_prefixes=stats_prefixes, compliance_prefixes=compliance_prefixes)
    RollupDirtyProgram.objects.filter(program_id__in=program_ids).delete()
    return len(program_ids)


def changed_program_ids(*, since, until) -> set[int]:
    """Programs with an enrollment, attendance record, session or program row changed in the
    window, plus those marked dirty by signals, plus those whose sessions started or ended in
    the window (sessions due, and so rates, move with the clock: attendance.rules)."""
    from attendance.models import AttendanceRecord
    from enrollment.models import Enrollment
    from programs.models import Program, Session

    ids = set(RollupDirtyProgram.objects.values_list("program_id", flat=True))
    if since is None:
        return ids | set(Program.objects.values_list("pk", flat=True))
    window = {"updated_at__gt": since, "updated_at__lte": until}
    ids |= set(
        AttendanceRecord.objects.filter(**window)
        .values_list("session__program_id", flat=True)
        .distinct()
    )
    ids |= set(Enrollment.objects.filter(**window).values_list("program_id", flat=True).distinct())
    ids |= set(Session.objects.filter(**window).values_list("program_id", flat=True).distinct())
    ids |= set(
        Session.objects.filter(
            Q(start__gt=since, start__lte=until) | Q(end__gt=since, end__lte=until)
        )
        .values_list("program_id", flat=True)
        .distinct()
    )
    ids |= set(Program.objects.filter(**window).values_list("pk", flat=True))
    return ids


def rollup_refresh_changed(*, now=None) -> int:
    """The frequent beat job: refresh programs changed since the last run, then move the mark."""
    now = now or timezone.now()
    with transaction.atomic():
        state, _ = RollupState.objects.select_for_update().get_or_create(key="attendance")
        since = state.refreshed_through
        if since is None:
            rollup_rebuild_all(now=now)
            return -1
        ids = changed_program_ids(since=since, until=now)
        rollup_refresh(program_ids=ids, now=now)
        state.refreshed_through = now
        state.save(update_fields=["refreshed_through"])
    return len(ids)


def rollup_mark_dirty(program_id) -> None:
    """Mark a program stale (cheap, idempotent). For apps that change rows with bulk updates
    that do not touch `updated_at` (the watermark scan would miss those)."""
    RollupDirtyProgram.objects.bulk_create(
        [RollupDirtyProgram(program_id=program_id)], ignore_conflicts=True
    )
