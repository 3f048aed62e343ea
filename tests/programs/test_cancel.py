"""Issue 13: sessions are cancelled (停课) and rescheduled (调课), with notices and calendar
SEQUENCE; attendance, rates and credit hours ignore a cancelled session."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone, translation
from icalendar import Calendar

from core.errors import DomainError
from core.models import AuditLog, Notification
from programs import services
from programs.models import Program, Session
from programs.recurrence import at_local
from tests.factories import AttendanceRecordFactory, SessionFactory

pytestmark = pytest.mark.django_db


def _future_program(world):
    p = world.program
    today = timezone.localdate()
    Program.objects.filter(pk=p.pk).update(
        start_date=today + dt.timedelta(days=10), end_date=today + dt.timedelta(days=20)
    )
    Session.objects.filter(pk=world.session.pk).update(
        start=at_local(today + dt.timedelta(days=10), dt.time(9)),
        end=at_local(today + dt.timedelta(days=10), dt.time(12)),
    )
    world.session.lecturers.set([world.lecturer])
    world.branch_venue.managers.set([world.venue_manager])
    world.session.branch_venues.set([world.branch_venue])
    p.refresh_from_db()
    world.session.refresh_from_db()
    return p


def _feed_event(client, feed, session):
    body = client.get(reverse("programs:feed", args=[feed.token])).content
    events = {str(e["uid"]): e for e in Calendar.from_ical(body).walk("VEVENT")}
    return events[f"session-{session.pk}@lectern"]


def test_cancel_keeps_the_session_tells_everyone_and_bumps_the_sequence(world, client):
    _future_program(world)
    feed = services.calendar_feed_get_or_create(user=world.trainee)
    assert int(_feed_event(client, feed, world.session)["sequence"]) == 0

    services.session_cancel(session=world.session, by=world.organizer, reason="授课人临时出差")
    s = Session.objects.get(pk=world.session.pk)
    assert s.status == Session.Status.CANCELLED and s.cancel_reason == "授课人临时出差"
    event = _feed_event(client, feed, s)
    assert str(event["status"]) == "CANCELLED" and int(event["sequence"]) == 1
    told = set(Notification.objects.values_list("user_id", flat=True))
    # The enrolled trainee, the lecturer with an account, the branch venue's manager.
    assert {world.trainee.pk, world.lecturer_user.pk, world.venue_manager.pk} <= told
    assert world.outsider.pk not in told and world.other_trainee.pk not in told
    note = Notification.objects.get(user=world.trainee)
    with translation.override("zh-hans"):
        assert "停课" in note.display_title and "授课人临时出差" in note.display_body
    assert AuditLog.objects.filter(action="session.cancel").exists()


def test_cancel_needs_a_reason_and_is_refused_twice(world):
    with pytest.raises(DomainError, match="原因"):
        services.session_cancel(session=world.session, by=world.organizer, reason=" ")
    services.session_cancel(session=world.session, by=world.organizer, reason="天气")
    with pytest.raises(DomainError, match="已经停课"):
        services.session_cancel(session=world.session, by=world.organizer, reason="天气")


def test_cancel_in_a_closed_program_is_refused(world):
    Program.objects.filter(pk=world.program.pk).update(status=Program.Status.COMPLETED)
    with pytest.raises(DomainError, match="已结束"):
        services.session_cancel(session=world.session, by=world.organizer, reason="天气")


def test_nobody_is_told_about_a_draft(world):
    Program.objects.filter(pk=world.program.pk).update(status=Program.Status.DRAFT)
    services.session_cancel(session=world.session, by=world.organizer, reason="调整")
    assert not Notification.objects.exists()


def test_reschedule_moves_notifies_and_bumps_the_sequence(world, client):
    p = _future_program(world)
    feed = services.calendar_feed_get_or_create(lecturer=world.lecturer)
    day = p.start_date + dt.timedelta(days=2)
    services.session_reschedule(
        session=world.session,
        by=world.organizer,
        start=at_local(day, dt.time(14)),
        end=at_local(day, dt.time(17)),
        reason="会场检修",
    )
    s = Session.objects.get(pk=world.session.pk)
    assert timezone.localdate(s.start) == day and s.sequence == 1
    event = _feed_event(client, feed, s)
    assert int(event["sequence"]) == 1 and str(event["status"]) == "CONFIRMED"
    note = Notification.objects.get(user=world.trainee)
    with translation.override("zh-hans"):
        assert "调课" in note.display_title and "会场检修" in note.display_body
        assert day.isoformat() in note.display_body


def test_rescheduling_a_cancelled_session_holds_it_again(world):
    p = _future_program(world)
    services.session_cancel(session=world.session, by=world.organizer, reason="天气")
    day = p.start_date + dt.timedelta(days=1)
    services.session_reschedule(
        session=Session.objects.get(pk=world.session.pk),
        by=world.organizer,
        start=at_local(day, dt.time(9)),
        end=at_local(day, dt.time(12)),
        reason="补课",
    )
    s = Session.objects.get(pk=world.session.pk)
    assert s.status == Session.Status.SCHEDULED and s.cancel_reason == "" and s.sequence == 2


def test_program_cancel_cancels_every_session_not_yet_started_with_one_notice_each(world):
    p = _future_program(world)
    other = SessionFactory(
        program=p,
        venue=world.venue,
        start=at_local(p.start_date + dt.timedelta(days=1), dt.time(9)),
        end=at_local(p.start_date + dt.timedelta(days=1), dt.time(12)),
    )
    n = services.program_cancel_sessions(program=p, by=world.organizer, reason="疫情防控")
    assert n == 2
    assert set(p.sessions.values_list("status", flat=True)) == {Session.Status.CANCELLED}
    assert Notification.objects.filter(user=world.trainee).count() == 1
    assert Session.objects.get(pk=other.pk).sequence == 1


def test_program_reschedule_shifts_dates_and_sessions(world):
    p = _future_program(world)
    new_start = p.start_date + dt.timedelta(days=7)
    services.program_reschedule(program=p, by=world.organizer, start_date=new_start, reason="改期")
    p.refresh_from_db()
    s = Session.objects.get(pk=world.session.pk)
    assert p.start_date == new_start and timezone.localdate(s.start) == new_start
    assert timezone.localtime(s.start).time() == dt.time(9) and s.sequence == 1
    assert Notification.objects.filter(user=world.trainee).count() == 1


def test_program_already_begun_cannot_be_moved_whole(world):
    # begun: its first session started an hour ago (whatever the time of day the test runs at)
    started = timezone.now() - dt.timedelta(hours=1)
    Session.objects.filter(pk=world.session.pk).update(
        start=started, end=started + dt.timedelta(hours=3)
    )
    with pytest.raises(DomainError, match="逐节"):
        services.program_reschedule(
            program=world.program,
            by=world.organizer,
            start_date=world.program.start_date + dt.timedelta(days=3),
            reason="改期",
        )


def test_rates_and_credit_hours_ignore_a_cancelled_session(world):
    """Contract 9: attendance, rates and credit hours leave a cancelled session out."""
    from attendance.models import AttendanceStatus
    from attendance.selectors import rates_for
    from evaluation.selectors import credit_record

    p = world.program
    past = timezone.localdate() - dt.timedelta(days=2)
    Program.objects.filter(pk=p.pk).update(
        start_date=past - dt.timedelta(days=1), status=Program.Status.RUNNING
    )
    p.refresh_from_db()
    held = SessionFactory(
        program=p, start=at_local(past, dt.time(9)), end=at_local(past, dt.time(12))
    )
    missed = SessionFactory(
        program=p, start=at_local(past, dt.time(14)), end=at_local(past, dt.time(17))
    )
    AttendanceRecordFactory(session=held, user=world.trainee, status=AttendanceStatus.PRESENT)
    extra = AttendanceRecordFactory(
        session=missed, user=world.trainee, status=AttendanceStatus.PRESENT
    )
    before = rates_for(program=p, user_ids=[world.trainee.pk])[world.trainee.pk]
    _records, hours_before, _req = credit_record(user=world.trainee, year=past.year)
    extra.status = AttendanceStatus.ABSENT
    extra.save(update_fields=["status"])
    mid = rates_for(program=p, user_ids=[world.trainee.pk])[world.trainee.pk]
    assert mid.expected == before.expected and mid.attended == before.attended - 1

    services.session_cancel(session=missed, by=world.organizer, reason="停电")
    after = rates_for(program=p, user_ids=[world.trainee.pk])[world.trainee.pk]
    assert after.expected == mid.expected - 1 and after.attended == mid.attended
    assert after.unexcused == mid.unexcused - 1
    # Credit: the hours of a present record of a cancelled session do not count.
    extra.status = AttendanceStatus.PRESENT
    extra.save(update_fields=["status"])
    _records, hours_after, _req = credit_record(user=world.trainee, year=past.year)
    assert hours_after == hours_before - missed.credit_hours
