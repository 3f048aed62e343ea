"""Issue 12 item 1: "此次及以后各次" carries only what the organizer changed."""

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from programs import services
from programs.models import Program, Session
from programs.recurrence import at_local
from tests.factories import LecturerFactory, ProgramFactory, VenueFactory

pytestmark = pytest.mark.django_db


def _series(world):
    p = ProgramFactory(
        organizing_unit=world.city_a,
        start_date=dt.date(2026, 3, 1),
        end_date=dt.date(2026, 6, 30),
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
            "count": 6,
            "kind": Session.Kind.LECTURE,
            "topic": "周四讲座",
            "credit_hours": Decimal("3"),
            "venue": world.venue,
            "branch_venues": [],
            "lecturers": [world.lecturer],
            "notes": "",
        },
    )
    return p, list(p.sessions.order_by("start"))


def _as_is(session, **changes):
    """The edit form's data for `session` unchanged, then `changes` applied."""
    data = {
        "kind": session.kind,
        "topic": session.topic,
        "credit_hours": session.credit_hours,
        "start": session.start,
        "end": session.end,
        "venue": session.venue,
        "branch_venues": list(session.branch_venues.all()),
        "lecturers": list(session.lecturers.all()),
        "notes": session.notes,
    }
    data.update(changes)
    return data


def _customise(world, sessions):
    """The fourth gets its own lecturer, the fifth its own time, the sixth its own venue."""
    guest = LecturerFactory(name="客座教授")
    hall = VenueFactory(name="第二报告厅", unit=world.city_a, capacity=300)
    fourth, fifth, sixth = sessions[3], sessions[4], sessions[5]
    services.session_update(
        session=fourth, by=world.organizer, data=_as_is(fourth, lecturers=[guest])
    )
    day = timezone.localdate(fifth.start)
    services.session_update(
        session=fifth,
        by=world.organizer,
        data=_as_is(fifth, start=at_local(day, dt.time(9)), end=at_local(day, dt.time(12))),
    )
    services.session_update(session=sixth, by=world.organizer, data=_as_is(sixth, venue=hall))
    return guest, hall


def test_editing_only_notes_keeps_every_occurrences_own_lecturer_time_and_venue(world):
    p, sessions = _series(world)
    guest, hall = _customise(world, sessions)
    second = Session.objects.get(pk=sessions[1].pk)
    changed = services.session_update(
        session=second,
        by=world.organizer,
        scope="following",
        data=_as_is(second, notes="请带党员证"),
    )
    assert len(changed) == 5
    after = list(p.sessions.order_by("start").prefetch_related("lecturers"))
    assert [s.notes for s in after] == [""] + ["请带党员证"] * 5
    assert list(after[3].lecturers.all()) == [guest]
    assert timezone.localtime(after[4].start).time() == dt.time(9)
    assert timezone.localtime(after[4].end).time() == dt.time(12)
    assert after[5].venue == hall


def test_changing_the_main_venue_keeps_lecturers_times_and_own_venues(world):
    p, sessions = _series(world)
    guest, hall = _customise(world, sessions)
    room = VenueFactory(name="新会场", unit=world.city_a, capacity=300)
    third = Session.objects.get(pk=sessions[2].pk)
    services.session_update(
        session=third, by=world.organizer, scope="following", data=_as_is(third, venue=room)
    )
    after = list(p.sessions.order_by("start"))
    assert [s.venue for s in after] == [world.venue] * 2 + [room] * 3 + [hall]
    assert list(after[3].lecturers.all()) == [guest]
    assert timezone.localtime(after[4].start).time() == dt.time(9)


def test_changing_the_start_time_moves_only_the_start(world):
    p, sessions = _series(world)
    _customise(world, sessions)
    third = Session.objects.get(pk=sessions[2].pk)
    day = timezone.localdate(third.start)
    services.session_update(
        session=third,
        by=world.organizer,
        scope="following",
        data=_as_is(third, start=at_local(day, dt.time(14)), end=third.end),
    )
    after = list(p.sessions.order_by("start"))
    starts = [timezone.localtime(s.start).time() for s in after]
    ends = [timezone.localtime(s.end).time() for s in after]
    # The fifth was moved to the morning on its own: it keeps its time.
    assert starts == [dt.time(14, 30)] * 2 + [dt.time(14)] * 2 + [dt.time(9), dt.time(14)]
    assert ends == [dt.time(17, 30)] * 4 + [dt.time(12), dt.time(17, 30)]


def test_plan_says_how_many_change_and_what(world):
    p, sessions = _series(world)
    room = VenueFactory(name="新会场", unit=world.city_a, capacity=300)
    third = Session.objects.get(pk=sessions[2].pk)
    # The sixth already uses the new venue: it does not count.
    services.session_update(
        session=sessions[5], by=world.organizer, data=_as_is(sessions[5], venue=room)
    )
    plan = services.session_edit_plan(
        session=third, data=_as_is(third, venue=room), scope="following"
    )
    assert plan.changed == ["venue"]
    assert plan.count == 3
    assert plan.summary == ["主课堂改为“新会场”"]
    # Nothing written by the plan.
    assert p.sessions.filter(venue=room).count() == 1


def test_an_unchanged_save_changes_nothing(world):
    p, sessions = _series(world)
    second = Session.objects.get(pk=sessions[1].pk)
    assert (
        services.session_update(
            session=second, by=world.organizer, scope="following", data=_as_is(second)
        )
        == []
    )
    assert set(p.sessions.values_list("sequence", flat=True)) == {0}
