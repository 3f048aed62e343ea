import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from icalendar import Calendar

from programs.models import Program, Session
from programs.recurrence import at_local
from programs.services import calendar_feed_get_or_create, calendar_feed_regenerate
from tests.factories import EnrollmentFactory, ProgramFactory, SessionFactory

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


def test_head_is_answered_without_a_body(world, client):
    feed = calendar_feed_get_or_create(user=world.trainee)
    r = client.head(reverse("programs:feed", args=[feed.token]))
    assert r.status_code == 200 and r.content == b""
    assert r["Content-Type"].startswith("text/calendar")
    assert client.head(reverse("programs:feed", args=["forged"])).status_code == 404


def test_an_empty_feed_is_a_valid_calendar_with_a_timezone_component(world, client):
    feed = calendar_feed_get_or_create(user=world.outsider)
    cal, events = _events(client.get(reverse("programs:feed", args=[feed.token])))
    assert events == {}
    # RFC 5545 §3.6: at least one component; a real VTIMEZONE, no placeholder event.
    assert [c.name for c in cal.subcomponents] == ["VTIMEZONE"]
    assert str(cal.subcomponents[0]["tzid"]) == "Asia/Shanghai"


def test_a_lecturers_two_feeds_have_different_names(world, client):
    EnrollmentFactory(program=world.program, user=world.lecturer_user)
    mine = calendar_feed_get_or_create(user=world.lecturer_user)
    teaching = calendar_feed_get_or_create(lecturer=world.lecturer)
    names = set()
    for feed in (mine, teaching):
        cal, _events_ = _events(client.get(reverse("programs:feed", args=[feed.token])))
        names.add(str(cal["x-wr-calname"]))
    assert len(names) == 2
    assert any("授课" in n for n in names) and any("学员" in n for n in names)


def test_event_links_use_the_address_the_feed_was_fetched_from(world, client, settings):
    settings.SITE_URL = ""
    feed = calendar_feed_get_or_create(user=world.trainee)
    body = client.get(
        reverse("programs:feed", args=[feed.token]), HTTP_HOST="lectern.example.org"
    ).content
    event = next(iter(Calendar.from_ical(body).walk("VEVENT")))
    assert str(event["url"]).startswith("http://lectern.example.org/programs/")


def test_a_poll_with_the_etag_gets_304_until_a_session_changes(
    world, client, django_assert_num_queries
):
    feed = calendar_feed_get_or_create(user=world.trainee)
    url = reverse("programs:feed", args=[feed.token])
    first = client.get(url)
    etag = first["ETag"]
    assert first.status_code == 200 and etag and first["Last-Modified"]
    with django_assert_num_queries(2):  # the feed, the fingerprint: no session loaded
        again = client.get(url, HTTP_IF_NONE_MATCH=etag)
    assert again.status_code == 304 and again["ETag"] == etag and not again.content
    since = client.get(url, HTTP_IF_MODIFIED_SINCE=first["Last-Modified"])
    assert since.status_code == 304
    Session.objects.filter(pk=world.session.pk).update(
        topic="改过的课", sequence=world.session.sequence + 1
    )
    changed = client.get(url, HTTP_IF_NONE_MATCH=etag)
    assert changed.status_code == 200 and changed["ETag"] != etag
    assert "改过的课" in changed.content.decode()
    # the other address or language is another ETag (event links and names differ)
    assert client.get(url, HTTP_HOST="lectern.example.org")["ETag"] != changed["ETag"]
