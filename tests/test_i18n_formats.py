"""Dates, list separators and punctuation follow the interface language.

The same pages are rendered in Chinese (the default) and, after switching with the
set_language view, in English: Chinese pages keep "11月21日"-style dates and "、" between
names; English pages show month abbreviations, ", " and no "N月" anywhere.
"""

import re

import pytest
from django.urls import reverse
from django.utils import timezone, translation
from icalendar import Calendar

from programs.ical import feed_calendar
from programs.services import calendar_feed_get_or_create
from tests.factories import LecturerFactory

pytestmark = pytest.mark.django_db

MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
MONTHS_FULL = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
]
CHINESE_DATE = re.compile(r"\d+月\d+日")


@pytest.fixture(autouse=True)
def _restore_language():
    """An English request leaves English active in this thread; later tests expect Chinese."""
    before = translation.get_language()
    yield
    translation.activate(before)


def _english(client):
    response = client.post(reverse("set_language"), {"language": "en", "next": "/"})
    assert response.status_code == 302
    return client


def _local_start(world):
    return timezone.localtime(world.session.start)


def _zh_day(d) -> str:
    return f"{d.month}月{d.day}日"


def _en_day(d) -> str:
    return f"{MONTHS[d.month - 1]} {d.day}"


def _page(client, url) -> str:
    response = client.get(url)
    assert response.status_code == 200, url
    return response.content.decode()


def test_attendance_session_page_dates_and_screen_labels(world, client_for):
    start = _local_start(world)
    url = reverse("attendance:session", args=[world.session.pk])

    zh = _page(client_for(world.manager), url)
    assert f"{start.year}年{_zh_day(start)} {start:%H:%M}" in zh
    assert f"签到屏:{world.venue.name}" in zh

    en = _page(_english(client_for(world.manager)), url)
    assert f"{_en_day(start)}, {start.year} {start:%H:%M}" in en
    assert f"Check-in screen: {world.venue.name}" in en
    assert not CHINESE_DATE.search(en)


def test_attendance_program_page_short_dates(world, client_for):
    start = _local_start(world)
    url = reverse("attendance:program", args=[world.program.pk])

    zh = _page(client_for(world.manager), url)
    assert f"{_zh_day(start)} {start:%H:%M}" in zh

    en = _page(_english(client_for(world.manager)), url)
    assert f"{_en_day(start)} {start:%H:%M}" in en
    assert not CHINESE_DATE.search(en)


def test_program_detail_separators_and_counts(world, client_for):
    second = LecturerFactory(name="授课人乙")
    world.session.lecturers.add(second)
    url = reverse("programs:detail", args=[world.program.pk])

    zh = _page(client_for(world.organizer), url)
    assert "课程安排(1)" in zh
    assert re.search(r"授课人(甲|乙)[^<]*、授课人(甲|乙)", zh)

    en = _page(_english(client_for(world.organizer)), url)
    assert "Sessions (1)" in en
    assert re.search(r"授课人(甲|乙)[^<]*, 授课人(甲|乙)", en)
    assert "、" not in en.split("<main", 1)[-1].split("</table>", 1)[0].split("<table", 1)[-1]


def test_my_schedule_day_headings(world, client_for):
    start = _local_start(world)
    url = reverse("programs:my_schedule") + f"?from={start.date().isoformat()}"

    zh = _page(client_for(world.trainee), url)
    assert _zh_day(start) in zh

    en = _page(_english(client_for(world.trainee)), url)
    assert f"{start:%A}, {_en_day(start)}" in en
    assert not CHINESE_DATE.search(en)


def test_timetable_month_heading(world, client_for):
    start = _local_start(world)
    url = reverse("programs:timetable", args=[world.program.pk])
    url += f"?view=month&d={start.date().isoformat()}"

    zh = _page(client_for(world.organizer), url)
    assert f"{start.year}年{start.month}月" in zh

    en = _page(_english(client_for(world.organizer)), url)
    assert f"{MONTHS_FULL[start.month - 1]} {start.year}" in en
    assert not re.search(r"\d年\d+月", en)


def test_evaluation_program_results_dates(world, client_for):
    start = _local_start(world)
    url = reverse("evaluation:program_results", args=[world.program.pk])

    zh = _page(client_for(world.manager), url)
    assert f"{_zh_day(start)} {start:%H:%M}" in zh

    en = _page(_english(client_for(world.manager)), url)
    assert f"{_en_day(start)} {start:%H:%M}" in en
    assert not CHINESE_DATE.search(en)


def test_completion_rule_is_one_sentence(world, client_for):
    program = world.program
    program.completion_requires_reflection = True
    program.save(update_fields=["completion_requires_reflection"])
    url = reverse("evaluation:completion", args=[program.pk])
    rate, absences = (
        program.completion_min_attendance_rate,
        program.completion_max_unexcused_absences,
    )

    zh = _page(client_for(world.manager), url)
    assert f"规则:出勤率不低于 {rate}%,旷课不超过 {absences} 次,学习体会须通过评阅" in zh

    en = _page(_english(client_for(world.manager)), url)
    assert (
        f"Rules: attendance rate at least {rate}%, unexcused absences at most {absences}, "
        "reflection accepted" in en
    )
    assert ",学习体会" not in en and "Rules:" in en


def _event(ics: bytes):
    (event,) = Calendar.from_ical(ics).walk("VEVENT")
    return str(event["location"]), str(event["description"])


def test_ical_feed_follows_the_active_language(world):
    feed = calendar_feed_get_or_create(user=world.trainee)
    sessions = [world.session]

    with translation.override("zh-hans"):
        location, description = _event(feed_calendar(feed=feed, sessions=sessions))
    assert f"分课堂:{world.branch_venue.name}" in location
    assert "授课人:授课人甲" in description

    with translation.override("en"):
        location, description = _event(feed_calendar(feed=feed, sessions=sessions))
    assert f"Branch venues: {world.branch_venue.name}" in location
    assert "Lecturers: 授课人甲" in description
    assert "分课堂:" not in location
