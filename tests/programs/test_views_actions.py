"""Pages for closed programs, 停课/调课, drag-and-drop undo and error summaries."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from core.models import AuditLog, Notification
from programs.models import Program, Session
from programs.recurrence import at_local
from tests.factories import ProgramFactory, SessionFactory, VenueFactory
from tests.programs.test_views import HX, _session_post

pytestmark = pytest.mark.django_db


def test_closed_program_pages_hide_edit_actions_and_say_why(world, client_for):
    Program.objects.filter(pk=world.program.pk).update(status=Program.Status.COMPLETED)
    c = client_for(world.organizer)
    detail = c.get(reverse("programs:detail", args=[world.program.pk])).content.decode()
    assert "该项目已结束,只能查看" in detail
    assert reverse("programs:edit", args=[world.program.pk]) not in detail
    assert reverse("programs:series_create", args=[world.program.pk]) not in detail
    assert reverse("programs:reopen", args=[world.program.pk]) not in detail  # admins only
    tt = c.get(reverse("programs:timetable", args=[world.program.pk])).content.decode()
    assert "该项目已结束,只能查看" in tt
    assert reverse("programs:session_edit", args=[world.session.pk]) not in tt
    assert 'draggable="true"' not in tt
    # And the service refuses what a stale page might still send.
    r = c.post(reverse("programs:session_cancel", args=[world.session.pk]), {"reason": "天气"})
    assert r.status_code == 200 and "已结束" in r.content.decode()
    assert Session.objects.get(pk=world.session.pk).status == Session.Status.SCHEDULED


def test_admin_reopens_from_the_page_and_closes_again(world, client_for):
    Program.objects.filter(pk=world.program.pk).update(status=Program.Status.ARCHIVED)
    c = client_for(world.admin)
    url = reverse("programs:detail", args=[world.program.pk])
    assert reverse("programs:reopen", args=[world.program.pk]) in c.get(url).content.decode()
    r = c.post(
        reverse("programs:reopen", args=[world.program.pk]), {"reason": "补录学员", "days": "3"}
    )
    assert r.status_code == 302
    page = c.get(url).content.decode()
    assert "临时开放" in page and "补录学员" in page
    assert reverse("programs:edit", args=[world.program.pk]) in page
    assert AuditLog.objects.filter(action="program.reopen").exists()
    c.post(reverse("programs:reopen_end", args=[world.program.pk]))
    assert "已归档,只能查看" in c.get(url).content.decode()
    # An organizer cannot reopen.
    r = client_for(world.organizer).post(
        reverse("programs:reopen", args=[world.program.pk]), {"reason": "x", "days": "3"}
    )
    assert r.status_code == 403


def test_cancel_from_the_timetable(world, client_for):
    c = client_for(world.organizer)
    tt = c.get(reverse("programs:timetable", args=[world.program.pk])).content.decode()
    url = reverse("programs:session_cancel", args=[world.session.pk])
    assert url in tt
    assert reverse("programs:session_delete", args=[world.session.pk]) not in tt  # published
    assert "停课原因" in c.get(url).content.decode()
    r = c.post(url, {"reason": ""})
    assert "停课原因" in r.content.decode() and r.status_code == 200
    r = c.post(url, {"reason": "授课人出差"})
    assert r.status_code == 302
    s = Session.objects.get(pk=world.session.pk)
    assert s.status == Session.Status.CANCELLED and s.cancel_reason == "授课人出差"
    assert Notification.objects.filter(user=world.trainee).exists()
    tt = c.get(r["Location"]).content.decode()
    assert "授课人出差" in tt and reverse("programs:session_reschedule", args=[s.pk]) in tt


def test_program_cancel_and_reschedule_pages(world, client_for):
    today = timezone.localdate()
    p = ProgramFactory(
        organizing_unit=world.city_a,
        start_date=today + dt.timedelta(days=5),
        end_date=today + dt.timedelta(days=8),
    )
    SessionFactory(
        program=p,
        start=at_local(p.start_date, dt.time(9)),
        end=at_local(p.start_date, dt.time(12)),
    )
    c = client_for(world.organizer)
    r = c.post(
        reverse("programs:reschedule", args=[p.pk]),
        {"start_date": (p.start_date + dt.timedelta(days=7)).isoformat(), "reason": "会期调整"},
    )
    assert r.status_code == 302
    p.refresh_from_db()
    assert p.start_date == today + dt.timedelta(days=12)
    page = c.get(reverse("programs:cancel_sessions", args=[p.pk])).content.decode()
    assert "尚未开始的 1 节课" in page
    r = c.post(reverse("programs:cancel_sessions", args=[p.pk]), {"reason": "取消举办"})
    assert r.status_code == 302
    assert set(p.sessions.values_list("status", flat=True)) == {Session.Status.CANCELLED}


def test_drag_and_drop_says_what_moved_and_offers_an_undo(world, client_for):
    c = client_for(world.organizer)
    old = world.program.start_date
    new = old + dt.timedelta(days=1)
    url = reverse("programs:session_move", args=[world.session.pk])
    bounds = {"first": old.isoformat(), "last": (old + dt.timedelta(days=6)).isoformat()}
    html = c.post(url, {"date": new.isoformat(), **bounds}, headers=HX).content.decode()
    assert "已将“新质生产力专题”从" in html and "撤销" in html
    assert f'name="date" value="{old.isoformat()}"' in html
    c.post(url, {"date": old.isoformat(), **bounds}, headers=HX)
    assert timezone.localdate(Session.objects.get(pk=world.session.pk).start) == old


def test_every_blocking_problem_is_listed_and_no_override_is_offered(world, client_for):
    """Capacity must not hide the venue clash; the acknowledge box is only for trainee clashes."""
    day = world.program.start_date
    small = VenueFactory(name="小会议室", capacity=5, unit=world.city_a)
    other = ProgramFactory(organizing_unit=world.city_a, start_date=day, end_date=day)
    SessionFactory(
        program=other,
        venue=small,
        topic="占用小会议室",
        start=at_local(day, dt.time(14)),
        end=at_local(day, dt.time(17)),
    )
    c = client_for(world.organizer)
    body = c.post(
        reverse("programs:session_create", args=[world.program.pk]),
        _session_post(world, day, venue=small.pk, branch_venues=[], lecturers=[]),
        headers=HX,
    ).content.decode()
    assert "少于本项目计划人数" in body and "占用小会议室" in body
    assert "data-error-summary" in body
    assert 'name="acknowledge"' not in body


def test_confirmed_series_edit_can_then_acknowledge_trainee_clashes(world, client_for):
    """Preview → confirm → trainee-clash warning → acknowledge saves (no endless preview)."""
    import re

    from programs import services
    from tests.factories import EnrollmentFactory

    start = world.program.start_date
    p = ProgramFactory(
        organizing_unit=world.city_a,
        start_date=start,
        end_date=start + dt.timedelta(days=30),
        title="周讲座",
    )
    EnrollmentFactory(program=p, user=world.trainee)
    room = VenueFactory(unit=world.city_a, capacity=500)
    services.series_create(
        program=p,
        by=world.organizer,
        data={
            "weekdays": [start.weekday()],
            "start_time": dt.time(19),
            "end_time": dt.time(20),
            "first_date": start,
            "count": 3,
            "kind": "lecture",
            "topic": "晚间讲座",
            "credit_hours": 1,
            "venue": room,
            "branch_venues": [],
            "lecturers": [],
        },
    )
    first = p.sessions.order_by("start").first()
    c = client_for(world.organizer)
    url = reverse("programs:session_edit", args=[first.pk])
    # Moving to 09:00–12:00 clashes with the trainee's other program (world.session, 09:00).
    post = _session_post(
        world,
        start,
        start_time="09:00",
        end_time="12:00",
        topic="晚间讲座",
        credit_hours="1",
        venue=room.pk,
        branch_venues=[],
        lecturers=[],
        scope="following",
    )
    preview = c.post(url, post, headers=HX).content.decode()
    signature = re.search(r'name="confirmed" value="([^"]+)"', preview).group(1)
    warned = c.post(url, {**post, "confirmed": signature}, headers=HX).content.decode()
    assert "名学员同时参加另一项目" in warned and 'name="acknowledge"' in warned
    assert f'value="{signature}"' in warned
    r = c.post(url, {**post, "confirmed": signature, "acknowledge": "on"}, headers=HX)
    assert r["HX-Reswap"] == "none" and "已修改" in r.content.decode()
    assert {timezone.localtime(s.start).time() for s in p.sessions.all()} == {dt.time(9)}
