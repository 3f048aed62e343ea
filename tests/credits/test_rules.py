"""The credit rule of the record at its boundaries: year ends, the five-year window, the caps,
rounding, the requirement in force, and Lectern session hours read through evaluation's rule. A
property test holds `evaluate` against an independent statement of the policy."""

import datetime as dt
from decimal import Decimal
from fractions import Fraction
from math import floor

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from accounts.models import Rank
from credits.models import Conversion, Requirement
from credits.rules import Fact, Need, PolicyBook, evaluate, progress_for
from programs.models import Session
from tests.credits.factories import entry_for
from tests.factories import AttendanceRecordFactory, SessionFactory

pytestmark = pytest.mark.django_db

NO_CAPS = lambda y: {}  # noqa: E731
D = Decimal


def test_national_defaults_are_shipped_as_rows():
    book = PolicyBook()
    section = book.need(rank=Rank.SECTION, unit_path="", year=2026)
    county = book.need(rank=Rank.COUNTY, unit_path="", year=2026)
    assert (section.annual_hours, section.five_year_hours, section.online_hours) == (
        D("90"),
        None,
        D("50"),
    )
    assert (county.annual_hours, county.five_year_hours) == (None, D("550"))
    assert book.caps(unit_path="", year=2026)["paper"] == D("20")


@pytest.mark.parametrize("hours, missing", [("89.94", "0.1"), ("89.95", "0"), ("90", "0")])
def test_annual_requirement_met_at_90_hours_as_shown_to_a_tenth(hours, missing):
    p = evaluate(
        facts=[Fact("external_class", dt.date(2026, 6, 30), D(hours))],
        year=2026,
        need=Need(annual_hours=D("90")),
        caps_by_year=NO_CAPS,
    )
    assert p.annual_missing == D(missing)
    assert p.met is (missing == "0")


def test_year_end_boundary_dec_31_counts_in_its_year_jan_1_in_the_next(world):
    entry_for(world.trainee, start_date=dt.date(2025, 12, 31), hours=D("40"), title="甲")
    entry_for(world.trainee, start_date=dt.date(2026, 1, 1), hours=D("7"), title="乙")
    assert progress_for(world.trainee, year=2025).year_total == D("40")
    p = progress_for(world.trainee, year=2026)
    assert p.year_total == D("7") and p.annual_missing == D("83")


def test_five_year_window_includes_year_minus_4_and_not_year_minus_5(world):
    world.trainee.rank = Rank.COUNTY
    world.trainee.save()
    entry_for(world.trainee, start_date=dt.date(2021, 12, 31), hours=D("500"), title="旧")
    entry_for(world.trainee, start_date=dt.date(2022, 1, 1), hours=D("500"), title="内")
    entry_for(world.trainee, start_date=dt.date(2026, 3, 1), hours=D("49.9"), title="今")
    p = progress_for(world.trainee, year=2026)
    assert (p.window_start, p.window_total, p.window_missing) == (2022, D("549.9"), D("0.1"))
    assert p.annual_missing is None
    assert progress_for(world.trainee, year=2025).window_total == D("1000")


def test_only_approved_entries_count(world):
    entry_for(world.trainee, hours=D("30"), title="已认定")
    entry_for(world.trainee, hours=D("30"), title="待审", status="unit_pending")
    entry_for(world.trainee, hours=D("30"), title="退回", status="rejected")
    assert progress_for(world.trainee, year=2026).year_total == D("30")


def test_category_cap_counts_up_to_the_cap_and_shows_the_excess(world):
    entry_for(world.trainee, kind="paper", hours=D("15"), title="论文一")
    entry_for(world.trainee, kind="paper", hours=D("10"), title="论文二")
    p = progress_for(world.trainee, year=2026)
    assert p.by_kind["paper"] == D("20") and p.over_cap["paper"] == D("5")
    assert p.year_total == D("20")


def test_online_minimum_counts_online_college_hours_only(world):
    entry_for(world.trainee, kind="online", mode="online", hours=D("49.9"), title="网课")
    p = progress_for(world.trainee, year=2026)
    assert p.online_total == D("49.9") and p.online_missing == D("0.1")
    assert ("online", D("50"), D("49.9")) in p.reasons


def test_the_most_specific_requirement_in_force_applies(world):
    Requirement.objects.create(
        rank=Rank.SECTION,
        unit=world.city_a,
        effective_from=dt.date(2025, 1, 1),
        annual_hours=D("100"),
        online_hours=D("60"),
    )
    Requirement.objects.create(  # not yet in force for 2026
        rank=Rank.SECTION,
        unit=world.county_a,
        effective_from=dt.date(2027, 1, 1),
        annual_hours=D("120"),
    )
    Requirement.objects.create(  # a wider unit: less specific
        rank=Rank.SECTION,
        unit=world.province,
        effective_from=dt.date(2026, 6, 1),
        annual_hours=D("95"),
    )
    book = PolicyBook()
    assert book.need(rank="section", unit_path=world.county_a.path, year=2026).annual_hours == 100
    assert book.need(rank="section", unit_path=world.county_a.path, year=2027).annual_hours == 120
    assert book.need(rank="section", unit_path=world.city_b.path, year=2026).annual_hours == 95
    assert book.need(rank="section", unit_path=world.city_b.path, year=2025).annual_hours == 90


def test_conversions_are_rows_and_a_locality_overrides_them(world):
    Conversion.objects.create(
        kind="full_day", unit=world.province, effective_from=dt.date(2024, 1, 1), value=D("6")
    )
    book = PolicyBook()
    on = dt.date(2026, 5, 1)
    here, elsewhere = world.county_a.path, "999999."
    assert book.convert("external_class", unit_path=here, on=on, days=5) == D("30")
    assert book.convert("external_class", unit_path=elsewhere, on=on, days=2, half_days=1) == D(
        "18"
    )
    assert book.convert("teaching", unit_path=here, on=on, taught_hours=3) == D("6")
    assert book.convert("online", unit_path=here, on=on, minutes=44) == D("0.5")
    assert book.convert("online", unit_path=here, on=on, minutes=45) == D("1")
    assert book.convert("online", unit_path=here, on=on, minutes=19) == D("0")
    assert book.convert("paper", unit_path=here, on=on, paper_level="provincial") == D("6")
    assert book.convert("external_class", unit_path=here, on=on) is None


def test_lectern_session_hours_come_from_evaluations_rule_and_cancelled_ones_never_count(world):
    start = dt.datetime(2026, 4, 2, 9, tzinfo=dt.UTC)
    held = SessionFactory(program=world.program, start=start, credit_hours=D("3"))
    cancelled = SessionFactory(
        program=world.program, start=start, credit_hours=D("3"), status=Session.Status.CANCELLED
    )
    AttendanceRecordFactory(session=held, user=world.trainee)
    AttendanceRecordFactory(session=cancelled, user=world.trainee)
    p = progress_for(world.trainee, year=2026)
    assert p.by_kind == {"lectern_session": D("3")}


# --- property: an independent statement of the policy -----------------------------------------

KINDS = ["lectern_session", "external_class", "online", "paper", "teaching"]


def _half_up_tenth(x: Fraction) -> Fraction:
    return Fraction(floor(x * 10 + Fraction(1, 2)), 10)


def _statement(facts, year, need, caps):
    """For each year, each kind counts up to its cap; a section cadre needs `annual` hours in
    the year, a county cadre `five` in the five calendar years ending with it; everybody needs
    `online` hours of online college a year. Figures shown to 0.1, half up."""

    def counted(y):
        per_kind = {}
        for kind, fy, h in facts:
            if fy == y:
                per_kind[kind] = per_kind.get(kind, Fraction(0)) + Fraction(h)
        return {k: min(v, Fraction(caps[k])) if k in caps else v for k, v in per_kind.items()}

    this_year = counted(year)
    shown_year = _half_up_tenth(sum(this_year.values(), Fraction(0)))
    shown_window = _half_up_tenth(
        sum((sum(counted(y).values(), Fraction(0)) for y in range(year - 4, year + 1)), Fraction(0))
    )
    shown_online = _half_up_tenth(this_year.get("online", Fraction(0)))
    short = []
    if need.annual_hours is not None and shown_year < need.annual_hours:
        short.append("annual")
    if need.five_year_hours is not None and shown_window < need.five_year_hours:
        short.append("window")
    if shown_online < need.online_hours:
        short.append("online")
    return shown_year, shown_window, shown_online, short


hours = st.decimals(min_value=0, max_value=200, places=2, allow_nan=False, allow_infinity=False)
facts_st = st.lists(st.tuples(st.sampled_from(KINDS), st.integers(2019, 2027), hours), max_size=25)
need_st = st.one_of(
    st.builds(Need, annual_hours=st.sampled_from([D(90), D("89.9")]), online_hours=st.just(D(50))),
    st.builds(Need, five_year_hours=st.sampled_from([D(550), D(100)]), online_hours=st.just(D(50))),
)
caps_st = st.dictionaries(st.sampled_from(["paper", "teaching", "online"]), hours, max_size=3)


@settings(max_examples=300, deadline=None)
@given(facts=facts_st, year=st.integers(2022, 2027), need=need_st, caps=caps_st)
def test_rules_agree_with_an_independent_statement_of_the_policy(facts, year, need, caps):
    p = evaluate(
        facts=[Fact(k, dt.date(y, 6, 30), h) for k, y, h in facts],
        year=year,
        need=need,
        caps_by_year=lambda y: caps,
    )
    shown_year, shown_window, shown_online, short = _statement(facts, year, need, caps)
    assert (p.year_total, p.window_total, p.online_total) == (
        shown_year,
        shown_window,
        shown_online,
    )
    assert [r[0] for r in p.reasons] == short
    assert p.met is (not short)


def test_teaching_hours_come_from_the_timetable_times_the_factor(world):
    from programs.models import Program

    lecturer = world.lecturer_user  # a cadre who teaches (Lecturer 授课人甲)
    world.session.lecturers.clear()
    published = world.program
    published.status = Program.Status.PUBLISHED
    published.save()
    draft = SessionFactory().program  # a draft program: not counted
    draft.status = Program.Status.DRAFT
    draft.save()
    past = dt.datetime(2026, 3, 5, 9, tzinfo=dt.UTC)
    for program, status in (
        (published, Session.Status.SCHEDULED),
        (published, Session.Status.CANCELLED),
        (draft, Session.Status.SCHEDULED),
    ):
        s = SessionFactory(program=program, start=past, credit_hours=D("3"), status=status)
        s.lecturers.add(world.lecturer)
    future = SessionFactory(
        program=published, start=dt.datetime(2099, 3, 5, 9, tzinfo=dt.UTC), credit_hours=D("3")
    )
    future.lecturers.add(world.lecturer)
    p = progress_for(lecturer, year=2026)
    assert p.by_kind == {"teaching": D("6")}  # 3 h × factor 2, once
    Conversion.objects.create(
        kind="teaching_factor", unit=world.city_a, effective_from=dt.date(2026, 1, 1), value=D("3")
    )
    assert progress_for(lecturer, year=2026).by_kind == {"teaching": D("9")}


def test_taught_hours_and_filed_teaching_share_the_yearly_cap(world):
    from programs.models import Program

    world.program.status = Program.Status.RUNNING
    world.program.save()
    world.session.lecturers.clear()
    s = SessionFactory(
        program=world.program, start=dt.datetime(2026, 3, 5, 9, tzinfo=dt.UTC), credit_hours=D("4")
    )
    s.lecturers.add(world.lecturer)
    entry_for(world.lecturer_user, kind="teaching", hours=D("25"), title="外单位授课")
    p = progress_for(world.lecturer_user, year=2026)
    assert p.by_kind["teaching"] == D("30") and p.over_cap["teaching"] == D("3")


def test_a_back_dated_policy_change_applies_at_once_and_is_audited(world, client_for):
    from core.models import AuditLog

    entry_for(world.trainee, hours=D("95"), title="外部培训")
    assert progress_for(world.trainee, year=2026).met is False  # online minimum not met
    c = client_for(world.admin)
    c.force_login(world.admin)
    world.admin.is_staff = world.admin.is_superuser = True
    world.admin.save()
    r = c.post(
        "/admin/credits/requirement/add/",
        {
            "rank": "section",
            "unit": world.city_a.pk,
            "effective_from": "2024-01-01",
            "annual_hours": "100",
            "online_hours": "0",
            "note": "云江市补充规定",
        },
    )
    assert r.status_code == 302, r.content.decode()[:500]
    p = progress_for(world.trainee, year=2026)
    assert p.need.annual_hours == D("100") and p.annual_missing == D("5")
    assert p.online_missing is None
    log = AuditLog.objects.get(action="credits.policy.requirement.add")
    assert log.after["annual_hours"] == "100.0" or log.after["annual_hours"] == "100"
