import datetime as dt
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from programs.models import Program, Session
from programs.recurrence import at_local
from tests.factories import EnrollmentFactory, ProgramFactory, SessionFactory, VenueFactory

pytestmark = pytest.mark.django_db
HX = {"HX-Request": "true"}


def _session_post(world, day, **extra):
    data = {
        "date": day.isoformat(),
        "start_time": "14:00",
        "end_time": "17:00",
        "kind": "lecture",
        "topic": "数字经济专题",
        "credit_hours": "3",
        "venue": world.venue.pk,
        "branch_venues": [world.branch_venue.pk],
        "lecturers": [world.lecturer.pk],
        "status": "scheduled",
        "notes": "",
        "view": "week",
        "first": (day - dt.timedelta(days=day.weekday())).isoformat(),
        "last": (day + dt.timedelta(days=6 - day.weekday())).isoformat(),
    }
    data.update(extra)
    return data


def test_timetable_full_page_and_htmx_board(world, client_for):
    c = client_for(world.organizer)
    url = reverse("programs:timetable", args=[world.program.pk])
    full = c.get(url)
    assert full.status_code == 200
    html = full.content.decode()
    assert "<html" in html and 'id="tt-board"' in html and "新质生产力专题" in html
    part = c.get(url + "?view=month", headers=HX).content.decode()
    assert "<html" not in part and part.lstrip().startswith('<section id="tt-board"')
    assert "grid-month" in part and "新质生产力专题" in part
    day = world.program.start_date.isoformat()
    cell = c.get(url + f"?day={day}", headers=HX).content.decode()
    assert cell.lstrip().startswith('<div class="day') and f'id="day-{day}"' in cell
    assert "tt-board" not in cell


def test_trainee_sees_the_timetable_without_edit_controls(world, client_for):
    html = (
        client_for(world.trainee)
        .get(reverse("programs:timetable", args=[world.program.pk]))
        .content.decode()
    )
    assert "新质生产力专题" in html and "pg-add" not in html and 'draggable="true"' not in html


def test_session_form_htmx_returns_the_form_partial(world, client_for):
    c = client_for(world.manager)
    url = reverse("programs:session_create", args=[world.program.pk])
    part = c.get(url + f"?date={world.program.start_date}", headers=HX).content.decode()
    assert part.lstrip().startswith("<form") and "<html" not in part
    full = c.get(url + f"?date={world.program.start_date}").content.decode()
    assert "<html" in full and 'id="session-form"' in full and 'id="tt-board"' in full


def test_htmx_create_swaps_the_day_cell_out_of_band(world, client_for):
    c = client_for(world.manager)
    day = world.program.start_date
    r = c.post(
        reverse("programs:session_create", args=[world.program.pk]),
        _session_post(world, day),
        headers=HX,
    )
    assert r.status_code == 200 and r["HX-Reswap"] == "none"
    html = r.content.decode()
    assert f'id="day-{day.isoformat()}"' in html and 'hx-swap-oob="true"' in html
    assert "数字经济专题" in html and "新质生产力专题" in html
    s = Session.objects.get(topic="数字经济专题")
    assert timezone.localtime(s.start).time() == dt.time(14)
    assert list(s.branch_venues.all()) == [world.branch_venue]


def test_non_htmx_create_redirects_to_the_timetable(world, client_for):
    c = client_for(world.organizer)
    r = c.post(
        reverse("programs:session_create", args=[world.program.pk]),
        _session_post(world, world.program.start_date),
    )
    assert r.status_code == 302 and "/timetable/" in r["Location"]


def test_bad_input_comes_back_on_the_form_and_saves_nothing(world, client_for):
    c = client_for(world.organizer)
    url = reverse("programs:session_create", args=[world.program.pk])
    day = world.program.start_date
    r = c.post(url, _session_post(world, day, start_time="15:00", end_time="14:00"), headers=HX)
    assert "结束时间必须晚于开始时间" in r.content.decode()
    late = world.program.end_date + dt.timedelta(days=3)
    r = c.post(url, _session_post(world, late), headers=HX)
    assert "不在项目日期" in r.content.decode()
    small = VenueFactory(capacity=10, unit=world.city_a)
    r = c.post(url, _session_post(world, day, venue=small.pk, branch_venues=[]), headers=HX)
    assert "少于本项目计划人数" in r.content.decode()
    r = c.post(url, _session_post(world, day, start_time="10:00", end_time="11:00"), headers=HX)
    body = r.content.decode()
    assert r.status_code == 200 and "已被占用" in body and "新质生产力专题" in body
    assert body.lstrip().startswith("<form")
    assert world.program.sessions.count() == 1


def test_trainee_clash_warns_then_saves_when_acknowledged(world, client_for):
    other = ProgramFactory(
        organizing_unit=world.city_a, start_date=world.program.start_date, title="另一个班"
    )
    EnrollmentFactory(program=other, user=world.trainee)
    room = VenueFactory(unit=world.city_a)
    c = client_for(world.organizer)
    url = reverse("programs:session_create", args=[other.pk])
    data = _session_post(
        world,
        other.start_date,
        start_time="10:00",
        end_time="11:00",
        venue=room.pk,
        branch_venues=[],
        lecturers=[],
    )
    body = c.post(url, data, headers=HX).content.decode()
    assert "提醒" in body and "名学员同时参加另一项目" in body and 'name="acknowledge"' in body
    assert other.sessions.count() == 0
    r = c.post(url, {**data, "acknowledge": "on"}, headers=HX)
    assert r["HX-Reswap"] == "none" and other.sessions.count() == 1


def test_edit_following_from_the_form(world, client_for):
    from programs import services

    p = ProgramFactory(
        organizing_unit=world.city_a,
        start_date=dt.date(2026, 3, 1),
        end_date=dt.date(2026, 4, 30),
        status=Program.Status.PUBLISHED,
    )
    services.series_create(
        program=p,
        by=world.organizer,
        data={
            "weekdays": [3],
            "start_time": dt.time(14, 30),
            "end_time": dt.time(17, 30),
            "first_date": dt.date(2026, 3, 5),
            "count": 4,
            "kind": "lecture",
            "topic": "讲座",
            "credit_hours": 3,
            "venue": world.venue,
            "branch_venues": [],
            "lecturers": [],
        },
    )
    second = p.sessions.order_by("start")[1]
    c = client_for(world.organizer)
    post = _session_post(
        world,
        dt.date(2026, 3, 12),
        start_time="09:00",
        end_time="11:00",
        topic="上午讲座",
        scope="following",
        branch_venues=[],
        lecturers=[],
    )
    url = reverse("programs:session_edit", args=[second.pk])
    # First the page says how many sessions will change and what; nothing is saved yet.
    preview = c.post(url, post, headers=HX).content.decode()
    assert "将修改 3 节课" in preview and "主题改为“上午讲座”" in preview
    assert "开始时间改为 09:00" in preview and "确认修改 3 节课" in preview
    assert set(p.sessions.values_list("topic", flat=True)) == {"讲座"}
    signature = re.search(r'name="confirmed" value="([^"]+)"', preview).group(1)
    r = c.post(url, {**post, "confirmed": signature}, headers=HX)
    assert r["HX-Reswap"] == "none"
    assert "已修改 3 节课" in r.content.decode()
    topics = list(p.sessions.order_by("start").values_list("topic", flat=True))
    assert topics == ["讲座", "上午讲座", "上午讲座", "上午讲座"]
    # The edit form offers the choice only for sessions of a series.
    form = c.get(reverse("programs:session_edit", args=[second.pk]), headers=HX).content.decode()
    assert 'name="scope"' in form
    form = c.get(
        reverse("programs:session_edit", args=[world.session.pk]), headers=HX
    ).content.decode()
    assert 'name="scope"' not in form


def test_move_by_drag_and_drop_swaps_both_days(world, client_for):
    c = client_for(world.organizer)
    old = world.program.start_date
    new = old + dt.timedelta(days=1)
    r = c.post(
        reverse("programs:session_move", args=[world.session.pk]),
        {
            "date": new.isoformat(),
            "first": old.isoformat(),
            "last": (old + dt.timedelta(days=6)).isoformat(),
        },
        headers=HX,
    )
    html = r.content.decode()
    assert f'id="day-{old.isoformat()}"' in html and f'id="day-{new.isoformat()}"' in html
    world.session.refresh_from_db()
    assert timezone.localdate(world.session.start) == new


def test_refused_move_shows_the_reason_and_keeps_the_session(world, client_for):
    c = client_for(world.organizer)
    outside = world.program.end_date + dt.timedelta(days=5)
    r = c.post(
        reverse("programs:session_move", args=[world.session.pk]),
        {"date": outside.isoformat()},
        headers=HX,
    )
    html = r.content.decode()
    assert 'id="tt-flash"' in html and "不在项目日期" in html
    world.session.refresh_from_db()
    assert timezone.localdate(world.session.start) == world.program.start_date


def test_htmx_delete_returns_the_day_without_the_session(world, client_for):
    Program.objects.filter(pk=world.program.pk).update(status=Program.Status.DRAFT)
    day = world.program.start_date
    r = client_for(world.organizer).post(
        reverse("programs:session_delete", args=[world.session.pk]),
        {"first": day.isoformat(), "last": (day + dt.timedelta(days=6)).isoformat()},
        headers=HX,
    )
    html = r.content.decode()
    assert f'id="day-{day.isoformat()}"' in html and "新质生产力专题" not in html
    assert not Session.objects.filter(pk=world.session.pk).exists()


def test_series_form_creates_sessions_and_redirects(world, client_for):
    p = ProgramFactory(
        organizing_unit=world.city_a,
        start_date=dt.date(2026, 3, 1),
        end_date=dt.date(2026, 6, 30),
        status=Program.Status.DRAFT,
    )
    c = client_for(world.organizer)
    url = reverse("programs:series_create", args=[p.pk])
    data = {
        "weekdays": ["3"],
        "start_time": "14:30",
        "end_time": "17:30",
        "first_date": "2026-03-05",
        "count": "10",
        "skip_dates": "2026-04-02",
        "kind": "lecture",
        "topic": "周四讲座",
        "credit_hours": "3",
        "venue": world.venue.pk,
        "branch_venues": [world.branch_venue.pk],
    }
    bad = c.post(url, {**data, "count": "", "until": ""}, headers=HX).content.decode()
    assert bad.lstrip().startswith("<form") and "请填写次数或截止日期" in bad
    none = c.post(
        url, {**data, "count": "1", "skip_dates": "2026-03-05"}, headers=HX
    ).content.decode()
    assert "没有生成任何日期" in none
    r = c.post(url, data, headers=HX)
    assert r.status_code == 200 and "/timetable/" in r["HX-Redirect"]
    assert p.sessions.count() == 9


def test_program_create_and_edit_forms(world, client_for):
    c = client_for(world.organizer)
    data = {
        "code": "YJC-NEW",
        "title": "新任科级干部培训班",
        "level": "city",
        "kind": "class",
        "organizing_unit": world.city_a.pk,
        "start_date": "2026-09-10",
        "end_date": "2026-09-01",
        "capacity": "50",
        "credit_hours": "24",
        "target_ranks": ["section"],
        "checkin_opens_before": 30,
        "late_grace_minutes": 5,
        "checkin_closes_after": 60,
        "checkout_opens_before": 15,
        "checkout_closes_after": 30,
        "attendance_warning_rate": 90,
        "completion_min_attendance_rate": 90,
        "completion_max_unexcused_absences": 0,
    }
    r = c.post(reverse("programs:create"), data)
    assert r.status_code == 200 and "结束日期不能早于开始日期" in r.content.decode()
    r = c.post(reverse("programs:create"), {**data, "end_date": "2026-09-15"})
    p = Program.objects.get(code="YJC-NEW")
    assert r.status_code == 302 and p.status == Program.Status.DRAFT
    assert p.target_ranks == ["section"]
    r = c.post(
        reverse("programs:edit", args=[p.pk]),
        {**data, "end_date": "2026-09-15", "title": "改过的名称"},
    )
    p.refresh_from_db()
    assert r.status_code == 302 and p.title == "改过的名称"


def test_archived_program_edit_is_refused_on_the_form(world, client_for):
    Program.objects.filter(pk=world.program.pk).update(status=Program.Status.ARCHIVED)
    c = client_for(world.organizer)
    page = c.get(reverse("programs:edit", args=[world.program.pk])).content.decode()
    assert "已归档" in page
    r = c.post(
        reverse("programs:edit", args=[world.program.pk]),
        {"code": world.program.code, "title": "改名"},
    )
    assert r.status_code == 200
    world.program.refresh_from_db()
    assert world.program.title != "改名"


def test_transition_and_clone_in_the_browser(world, client_for):
    c = client_for(world.organizer)
    c.post(reverse("programs:transition", args=[world.program.pk]), {"to": "running"})
    world.program.refresh_from_db()
    assert world.program.status == Program.Status.RUNNING
    r = c.post(
        reverse("programs:transition", args=[world.program.pk]), {"to": "draft"}, follow=True
    )
    assert "不能改为" in r.content.decode()
    start = world.program.start_date + dt.timedelta(days=60)
    r = c.post(
        reverse("programs:clone", args=[world.program.pk]),
        {"code": "CLONE-1", "title": "第二期", "start_date": start.isoformat()},
    )
    clone = Program.objects.get(code="CLONE-1")
    assert r.status_code == 302 and clone.sessions.count() == 1


def test_program_list_filters_with_an_htmx_partial(world, client_for):
    ProgramFactory(organizing_unit=world.city_a, title="草稿班", status=Program.Status.DRAFT)
    c = client_for(world.organizer)
    part = c.get(reverse("programs:list") + "?status=draft", headers=HX).content.decode()
    assert part.lstrip().startswith('<div id="program-results"')
    assert "草稿班" in part and "云江市乡镇党政正职专题培训班" not in part
    full = c.get(reverse("programs:list")).content.decode()
    assert "<html" in full and "草稿班" in full


def test_outsider_does_not_see_other_cities_programs_in_the_list(world, client_for):
    html = client_for(world.outsider).get(reverse("programs:list")).content.decode()
    assert "云江市乡镇党政正职专题培训班" not in html


def test_my_schedule_for_trainee_and_lecturer(world, client_for):
    day = world.program.start_date
    html = (
        client_for(world.trainee)
        .get(reverse("programs:my_schedule") + f"?from={day}")
        .content.decode()
    )
    assert "新质生产力专题" in html and "/programs/feed/" in html
    html = (
        client_for(world.lecturer_user)
        .get(reverse("programs:my_schedule") + f"?from={day}")
        .content.decode()
    )
    assert "新质生产力专题" in html and "我的授课安排" in html
    part = (
        client_for(world.trainee)
        .get(reverse("programs:my_schedule") + f"?from={day}", headers=HX)
        .content.decode()
    )
    assert part.lstrip().startswith('<section id="agenda"')
    html = (
        client_for(world.other_trainee)
        .get(reverse("programs:my_schedule") + f"?from={day}")
        .content.decode()
    )
    assert "新质生产力专题" not in html


def test_home_shows_panels_by_role(world, client_for):
    Session.objects.filter(pk=world.session.pk).update(
        start=timezone.now() + dt.timedelta(hours=2), end=timezone.now() + dt.timedelta(hours=4)
    )
    html = client_for(world.trainee).get(reverse("home")).content.decode()
    assert "近期课程" in html and "新质生产力专题" in html and "我管理的项目" not in html
    html = client_for(world.manager).get(reverse("home")).content.decode()
    assert "我管理的项目" in html and "云江市乡镇党政正职专题培训班" in html
    nav = client_for(world.organizer).get(reverse("home")).content.decode()
    assert reverse("programs:list") in nav and reverse("programs:my_schedule") in nav
    nav = client_for(world.trainee).get(reverse("home")).content.decode()
    assert f'href="{reverse("programs:list")}"' not in nav


def test_venue_and_lecturer_management(world, client_for):
    c = client_for(world.organizer)
    r = c.post(
        reverse("programs:venue_create"),
        {
            "name": "东山区分课堂",
            "capacity": 80,
            "unit": world.county_a.pk,
            "managers": world.venue_manager.username,
        },
    )
    assert r.status_code == 302
    r = c.post(
        reverse("programs:venue_create"),
        {"name": "X", "capacity": 80, "unit": world.county_a.pk, "managers": "nobody"},
    )
    assert "找不到账号" in r.content.decode()
    r = c.post(reverse("programs:lecturer_create"), {"name": "无账号专家", "title": "研究员"})
    assert r.status_code == 302
    r = c.post(
        reverse("programs:lecturer_create"),
        {"name": "重复", "account": world.lecturer_user.username},
    )
    assert "已关联" in r.content.decode()


def test_session_today_shows_in_week_view_by_default(world, client_for):
    today = timezone.localdate()
    SessionFactory(
        program=world.program,
        venue=world.venue,
        topic="今天的课",
        start=at_local(today, dt.time(19)),
        end=at_local(today, dt.time(20)),
    )
    html = (
        client_for(world.organizer)
        .get(reverse("programs:timetable", args=[world.program.pk]))
        .content.decode()
    )
    assert "今天的课" in html and "pg-today" in html


# ---- the program list pages ---------------------------------------------------------------------


def test_program_list_shows_one_page_and_keeps_the_filters_in_its_links(world, client_for):
    from programs.views import PROGRAMS_PER_PAGE

    for i in range(PROGRAMS_PER_PAGE + 3):
        ProgramFactory(organizing_unit=world.city_a, title=f"乡村振兴专题{i:03d}")
    ProgramFactory(organizing_unit=world.city_a, title="乡村振兴草稿", status="draft")
    c = client_for(world.organizer)
    url = reverse("programs:list")
    body = c.get(url, {"q": "乡村振兴", "status": "published"}).content.decode()
    assert body.count("乡村振兴专题") == PROGRAMS_PER_PAGE
    assert f"共 {PROGRAMS_PER_PAGE + 3} 条" in body and "乡村振兴草稿" not in body
    assert "?q=%E4%B9%A1%E6%9D%91%E6%8C%AF%E5%85%B4&amp;status=published&amp;page=2" in body

    page2 = c.get(url, {"q": "乡村振兴", "status": "published", "page": 2}).content.decode()
    assert page2.count("乡村振兴专题") == 3 and "上一页" in page2 and "下一页" not in page2

    # htmx asks for the results only: the pager comes with them.
    partial = c.get(
        url, {"q": "乡村振兴", "status": "published", "page": 2}, headers={"HX-Request": "true"}
    ).content.decode()
    assert "<html" not in partial and partial.count("乡村振兴专题") == 3 and "上一页" in partial


def test_program_list_with_one_page_shows_no_pager(world, client_for):
    body = client_for(world.organizer).get(reverse("programs:list")).content.decode()
    assert "下一页" not in body and world.program.title in body
