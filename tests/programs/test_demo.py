import datetime as dt

import pytest
from django.utils import timezone

from core.demo_context import DemoContext
from programs.conflicts import Slot, find_conflicts
from programs.models import Program, Session, Venue

pytestmark = pytest.mark.django_db


def _seed(today=None):
    import accounts.demo
    import programs.demo

    ctx = DemoContext(today=today) if today else DemoContext()
    accounts.demo.seed(ctx)
    programs.demo.seed(ctx)
    return ctx


def test_demo_programs_are_full_idempotent_and_free_of_clashes():
    ctx = _seed()
    counts = (Program.objects.count(), Session.objects.count(), Venue.objects.count())
    ctx = _seed()
    assert (Program.objects.count(), Session.objects.count(), Venue.objects.count()) == counts

    jt = ctx.programs["YJC-2026-JT"]
    jt_sessions = list(jt.sessions.all())
    assert len(jt_sessions) == 9  # ten Thursdays, one holiday skipped
    assert {timezone.localtime(s.start).weekday() for s in jt_sessions} == {3}
    assert {timezone.localtime(s.start).time() for s in jt_sessions} == {dt.time(14, 30)}
    today = ctx.today
    assert any(s.start.date() < today for s in jt_sessions)
    assert any(timezone.localdate(s.start) > today for s in jt_sessions)
    assert all(s.branch_venues.count() == 3 for s in jt_sessions)

    xz = ctx.programs["YJC-2026-XZ"]
    assert (xz.start_date, xz.end_date) == (
        today - dt.timedelta(days=3),
        today + dt.timedelta(days=4),
    )
    kinds = list(xz.sessions.values_list("kind", flat=True))
    assert kinds.count("lecture") == 12 and kinds.count("seminar") == 2
    assert {"opening", "graduation", "field"} <= set(kinds)
    assert xz.sessions.filter(start__date=today).exists() or any(
        timezone.localdate(s.start) == today for s in xz.sessions.all()
    )
    assert set(xz.staff.values_list("user__username", flat=True)) == {"manager", "assistant"}

    family = {ctx.programs[f"YJC-JZJT-{n}"].family_id for n in (1, 2, 3)}
    assert len(family) == 1 and None not in family
    assert ctx.programs["LC-2026-QN"].organizing_unit.code == "LC-ZZB"
    assert Venue.objects.get(name="青湖区分课堂").managers.filter(username="venue").exists()
    assert ctx.users["lecturer"].lecturer_profile.name == "顾明远"

    _assert_no_clash()


@pytest.mark.parametrize("offset", [0, 3, 5, 6])
def test_demo_has_no_clash_whatever_the_weekday(offset):
    """The demo is seeded relative to today: check the weekdays where the Thursday series and
    the eight-day class overlap differently."""
    base = dt.date(2026, 11, 16)  # a Monday
    _seed(base + dt.timedelta(days=offset))
    _assert_no_clash()


def _assert_no_clash():
    for s in Session.objects.prefetch_related("branch_venues", "lecturers"):
        slot = Slot(
            start=s.start,
            end=s.end,
            venue_ids={v for v in [s.venue_id, *(b.pk for b in s.branch_venues.all())] if v},
            lecturer_ids={lec.pk for lec in s.lecturers.all()},
            exclude={s.pk},
        )
        clashes = [c.message for c in find_conflicts(program=s.program, slots=[slot]) if c.blocking]
        assert not clashes, (s.program.code, s.topic, clashes)
