"""Rollups agree with the raw records; the statistics page reads only rollups, with a fixed number
of queries whatever the data size; charts are SVG without style attributes."""

import datetime as dt
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from attendance.models import AttendanceRecord, AttendanceStatus
from programs.models import Program
from reports.models import AttendanceRollup, RollupState, TraineeYearRollup
from reports.selectors import StatsFilters, statistics
from reports.services import rollup_rebuild_all, rollup_refresh_changed
from tests.reports.factories import build_program

pytestmark = pytest.mark.django_db


def raw_figures(programs):
    """Attended records and expected attendances (enrolled × sessions held), from raw rows."""
    from enrollment.models import Enrollment
    from programs.models import Session

    attended = AttendanceRecord.objects.filter(
        session__program__in=programs,
        status__in=["present", "late", "left_early", "late_left_early"],
    ).count()
    expected = sum(
        Enrollment.objects.filter(program=p, status="enrolled").count()
        * Session.objects.filter(program=p, start__lte=timezone.now()).count()
        for p in programs
    )
    return attended, expected


def test_rollup_matches_raw_records(world):
    p1, s1, u1, _ = build_program(trainees=12, sessions=3, units=3, parent=world.city_a, seed=1)
    p2, s2, u2, _ = build_program(
        trainees=7, sessions=2, units=2, parent=world.city_b, seed=2, prefix="b"
    )
    rollup_rebuild_all()
    stats = statistics(filters=StatsFilters(year=p1.start_date.year))
    attended, expected = raw_figures([p1, p2, world.program])
    assert stats["trainee_times"] == 12 + 7 + 1  # + the world's trainee (no sessions held)
    assert stats["attendance_rate"] == round(100 * attended / (expected), 1)
    city_b = next(r for r in stats["units"] if r["unit"] == world.city_b)
    assert city_b["trainee_times"] == 7
    # Unit subtree filter: only city B's trainees.
    only_b = statistics(filters=StatsFilters(year=p1.start_date.year, unit=world.city_b))
    assert only_b["trainee_times"] == 7 and only_b["trainees"] == 7


def test_completion_and_credit_hours(world):
    program, sessions, users, _ = build_program(
        trainees=2, sessions=2, units=1, status=Program.Status.COMPLETED
    )
    AttendanceRecord.objects.filter(user=users[0]).update(status=AttendanceStatus.PRESENT)
    AttendanceRecord.objects.filter(user=users[1]).update(status=AttendanceStatus.ABSENT)
    rollup_rebuild_all()
    stats = statistics(
        filters=StatsFilters(year=program.start_date.year, unit=program.organizing_unit)
    )
    assert stats["completion_rate"] == 50.0
    row = TraineeYearRollup.objects.get(user=users[0], level="")
    assert row.credit_hours == 6 and row.programs == 1


def test_incremental_refresh_picks_up_changed_records(world):
    program, sessions, users, _ = build_program(trainees=4, sessions=2, units=1)
    AttendanceRecord.objects.filter(session__program=program).update(
        status=AttendanceStatus.PRESENT, updated_at=timezone.now() - dt.timedelta(hours=1)
    )
    rollup_rebuild_all(now=timezone.now() - dt.timedelta(minutes=30))
    assert statistics(filters=StatsFilters(year=program.start_date.year))["absent"] == 0
    record = AttendanceRecord.objects.filter(session__program=program).first()
    record.status = AttendanceStatus.ABSENT
    record.save()  # bumps updated_at past the watermark
    assert rollup_refresh_changed() >= 1
    assert statistics(filters=StatsFilters(year=program.start_date.year))["absent"] == 1
    state = RollupState.objects.get(key="attendance")
    assert state.refreshed_through > state.full_rebuild_at


def test_statistics_page_queries_do_not_grow_with_data(world, client_for):
    client = client_for(world.admin)
    url = reverse("reports:statistics")
    build_program(trainees=5, sessions=2, units=2, parent=world.city_a, seed=1)
    rollup_rebuild_all()
    client.get(url)  # warm caches (content types, sessions)
    with CaptureQueriesContext(connection) as small:
        assert client.get(url).status_code == 200
    for seed in range(2, 12):
        build_program(
            trainees=10, sessions=3, units=3, parent=world.city_b, seed=seed, prefix=f"q{seed}"
        )
    rollup_rebuild_all()
    with CaptureQueriesContext(connection) as large:
        client.get(url)
    assert len(large) == len(small)
    sql = " ".join(q["sql"] for q in large.captured_queries)
    assert "attendance_attendancerecord" not in sql  # rollups only
    assert AttendanceRollup.objects.count() > 20


def test_statistics_page_draws_svg_charts_without_style_attributes(world, client_for):
    build_program(trainees=6, sessions=2, units=2, parent=world.city_a)
    rollup_rebuild_all()
    page = client_for(world.admin).get(reverse("reports:statistics")).content.decode()
    assert page.count("<svg") == 4
    assert not re.search(r"\sstyle=", page)
    assert "培训人次" in page and "学时达标率" in page


def test_statistics_filters_and_htmx_partial(world, client_for):
    program, *_ = build_program(trainees=6, sessions=2, units=2, parent=world.city_a)
    rollup_rebuild_all()
    client = client_for(world.admin)
    query = {"year": program.start_date.year, "unit": world.city_b.pk, "level": "", "rank": ""}
    response = client.get(reverse("reports:statistics"), query, headers={"HX-Request": "true"})
    body = response.content.decode()
    assert response.status_code == 200
    assert body.lstrip().startswith('<div id="stats-results">')
    assert "<h1>" not in body
    xlsx = client.get(reverse("reports:statistics_xlsx"), query)
    assert xlsx["Content-Type"].startswith("application/vnd.openxmlformats")


def test_home_panels_show_statistics_to_admins_and_credit_hours_to_trainees(world, client_for):
    program, sessions, users, _ = build_program(trainees=1, sessions=1, units=1)
    rollup_rebuild_all()
    assert "培训概况" in client_for(world.admin).get(reverse("home")).content.decode()
    home = client_for(users[0]).get(reverse("home")).content.decode()
    assert reverse("reports:my_record") in home
    # one yearly credit figure on the home page (evaluation's, fresh), not a second from rollups
    assert home.count("年已获学时") == 1 and "年学时" not in home
    nav = client_for(world.manager).get(reverse("home")).content.decode()
    assert reverse("reports:index") in nav and reverse("reports:statistics") not in nav


def test_satisfaction_and_confirmed_completion_come_from_evaluation(world):
    from django.utils import timezone as tz

    from evaluation.models import Completion, EvaluationAnswer

    program, sessions, users, _ = build_program(trainees=3, sessions=1, units=1)
    for overall in (4, 3, 1, 4, 4):
        EvaluationAnswer.objects.create(
            session=sessions[0], content=4, delivery=4, relevance=4, overall=overall
        )
    Completion.objects.create(program=program, user=users[0], passed=True, confirmed_at=tz.now())
    Completion.objects.create(program=program, user=users[1], passed=False, confirmed_at=tz.now())
    rollup_rebuild_all()
    stats = statistics(
        filters=StatsFilters(year=program.start_date.year, unit=program.organizing_unit)
    )
    assert stats["satisfaction_rate"] == 80.0 and stats["evaluation_responses"] == 5
    assert stats["completion_rate"] == 50.0  # one of the two assessed trainees passed


def test_satisfaction_is_not_shown_for_fewer_answers_than_the_anonymity_threshold(world):
    """Filtered down to one small program, a satisfaction rate of 4 answers would tell how
    those four people answered; evaluation shows nobody a breakdown below 5 either."""
    from evaluation.models import EvaluationAnswer
    from evaluation.selectors import MIN_ANSWERS

    program, sessions, _users, _ = build_program(trainees=3, sessions=1, units=1)
    for _ in range(MIN_ANSWERS - 1):
        EvaluationAnswer.objects.create(
            session=sessions[0], content=4, delivery=4, relevance=4, overall=1
        )
    rollup_rebuild_all()
    filters = StatsFilters(year=program.start_date.year, unit=program.organizing_unit)
    stats = statistics(filters=filters)
    assert stats["evaluation_responses"] == MIN_ANSWERS - 1
    assert stats["satisfaction_rate"] is None
    EvaluationAnswer.objects.create(
        session=sessions[0], content=4, delivery=4, relevance=4, overall=4
    )
    rollup_rebuild_all()
    assert statistics(filters=filters)["satisfaction_rate"] == 20.0


def test_county_filter_reads_detail_and_agrees_with_the_city_cube(world):
    program, sessions, users, units = build_program(
        trainees=9, sessions=2, units=3, parent=world.county_a
    )
    rollup_rebuild_all()
    year = program.start_date.year
    county = statistics(filters=StatsFilters(year=year, unit=world.county_a))  # detail rows
    city = statistics(filters=StatsFilters(year=year, unit=world.city_a))  # county-level cube
    county_in_city = next(r for r in city["units"] if r["unit"] == world.county_a)
    assert county["trainee_times"] == county_in_city["trainee_times"] == 9 + 1
    assert county["attendance_rate"] == county_in_city["attendance_rate"]
    assert county["compliance_rate"] == county_in_city["compliance_rate"]
    assert [r["trainee_times"] for r in county["units"] if r["trainee_times"]] == [3, 3, 3]


def test_trainees_without_a_rank_count_the_same_in_the_cube_and_the_detail(world):
    """A cadre without a rank has no yearly requirement: not met, in the county-level cube
    (province and city views) exactly as in the detail rows (deeper units)."""
    from programs.models import Session

    program, sessions, users, units = build_program(
        trainees=6, sessions=6, units=2, parent=world.county_a
    )
    # 120 hours, above every rank's requirement (a session holds at most 24)
    Session.objects.filter(pk__in=[s.pk for s in sessions]).update(credit_hours=20)
    AttendanceRecord.objects.filter(session__in=sessions).update(status=AttendanceStatus.PRESENT)
    type(users[0]).objects.filter(pk__in=[u.pk for u in users[:3]]).update(rank="")
    rollup_rebuild_all()
    year = program.start_date.year
    county = statistics(filters=StatsFilters(year=year, unit=world.county_a))  # detail rows
    city = statistics(filters=StatsFilters(year=year, unit=world.city_a))  # county-level cube
    county_in_city = next(r for r in city["units"] if r["unit"] == world.county_a)
    assert county["compliance_rate"] == county_in_city["compliance_rate"]
    assert county["compliance_rate"] < 100


def test_a_program_moved_to_another_year_leaves_the_old_years_cubes(world):
    """A program postponed into next year (dates and sessions moved) is refreshed out of this
    year's county-level cubes and trainee years, not only out of its detail rows."""
    from django.db.models import Sum

    from programs.models import Session
    from reports.models import ComplianceCube, StatsCube
    from reports.rollups import rollup_refresh

    program, sessions, users, units = build_program(
        trainees=6, sessions=2, units=2, parent=world.county_a
    )
    rollup_rebuild_all()
    year = program.start_date.year
    later = dt.timedelta(days=400)
    Program.objects.filter(pk=program.pk).update(
        start_date=program.start_date + later, end_date=program.end_date + later
    )
    for s in sessions:
        Session.objects.filter(pk=s.pk).update(start=s.start + later, end=s.end + later)
    rollup_refresh(program_ids=[program.pk])

    def enrolled(model):
        return model.objects.filter(year=year).aggregate(n=Sum("enrolled"))["n"] or 0

    assert enrolled(StatsCube) == enrolled(AttendanceRollup)
    trainees = ComplianceCube.objects.filter(year=year).aggregate(n=Sum("trainees"))["n"] or 0
    assert trainees == TraineeYearRollup.objects.filter(year=year).count()
    assert not TraineeYearRollup.objects.filter(year=year, user__in=users).exists()


def _cubes():
    from reports.models import ComplianceCube, StatsCube

    stats = sorted(
        StatsCube.objects.values_list(
            "year", "month", "level", "rank", "unit_path", "enrolled", "attended", "credit_hours"
        )
    )
    compliance = sorted(
        ComplianceCube.objects.values_list("year", "level", "rank", "unit_path", "trainees", "met")
    )
    return stats, compliance


def test_a_refresh_rebuilds_only_its_counties_and_ends_equal_to_a_full_rebuild(world):
    """One program's refresh recomputes the cube rows of the counties its rows count in (before
    and after the change) and leaves the others alone; the cubes then equal a full rebuild."""
    from enrollment.models import Enrollment
    from reports.models import StatsCube
    from reports.rollups import rollup_refresh

    program, sessions, users, _units = build_program(
        trainees=6, sessions=2, units=2, parent=world.county_a, seed=31
    )
    other, *_ = build_program(trainees=5, sessions=1, units=1, parent=world.city_b, seed=32)
    rollup_rebuild_all()
    untouched = StatsCube.objects.filter(unit_path__startswith=world.city_b.path).first()
    AttendanceRecord.objects.filter(session=sessions[0], user__in=users[:3]).update(
        status=AttendanceStatus.ABSENT
    )
    Enrollment.objects.filter(program=program, user=users[-1]).update(unit=world.city_b)
    rollup_refresh(program_ids=[program.pk])
    refreshed = _cubes()
    if untouched is not None:  # another county's row was not rewritten
        assert StatsCube.objects.filter(pk=untouched.pk).exists()
    rollup_rebuild_all()
    assert refreshed == _cubes()
