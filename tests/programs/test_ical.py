import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from icalendar import Calendar

from programs.models import Program, Session
from programs.recurrence import at_local
from programs.services import calendar_feed_get_or_create, calendar_feed_regenerate
from tests.factories import ProgramFactory, SessionFactory

pytestmark = pytest.mark.django_db
SHANGHAI = ZoneInfo("Asia/Shanghai")


def _events(response):
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/calendar")
    cal = Calendar.from_ical(response.content)
    return cal, {str(e["uid"]): e for e in cal.walk("VEVENT")}


def test_trainee_feed_parsed_back_event_by_event(world, client):
    day = world.program.start_date
    cancelled = SessionFactory(
        program=world.program,
        venue=world.venue,
        topic="取消的课",
        status=Session.Status.CANCELLED,
        start=at_local(day, dt.time(14, 30)),
        end=at_local(day, dt.time(17, 30)),
    )
    draft = ProgramFactory(status=Program.Status.DRAFT)
    SessionFactory(program=draft, topic="草稿里的课")
    feed = calendar_feed_get_or_create(user=world.trainee)
    cal, events = _events(client.get(reverse("programs:feed", args=[feed.token])))

    assert set(events) == {f"session-{world.session.pk}@lectern", f"session-{cancelled.pk}@lectern"}
    assert str(cal["x-wr-timezone"]) == "Asia/Shanghai"
    assert [str(tz["tzid"]) for tz in cal.walk("VTIMEZONE")] == ["Asia/Shanghai"]

    e = events[f"session-{world.session.pk}@lectern"]
    start, end = e.decoded("dtstart"), e.decoded("dtend")
    assert start == world.session.start and end == world.session.end
    assert start.tzinfo.key == "Asia/Shanghai" if hasattr(start.tzinfo, "key") else True
    assert e["dtstart"].params["TZID"] == "Asia/Shanghai"
    assert start.astimezone(SHANGHAI).time() == dt.time(9, 0)
    assert "新质生产力专题" in str(e["summary"]) and world.program.title in str(e["summary"])
    assert "市委党校报告厅" in str(e["location"]) and "青湖区分课堂" in str(e["location"])
    assert "授课人甲" in str(e["description"])
    assert str(e["status"]) == "CONFIRMED"

    c = events[f"session-{cancelled.pk}@lectern"]
    assert str(c["status"]) == "CANCELLED"
    assert c.decoded("dtstart").astimezone(SHANGHAI).time() == dt.time(14, 30)


def test_lecturer_feed_has_only_their_sessions_and_works_without_an_account(world, client):
    SessionFactory(
        program=world.program,
        venue=world.venue,
        topic="别人讲的课",
        start=at_local(world.program.start_date, dt.time(19)),
        end=at_local(world.program.start_date, dt.time(20)),
    )
    feed = calendar_feed_get_or_create(lecturer=world.lecturer)
    _cal, events = _events(client.get(reverse("programs:feed", args=[feed.token])))
    assert list(events) == [f"session-{world.session.pk}@lectern"]


def test_regenerated_feed_kills_the_old_url(world, client):
    old = calendar_feed_get_or_create(user=world.trainee).token
    new = calendar_feed_regenerate(by=world.trainee, user=world.trainee).token
    assert client.get(reverse("programs:feed", args=[old])).status_code == 404
    assert client.get(reverse("programs:feed", args=[new])).status_code == 200
    assert client.get(reverse("programs:feed", args=["forged"])).status_code == 404


def test_regenerate_from_my_schedule(world, client_for):
    c = client_for(world.lecturer_user)
    old = calendar_feed_get_or_create(lecturer=world.lecturer).token
    r = c.post(reverse("programs:feed_regenerate"), {"kind": "lecturer"})
    assert r.status_code == 302
    assert calendar_feed_get_or_create(lecturer=world.lecturer).token != old
    r = client_for(world.trainee).post(reverse("programs:feed_regenerate"), {"kind": "lecturer"})
    assert r.status_code == 403
