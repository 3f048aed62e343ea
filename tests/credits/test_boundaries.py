"""The 2023 rules at their boundaries: the five-year window rolling with the appointment date,
promotion catch-up within one year, a record or class spanning two years, 0.1 precision, and the
Lectern session hours of a withdrawn or withheld enrolment."""

import datetime as dt
from decimal import Decimal

import pytest

from accounts.models import Rank
from credits.models import CadreProfile
from credits.rules import Fact, Need, evaluate, progress_for
from enrollment.models import Enrollment
from tests.credits.factories import entry_for
from tests.factories import AttendanceRecordFactory, SessionFactory

pytestmark = pytest.mark.django_db
D = Decimal
NO_CAPS = lambda y: {}  # noqa: E731
COUNTY = Need(five_year_hours=D("550"))
SECTION = Need(annual_hours=D("90"))


def _eval(facts, year, need=COUNTY, appointed=None, caps=NO_CAPS):
    return evaluate(
        facts=[Fact(k, on, D(h)) for k, on, h in facts],
        year=year,
        need=need,
        caps_by_year=caps,
        appointed_on=appointed,
    )


# --- the five-year window -------------------------------------------------------------------


def test_without_an_appointment_date_the_window_is_five_calendar_years():
    p = _eval([("external_class", dt.date(2022, 1, 1), "300")], 2026)
    assert (p.window_from, p.window_to) == (dt.date(2022, 1, 1), dt.date(2026, 12, 31))
    assert p.window_total == D("300") and p.window_missing == D("250")
    assert _eval([("external_class", dt.date(2021, 12, 31), "300")], 2026).window_total == 0


@pytest.mark.parametrize(
    "on, counted",
    [
        (dt.date(2024, 6, 30), False),  # the day before the appointment: the previous cycle
        (dt.date(2024, 7, 1), True),  # the appointment day opens the cycle
        (dt.date(2026, 12, 31), True),  # the year's last day
    ],
)
def test_the_window_starts_on_the_appointment_day(on, counted):
    p = _eval([("external_class", on, "100")], 2026, appointed=dt.date(2024, 7, 1))
    assert (p.window_from, p.window_to) == (dt.date(2024, 7, 1), dt.date(2029, 6, 30))
    assert p.window_total == (D("100") if counted else 0)


def test_the_window_renews_five_years_after_the_appointment():
    appointed = dt.date(2020, 7, 1)
    facts = [
        ("external_class", dt.date(2025, 6, 30), "500"),  # last day of the first cycle
        ("external_class", dt.date(2025, 7, 1), "40"),  # first day of the second
    ]
    p2025 = _eval(facts, 2025, appointed=appointed)
    assert p2025.window_from == dt.date(2025, 7, 1)  # the cycle in force at the year's end
    assert p2025.window_total == D("40")
    assert p2025.window_due == D("110")  # one year of the cycle begun: a fifth of 550
    assert p2025.window_missing == D("70")


@pytest.mark.parametrize("year, due", [(2024, "110"), (2025, "220"), (2028, "550"), (2029, "110")])
def test_within_a_cycle_the_pace_is_a_fifth_a_year_begun(year, due):
    p = _eval([], year, appointed=dt.date(2024, 7, 1))
    assert p.window_due == D(due)


def test_on_pace_is_met_though_the_cycle_still_needs_hours():
    p = _eval([("external_class", dt.date(2025, 3, 1), "220")], 2025, appointed=dt.date(2024, 7, 1))
    assert p.window_missing == 0 and p.window_remaining == D("330") and p.met


def test_an_appointment_after_the_year_is_ignored_for_that_year():
    p = _eval([("external_class", dt.date(2025, 3, 1), "100")], 2025, appointed=dt.date(2026, 1, 1))
    assert p.appointed_on is None and p.window_from == dt.date(2021, 1, 1)


def test_a_29_february_appointment_renews_on_28_february():
    p = _eval([], 2029, appointed=dt.date(2024, 2, 29))
    assert p.window_from == dt.date(2029, 2, 28)


# --- promotion catch-up ---------------------------------------------------------------------


def test_promoted_with_enough_training_owes_nothing():
    facts = [("external_class", dt.date(2025, 7, 1), "110")]  # within the 12 months before
    p = _eval(facts, 2026, appointed=dt.date(2026, 6, 30))
    assert p.catch_up_required is None


def test_promoted_short_completes_within_one_year():
    appointed = dt.date(2025, 7, 1)
    facts = [
        ("external_class", dt.date(2024, 7, 1), "60"),  # first day of the year before: counts
        ("external_class", dt.date(2024, 6, 30), "500"),  # a day too early: does not
    ]
    p2025 = _eval(facts, 2025, appointed=appointed)
    assert p2025.catch_up_required == D("50") and p2025.catch_up_by == dt.date(2026, 6, 30)
    assert p2025.catch_up_missing == D("50") and not p2025.catch_up_overdue
    # not overdue in the year of the appointment: the window pace decides that year
    late = [*facts, ("external_class", dt.date(2026, 7, 1), "50")]  # a day after the deadline
    p2026 = _eval(late, 2026, appointed=appointed)
    assert p2026.catch_up_overdue and p2026.catch_up_missing == D("50")
    assert ("catch_up", D("50"), D("0")) in p2026.reasons and not p2026.met
    on_time = [*facts, ("external_class", dt.date(2026, 6, 30), "50")]  # the last day
    p_ok = _eval(on_time, 2026, appointed=appointed)
    assert p_ok.catch_up_missing == 0 and not p_ok.catch_up_overdue


def test_catch_up_for_an_annual_rank_uses_a_years_requirement():
    p = _eval(
        [("external_class", dt.date(2026, 2, 1), "89.9")],
        2026,
        need=SECTION,
        appointed=dt.date(2026, 3, 1),
    )
    assert p.catch_up_required == D("0.1")


def test_catch_up_is_no_longer_judged_after_its_year():
    p = _eval([], 2028, appointed=dt.date(2025, 7, 1))
    assert p.catch_up_required is None


# --- years and precision --------------------------------------------------------------------


def test_a_record_spanning_two_years_is_split_by_its_days(world):
    entry_for(
        world.trainee,
        start_date=dt.date(2025, 12, 29),
        end_date=dt.date(2026, 1, 2),  # 3 days in 2025, 2 in 2026
        hours=D("30"),
        title="跨年班",
    )
    assert progress_for(world.trainee, year=2025).year_total == D("18.0")
    assert progress_for(world.trainee, year=2026).year_total == D("12.0")


def test_a_lectern_class_spanning_two_years_counts_each_session_in_its_own_year(world):
    tz = dt.timezone(dt.timedelta(hours=8))
    late = SessionFactory(
        program=world.program, start=dt.datetime(2025, 12, 31, 23, 0, tzinfo=tz), credit_hours=3
    )
    early = SessionFactory(
        program=world.program, start=dt.datetime(2026, 1, 1, 0, 30, tzinfo=tz), credit_hours=4
    )
    AttendanceRecordFactory(session=late, user=world.trainee)
    AttendanceRecordFactory(session=early, user=world.trainee)
    assert progress_for(world.trainee, year=2025).by_kind == {"lectern_session": D("3")}
    assert progress_for(world.trainee, year=2026).by_kind == {"lectern_session": D("4")}


def test_hours_are_summed_unrounded_and_rounded_once():
    facts = [("external_class", dt.date(2026, 3, 1), "0.04")] * 3  # 0.12 → 0.1, not 0.0
    assert _eval(facts, 2026, need=SECTION).year_total == D("0.1")
    facts = [("external_class", dt.date(2026, 3, 1), "0.05")]  # half up
    assert _eval(facts, 2026, need=SECTION).year_total == D("0.1")


def test_a_cap_counts_the_earliest_hours_of_the_year_first():
    caps = lambda y: {"paper": D("20")}  # noqa: E731
    facts = [
        ("paper", dt.date(2026, 1, 10), "15"),
        ("paper", dt.date(2026, 8, 1), "10"),
    ]
    p = _eval(facts, 2026, need=SECTION, caps=caps)
    assert p.by_kind == {"paper": D("20")} and p.over_cap == {"paper": D("5")}


@pytest.mark.parametrize(
    "change",
    [
        {"status": Enrollment.Status.WITHDRAWN},
        {"credit_withheld": True},
    ],
)
def test_a_withdrawn_or_withheld_enrolment_earns_no_session_hours(world, change):
    session = SessionFactory(
        program=world.program,
        start=dt.datetime(2026, 4, 2, 9, tzinfo=dt.UTC),
        credit_hours=D("3"),
    )
    AttendanceRecordFactory(session=session, user=world.trainee)
    assert progress_for(world.trainee, year=2026).by_kind == {"lectern_session": D("3")}
    Enrollment.objects.filter(program=world.program, user=world.trainee).update(**change)
    assert progress_for(world.trainee, year=2026).by_kind == {}


def test_the_appointment_date_comes_from_the_cadres_profile(world):
    world.trainee.rank = Rank.COUNTY
    world.trainee.save()
    CadreProfile.objects.create(user=world.trainee, rank_appointed_on=dt.date(2024, 7, 1))
    entry_for(world.trainee, start_date=dt.date(2024, 6, 30), hours=D("100"), title="任前")
    entry_for(world.trainee, start_date=dt.date(2024, 7, 1), hours=D("100"), title="任后")
    p = progress_for(world.trainee, year=2026)
    assert p.window_from == dt.date(2024, 7, 1) and p.window_total == D("100")
    assert p.window_due == D("330") and p.window_missing == D("230")
