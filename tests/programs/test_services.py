import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from core.errors import DomainError
from core.models import AuditLog
from enrollment.models import Enrollment
from programs import services
from programs.models import Program, ProgramFamily, RecurringSeries, Session
from programs.recurrence import at_local
from tests.factories import (
    EnrollmentFactory,
    LecturerFactory,
    ProgramFactory,
    SessionFactory,
    VenueFactory,
)

pytestmark = pytest.mark.django_db
S = Program.Status


def _data(day, start=(9, 0), end=(12, 0), **extra):
    data = {
        "kind": Session.Kind.LECTURE,
        "topic": "新课程",
        "credit_hours": Decimal("3"),
        "start": at_local(day, dt.time(*start)),
        "end": at_local(day, dt.time(*end)),
        "venue": None,
        "branch_venues": [],
        "lecturers": [],
        "notes": "",
    }
    data.update(extra)
    return data


# --- state machine ---------------------------------------------------------------------------


def test_program_moves_through_every_state_and_logs_each_move(world):
    from tests.plans.factories import item_for, plan_for

    item = item_for(plan_for(world.city_a), status="approved")
    p = ProgramFactory(organizing_unit=world.city_a, status=S.DRAFT, plan_item=item)
    SessionFactory(program=p, venue=world.venue)
    for to in (S.PUBLISHED, S.RUNNING, S.COMPLETED, S.ARCHIVED):
        services.program_transition(program=p, to=to, by=world.organizer)
        p.refresh_from_db()
        assert p.status == to
    assert AuditLog.objects.filter(action="program.transition", target_id=str(p.pk)).count() == 4


@pytest.mark.parametrize(
    "start,to",
    [
        (S.DRAFT, S.RUNNING),
        (S.DRAFT, S.COMPLETED),
        (S.RUNNING, S.DRAFT),
        (S.COMPLETED, S.RUNNING),
        (S.ARCHIVED, S.DRAFT),
        (S.ARCHIVED, S.PUBLISHED),
    ],
)
def test_skipping_or_reversing_states_is_refused(world, start, to):
    p = ProgramFactory(organizing_unit=world.city_a, status=start)
    with pytest.raises(DomainError, match="不能改为"):
        services.program_transition(program=p, to=to, by=world.organizer)
    p.refresh_from_db()
    assert p.status == start


def test_publishing_needs_a_timetable(world):
    p = ProgramFactory(organizing_unit=world.city_a, status=S.DRAFT)
    with pytest.raises(DomainError, match="先排课"):
        services.program_transition(program=p, to=S.PUBLISHED, by=world.organizer)


def test_archived_program_is_read_only(world):
    p = world.program
    Program.objects.filter(pk=p.pk).update(status=S.ARCHIVED)
    p.refresh_from_db()
    with pytest.raises(DomainError, match="已归档"):
        services.program_update(program=p, by=world.organizer, data={"title": "改名"})
    with pytest.raises(DomainError, match="已归档"):
        services.session_create(program=p, by=world.organizer, data=_data(p.start_date))
    with pytest.raises(DomainError, match="已归档"):
        services.session_delete(session=world.session, by=world.organizer)
    p.refresh_from_db()
    assert p.title != "改名" and p.sessions.count() == 1


def test_completed_program_keeps_its_timetable(world):
    Program.objects.filter(pk=world.program.pk).update(status=S.COMPLETED)
    with pytest.raises(DomainError, match="已结束"):
        services.session_move(
            session=world.session,
            by=world.organizer,
            day=world.program.start_date + dt.timedelta(days=1),
        )


def test_program_create_checks_dates_and_code(world):
    data = {
        "code": "NEW-1",
        "title": "新班",
        "level": "city",
        "kind": "class",
        "organizing_unit": world.city_a,
        "start_date": dt.date(2026, 5, 10),
        "end_date": dt.date(2026, 5, 1),
        "capacity": 40,
    }
    with pytest.raises(DomainError, match="结束日期不能早于开始日期") as err:
        services.program_create(by=world.organizer, data=data)
    assert err.value.field == "end_date"
    data["end_date"] = dt.date(2026, 5, 12)
    data["code"] = world.program.code
    with pytest.raises(DomainError, match="已被使用"):
        services.program_create(by=world.organizer, data=data)
    data["code"] = "NEW-1"
    data["new_family_name"] = "局长讲堂"
    data["cohort_number"] = 1
    p = services.program_create(by=world.organizer, data=data)
    assert p.status == S.DRAFT and p.family.name == "局长讲堂"


def test_shrinking_dates_under_scheduled_sessions_is_refused(world):
    p = world.program
    SessionFactory(
        program=p,
        venue=world.venue,
        start=at_local(p.end_date, dt.time(9)),
        end=at_local(p.end_date, dt.time(12)),
    )
    with pytest.raises(DomainError, match="不在新的日期范围内"):
        services.program_update(
            program=p, by=world.organizer, data={"end_date": p.end_date - dt.timedelta(days=1)}
        )


# --- sessions: bad input -------------------------------------------------------------------


def test_end_before_start_is_refused(world):
    with pytest.raises(DomainError, match="结束时间必须晚于开始时间"):
        services.session_create(
            program=world.program,
            by=world.organizer,
            data=_data(world.program.start_date, (14, 0), (13, 0)),
        )


def test_session_outside_program_dates_is_refused(world):
    day = world.program.end_date + dt.timedelta(days=1)
    with pytest.raises(DomainError, match="不在项目日期") as err:
        services.session_create(program=world.program, by=world.organizer, data=_data(day))
    assert err.value.field == "date"


def test_venue_over_capacity_is_refused(world):
    small = VenueFactory(name="小会议室", capacity=20, unit=world.city_a)
    with pytest.raises(DomainError, match="少于本项目计划人数") as err:
        services.session_create(
            program=world.program,
            by=world.organizer,
            data=_data(world.program.start_date, (14, 0), (17, 0), venue=small),
        )
    # Listed with every other blocking problem (capacity must not hide a venue clash).
    assert [c.message for c in err.value.blocking] == [err.value.message]
    # Branch venues add their seats.
    bigger = VenueFactory(name="分会场", capacity=50, unit=world.county_a)
    s = services.session_create(
        program=world.program,
        by=world.organizer,
        data=_data(world.program.start_date, (14, 0), (17, 0), venue=small, branch_venues=[bigger]),
    )
    assert list(s.branch_venues.all()) == [bigger]


# --- conflicts -----------------------------------------------------------------------------


def test_venue_double_booking_blocks_and_names_the_other_session(world):
    other = ProgramFactory(
        organizing_unit=world.city_a, title="另一个班", start_date=world.program.start_date
    )
    with pytest.raises(services.ConflictError) as err:
        services.session_create(
            program=other,
            by=world.organizer,
            data=_data(other.start_date, (10, 0), (11, 0), venue=world.venue),
        )
    assert "市委党校报告厅" in err.value.message
    assert (
        "新质生产力专题" in err.value.message
        and "云江市乡镇党政正职专题培训班" in err.value.message
    )
    assert err.value.blocking[0].other == world.session
    # Acknowledging warnings does not lift a block.
    with pytest.raises(services.ConflictError):
        services.session_create(
            program=other,
            by=world.organizer,
            acknowledge_warnings=True,
            data=_data(other.start_date, (10, 0), (11, 0), venue=world.venue),
        )
    assert other.sessions.count() == 0


def test_a_branch_venue_counts_as_booked(world):
    other = ProgramFactory(organizing_unit=world.city_a, start_date=world.program.start_date)
    with pytest.raises(services.ConflictError, match="青湖区分课堂"):
        services.session_create(
            program=other,
            by=world.organizer,
            data=_data(other.start_date, (11, 0), (12, 30), venue=world.branch_venue),
        )


def test_lecturer_in_two_places_blocks(world):
    other = ProgramFactory(organizing_unit=world.city_a, start_date=world.program.start_date)
    room = VenueFactory(unit=world.city_a)
    with pytest.raises(services.ConflictError, match="授课人“授课人甲”同时段已有课程"):
        services.session_create(
            program=other,
            by=world.organizer,
            data=_data(other.start_date, (11, 59), (13, 0), venue=room, lecturers=[world.lecturer]),
        )


def test_touching_sessions_and_cancelled_ones_do_not_clash(world):
    other = ProgramFactory(organizing_unit=world.city_a, start_date=world.program.start_date)
    s = services.session_create(
        program=other,
        by=world.organizer,
        data=_data(
            other.start_date, (12, 0), (13, 0), venue=world.venue, lecturers=[world.lecturer]
        ),
    )
    assert s.pk
    Session.objects.filter(pk=world.session.pk).update(status=Session.Status.CANCELLED)
    services.session_create(
        program=other,
        by=world.organizer,
        data=_data(other.start_date, (9, 0), (11, 0), venue=world.venue),
    )


def test_trainee_in_two_overlapping_programs_warns_until_acknowledged(world):
    other = ProgramFactory(
        organizing_unit=world.city_a, title="第二个班", start_date=world.program.start_date
    )
    EnrollmentFactory(program=other, user=world.trainee)
    room = VenueFactory(unit=world.city_a)
    with pytest.raises(services.ConflictError) as err:
        services.session_create(
            program=other,
            by=world.organizer,
            data=_data(other.start_date, (10, 0), (11, 0), venue=room),
        )
    assert not err.value.blocking
    assert "1 名学员" in err.value.warnings[0].message
    assert "新质生产力专题" in err.value.warnings[0].message
    s = services.session_create(
        program=other,
        by=world.organizer,
        acknowledge_warnings=True,
        data=_data(other.start_date, (10, 0), (11, 0), venue=room),
    )
    assert s.pk


def test_withdrawn_trainees_do_not_warn(world):
    other = ProgramFactory(organizing_unit=world.city_a, start_date=world.program.start_date)
    EnrollmentFactory(program=other, user=world.trainee, status=Enrollment.Status.WITHDRAWN)
    room = VenueFactory(unit=world.city_a)
    services.session_create(
        program=other,
        by=world.organizer,
        data=_data(other.start_date, (10, 0), (11, 0), venue=room),
    )


# --- series --------------------------------------------------------------------------------


def _series_program(world, **kw):
    return ProgramFactory(
        organizing_unit=world.city_a,
        start_date=dt.date(2026, 3, 1),
        end_date=dt.date(2026, 6, 30),
        status=S.DRAFT,
        **kw,
    )


def _series_data(world, **extra):
    data = {
        "weekdays": [3],
        "start_time": dt.time(14, 30),
        "end_time": dt.time(17, 30),
        "first_date": dt.date(2026, 3, 5),
        "count": 10,
        "until": None,
        "skip_dates": [dt.date(2026, 4, 2)],
        "kind": Session.Kind.LECTURE,
        "topic": "周四讲座",
        "credit_hours": Decimal("3"),
        "venue": world.venue,
        "branch_venues": [world.branch_venue],
        "lecturers": [world.lecturer],
        "notes": "",
    }
    data.update(extra)
    return data


def test_series_creates_every_occurrence_with_venues_and_lecturers(world):
    p = _series_program(world)
    series = services.series_create(program=p, by=world.organizer, data=_series_data(world))
    sessions = list(p.sessions.order_by("start"))
    assert len(sessions) == 9
    assert all(timezone.localtime(s.start).time() == dt.time(14, 30) for s in sessions)
    assert all(s.start.astimezone(dt.UTC).time() == dt.time(6, 30) for s in sessions)
    assert dt.date(2026, 4, 2) not in {timezone.localdate(s.start) for s in sessions}
    assert all(list(s.branch_venues.all()) == [world.branch_venue] for s in sessions)
    assert all(list(s.lecturers.all()) == [world.lecturer] for s in sessions)
    assert series.skip_dates == ["2026-04-02"] and series.sessions.count() == 9


def test_series_running_past_the_program_end_is_refused_whole(world):
    p = _series_program(world)
    with pytest.raises(DomainError, match="不在项目日期"):
        services.series_create(program=p, by=world.organizer, data=_series_data(world, count=30))
    assert p.sessions.count() == 0 and not RecurringSeries.objects.filter(program=p).exists()


def test_series_that_yields_no_date_is_refused(world):
    p = _series_program(world)
    with pytest.raises(DomainError, match="没有生成任何日期"):
        services.series_create(
            program=p,
            by=world.organizer,
            data=_series_data(world, count=1, skip_dates=[dt.date(2026, 3, 5)]),
        )


def test_series_clashing_once_is_refused_whole(world):
    p = _series_program(world)
    busy = ProgramFactory(organizing_unit=world.city_a, start_date=dt.date(2026, 4, 16))
    SessionFactory(
        program=busy,
        venue=world.venue,
        topic="占用报告厅",
        start=at_local(dt.date(2026, 4, 16), dt.time(15)),
        end=at_local(dt.date(2026, 4, 16), dt.time(16)),
    )
    with pytest.raises(services.ConflictError, match="占用报告厅"):
        services.series_create(program=p, by=world.organizer, data=_series_data(world))
    assert p.sessions.count() == 0


def test_edit_this_occurrence_or_this_and_all_following(world):
    p = _series_program(world)
    services.series_create(program=p, by=world.organizer, data=_series_data(world))
    sessions = list(p.sessions.order_by("start"))
    fifth = sessions[4]
    room = VenueFactory(unit=world.city_a, capacity=200)
    # Only this one: a different topic, an hour earlier.
    day = timezone.localdate(fifth.start)
    services.session_update(
        session=fifth,
        by=world.organizer,
        scope="this",
        data=_data(day, (13, 30), (16, 30), topic="调整的一次", venue=room),
    )
    fifth.refresh_from_db()
    assert fifth.topic == "调整的一次" and fifth.venue == room
    assert p.sessions.filter(topic="周四讲座").count() == 8
    # This and all following: move to Friday 15:00–17:00 from the seventh on.
    seventh = sessions[6]
    friday = timezone.localdate(seventh.start) + dt.timedelta(days=1)
    changed = services.session_update(
        session=seventh,
        by=world.organizer,
        scope="following",
        data=_data(friday, (15, 0), (17, 0), topic="改到周五", venue=world.venue),
    )
    assert len(changed) == 3
    after = list(p.sessions.order_by("start"))
    assert [s.topic for s in after[:6]] == ["周四讲座"] * 4 + ["调整的一次", "周四讲座"]
    for s in after[6:]:
        local = timezone.localtime(s.start)
        assert local.weekday() == 4 and local.time() == dt.time(15)
        assert timezone.localtime(s.end).time() == dt.time(17) and s.topic == "改到周五"


def test_sessions_of_a_published_program_are_cancelled_not_deleted(world):
    """Issue 13: deleting stays possible only for sessions nobody has been told about."""
    with pytest.raises(DomainError, match="停课"):
        services.session_delete(session=world.session, by=world.organizer)
    assert Session.objects.filter(pk=world.session.pk).exists()
    Program.objects.filter(pk=world.program.pk).update(status=S.DRAFT)
    extra = SessionFactory(
        program=world.program,
        venue=world.venue,
        start=at_local(world.program.start_date, dt.time(14)),
        end=at_local(world.program.start_date, dt.time(15)),
    )
    services.session_delete(session=extra, by=world.organizer)
    assert not Session.objects.filter(pk=extra.pk).exists()


def test_move_keeps_times_and_checks_conflicts(world):
    day = world.program.start_date + dt.timedelta(days=2)
    moved = services.session_move(session=world.session, by=world.organizer, day=day)
    assert timezone.localdate(moved.start) == day
    assert timezone.localtime(moved.start).time() == dt.time(9)
    assert list(moved.lecturers.all()) == [world.lecturer]


# --- clone ---------------------------------------------------------------------------------


def test_clone_makes_the_next_cohort_with_shifted_sessions(world):
    family = ProgramFamily.objects.create(name="局长讲堂", organizing_unit=world.city_a)
    p = world.program
    Program.objects.filter(pk=p.pk).update(family=family, cohort_number=2, title="局长讲堂(第2期)")
    p.refresh_from_db()
    new_start = p.start_date + dt.timedelta(days=63)
    defaults = services.clone_defaults(p)
    assert defaults["title"] == "局长讲堂(第3期)" and defaults["cohort_number"] == 3
    clone = services.program_clone(
        program=p,
        by=world.organizer,
        code=defaults["code"],
        title=defaults["title"],
        start_date=new_start,
    )
    assert clone.family == family and clone.cohort_number == 3 and clone.status == S.DRAFT
    assert clone.end_date - clone.start_date == p.end_date - p.start_date
    assert clone.capacity == p.capacity and clone.credit_hours == p.credit_hours
    (copy,) = clone.sessions.all()
    assert copy.start == world.session.start + dt.timedelta(days=63)
    assert copy.venue == world.venue
    assert list(copy.branch_venues.all()) == [world.branch_venue]
    assert list(copy.lecturers.all()) == [world.lecturer]
    assert not clone.staff.exists() and not clone.enrollments.exists()


def test_clone_without_family_starts_one(world):
    p = world.program
    clone = services.program_clone(
        program=p,
        by=world.organizer,
        code="X-2",
        title="二期",
        start_date=p.start_date + dt.timedelta(days=30),
    )
    p.refresh_from_db()
    assert p.family is not None and p.cohort_number == 1
    assert clone.family == p.family and clone.cohort_number == 2


def test_clone_onto_a_booked_venue_is_refused(world):
    p = world.program
    start = p.start_date + dt.timedelta(days=14)
    busy = ProgramFactory(organizing_unit=world.city_a, start_date=start)
    SessionFactory(
        program=busy,
        venue=world.venue,
        start=at_local(start, dt.time(10)),
        end=at_local(start, dt.time(11)),
    )
    with pytest.raises(services.ConflictError, match="市委党校报告厅"):
        services.program_clone(
            program=p, by=world.organizer, code="X-3", title="三期", start_date=start
        )
    assert not Program.objects.filter(code="X-3").exists()


# --- venues, lecturers, feeds ---------------------------------------------------------------


def test_lecturer_account_can_link_only_once(world):
    with pytest.raises(DomainError, match="已关联"):
        services.lecturer_save(
            by=world.organizer, data={"name": "重复", "user": world.lecturer_user}
        )
    lec = services.lecturer_save(by=world.organizer, data={"name": "无账号专家", "user": None})
    assert lec.user is None
    assert LecturerFactory().user is None


def test_regenerating_a_feed_replaces_its_token(world):
    feed = services.calendar_feed_get_or_create(user=world.trainee)
    assert services.calendar_feed_get_or_create(user=world.trainee).pk == feed.pk
    old = feed.token
    new = services.calendar_feed_regenerate(by=world.trainee, user=world.trainee)
    assert new.pk == feed.pk and new.token != old
