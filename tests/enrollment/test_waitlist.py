"""The waitlist moves up on every path that frees or adds a seat, and never past capacity."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from core.errors import DomainError
from core.models import AuditLog, Notification
from enrollment import selectors, services
from enrollment.models import Enrollment
from programs import services as program_services
from programs.models import Program
from tests.enrollment.factories import PolicyFactory
from tests.factories import EnrollmentFactory, ProgramFactory, UserFactory

S = Enrollment.Status
pytestmark = pytest.mark.django_db


@pytest.fixture
def program(world):
    p = ProgramFactory(organizing_unit=world.program.organizing_unit, capacity=2)
    PolicyFactory(program=p, applications_open=True, waitlist_enabled=True)
    return p


def _person(world):
    return UserFactory(unit=world.county_a)


def _seat(world, program, n=2):
    return [EnrollmentFactory(program=program, user=_person(world)) for _ in range(n)]


def _waitlist(world, program, n=3, *, full=True):
    rows = []
    for _ in range(n):
        e = services.application_create(program=program, user=_person(world))
        rows.append(services.application_approve(enrollment=e, by=world.organizer))
    if full:
        assert {r.status for r in rows} == {S.WAITLISTED}
    return rows


def _statuses(rows):
    return [Enrollment.objects.get(pk=r.pk).status for r in rows]


def _enrolled(program):
    return Enrollment.objects.filter(program=program, status=S.ENROLLED).count()


# ---- capacity raised (programs service) -------------------------------------------------------


def test_raising_capacity_seats_the_head_of_the_waitlist_in_order(world, program):
    _seat(world, program)
    waiting = _waitlist(world, program)

    program_services.program_update(program=program, by=world.organizer, data={"capacity": 4})

    assert _statuses(waiting) == [S.ENROLLED, S.ENROLLED, S.WAITLISTED]
    assert _enrolled(program) == 4
    assert Notification.objects.filter(user=waiting[0].user, title__contains="候补转正").exists()
    assert AuditLog.objects.filter(action="enrollment.waitlist_promote").count() == 2


def test_raising_capacity_beyond_the_waitlist_seats_everyone_waiting_and_no_more(world, program):
    _seat(world, program)
    waiting = _waitlist(world, program, n=2)

    program_services.program_update(program=program, by=world.organizer, data={"capacity": 10})

    assert _statuses(waiting) == [S.ENROLLED, S.ENROLLED]
    assert _enrolled(program) == 4


def test_capacity_cannot_drop_below_the_enrolled(world, program):
    _seat(world, program)
    with pytest.raises(DomainError, match="已录取 2 人") as exc:
        program_services.program_update(program=program, by=world.organizer, data={"capacity": 1})
    assert exc.value.field == "capacity"
    program.refresh_from_db()
    assert program.capacity == 2


def test_raising_capacity_of_a_finished_program_promotes_nobody(world, program):
    _seat(world, program)
    waiting = _waitlist(world, program, n=1)
    Program.objects.filter(pk=program.pk).update(status=Program.Status.COMPLETED)
    program.refresh_from_db()

    # A finished program is read-only (programs refuses the change); either way nobody moves.
    try:
        program_services.program_update(program=program, by=world.organizer, data={"capacity": 5})
    except DomainError as exc:
        assert exc.code == "program_closed"

    assert _statuses(waiting) == [S.WAITLISTED]


def test_editing_a_program_through_its_form_raises_capacity_and_promotes(world, program, client):
    _seat(world, program)
    waiting = _waitlist(world, program, n=1)
    client.force_login(world.organizer)
    page = client.get(reverse("programs:edit", args=[program.pk]))
    assert page.status_code == 200
    form = page.context["form"]
    data = {bf.name: bf.value() for bf in form if bf.value() is not None}
    data = {k: v for k, v in data.items() if v is not False}
    data = {k: ("on" if v is True else v) for k, v in data.items()}
    data["capacity"] = 3
    response = client.post(reverse("programs:edit", args=[program.pk]), data)
    assert response.status_code == 302, response.context["form"].errors
    assert _statuses(waiting) == [S.ENROLLED]


# ---- application seats raised (policy) ---------------------------------------------------------


def test_more_application_seats_move_the_waitlist_up(world, program):
    Program.objects.filter(pk=program.pk).update(capacity=10)
    program.refresh_from_db()
    services.policy_update(
        program=program, by=world.organizer, applications_open=True, application_seats=1
    )
    waiting = [services.application_create(program=program, user=_person(world)) for _ in range(3)]
    rows = [services.application_approve(enrollment=e, by=world.organizer) for e in waiting]
    assert [r.status for r in rows] == [S.ENROLLED, S.WAITLISTED, S.WAITLISTED]

    services.policy_update(
        program=program, by=world.organizer, applications_open=True, application_seats=2
    )
    assert _statuses(rows) == [S.ENROLLED, S.ENROLLED, S.WAITLISTED]

    # No separate limit any more: everyone waiting fits in the capacity.
    services.policy_update(
        program=program, by=world.organizer, applications_open=True, application_seats=None
    )
    assert _statuses(rows) == [S.ENROLLED, S.ENROLLED, S.ENROLLED]


# ---- nominations: they hold a seat until decided ----------------------------------------------


@pytest.fixture
def quota(world, program):
    return services.quota_set(program=program, unit=world.county_a, seats=2, by=world.organizer)


def test_a_pending_nomination_holds_its_seat_against_the_waitlist(world, program, quota):
    _seat(world, program, n=1)
    nominee = services.nomination_create(quota=quota, user=_person(world), by=world.liaison)
    late = services.application_create(program=program, user=_person(world))
    assert late.program_full
    late = services.application_approve(enrollment=late, by=world.organizer)
    assert late.status == S.WAITLISTED
    # ... so the nominee can still be confirmed.
    services.nomination_confirm(enrollment=nominee, by=world.organizer)
    assert _enrolled(program) == 2


def test_sending_a_nomination_back_gives_its_seat_to_the_waitlist(world, program, quota):
    _seat(world, program, n=1)
    nominee = services.nomination_create(quota=quota, user=_person(world), by=world.liaison)
    waiting = _waitlist(world, program, n=2)

    services.nomination_send_back(enrollment=nominee, by=world.organizer, reason="不符合条件")

    assert _statuses(waiting) == [S.ENROLLED, S.WAITLISTED]
    assert _enrolled(program) == 2


def test_an_approved_withdrawal_of_a_nominee_gives_the_seat_to_the_waitlist(world, program, quota):
    _seat(world, program, n=1)
    nominee = services.nomination_create(quota=quota, user=_person(world), by=world.liaison)
    waiting = _waitlist(world, program, n=1)
    wr = services.withdrawal_request(enrollment=nominee, by=nominee.user, reason="出差")

    services.withdrawal_approve(request=wr, by=world.organizer)

    assert _statuses(waiting) == [S.ENROLLED]


def test_substituting_an_enrolled_nominee_keeps_the_seat_for_the_substitute(world, program, quota):
    _seat(world, program, n=1)
    nominee = services.nomination_create(quota=quota, user=_person(world), by=world.liaison)
    services.nomination_confirm(enrollment=nominee, by=world.organizer)
    Program.objects.filter(pk=program.pk).update(capacity=3)
    waiting = _waitlist(world, program, n=2, full=False)  # the free seat goes to the first
    assert _statuses(waiting) == [S.ENROLLED, S.WAITLISTED]

    new = services.nomination_substitute(
        enrollment=nominee, new_user=_person(world), by=world.liaison, reason="工作调动"
    )

    # The freed seat is the substitute's: nobody from the waitlist takes it ...
    assert _statuses(waiting) == [S.ENROLLED, S.WAITLISTED]
    # ... and the organizer can confirm the substitute.
    services.nomination_confirm(enrollment=new, by=world.organizer)
    assert _enrolled(program) == 3


def test_sending_back_a_substitute_releases_the_seat_to_the_waitlist(world, program, quota):
    _seat(world, program, n=1)
    nominee = services.nomination_create(quota=quota, user=_person(world), by=world.liaison)
    services.nomination_confirm(enrollment=nominee, by=world.organizer)
    waiting = _waitlist(world, program, n=1)
    new = services.nomination_substitute(
        enrollment=nominee, new_user=_person(world), by=world.liaison
    )
    assert _statuses(waiting) == [S.WAITLISTED]

    services.nomination_send_back(enrollment=new, by=world.organizer, reason="级别不符")

    assert _statuses(waiting) == [S.ENROLLED]


# ---- never past capacity ----------------------------------------------------------------------


def test_promotion_never_fills_beyond_capacity(world, program):
    _seat(world, program)
    waiting = _waitlist(world, program, n=3)
    for _ in range(3):
        assert services.waitlist_promote(program=program) == []
    assert _statuses(waiting) == [S.WAITLISTED] * 3

    Program.objects.filter(pk=program.pk).update(capacity=3)
    promoted = services.waitlist_promote(program=program)
    again = services.waitlist_promote(program=program)

    assert [e.pk for e in promoted] == [waiting[0].pk] and again == []
    assert _enrolled(program) == 3


def test_promotion_with_more_enrolled_than_capacity_seats_nobody(world, program):
    _seat(world, program, n=3)  # e.g. an import the organizer made before lowering capacity
    _waitlist(world, program, n=1)
    assert services.waitlist_promote(program=program) == []
    assert selectors.status_counts(program)[S.ENROLLED] == 3


def test_applications_and_rejections_do_not_move_the_waitlist(world, program):
    _seat(world, program)
    waiting = _waitlist(world, program, n=2)
    services.application_reject(enrollment=waiting[0], by=world.organizer, reason="名额已满")
    assert _statuses(waiting) == [S.REJECTED, S.WAITLISTED]


@pytest.mark.postgres
def test_every_seat_changing_path_locks_the_program_row(world, program, quota):
    """Substitution, send-back, policy and capacity changes take the same row lock as
    approvals and withdrawals (SELECT ... FOR UPDATE on the program)."""
    nominee = services.nomination_create(quota=quota, user=_person(world), by=world.liaison)
    second = services.nomination_create(quota=quota, user=_person(world), by=world.liaison)
    table = Program._meta.db_table
    calls = [
        lambda: services.nomination_substitute(
            enrollment=nominee, new_user=_person(world), by=world.liaison
        ),
        lambda: services.nomination_send_back(enrollment=second, by=world.organizer, reason="退回"),
        lambda: services.policy_update(program=program, by=world.organizer, applications_open=True),
        lambda: program_services.program_update(
            program=program, by=world.organizer, data={"capacity": 5}
        ),
    ]
    for call in calls:
        with CaptureQueriesContext(connection) as ctx:
            call()
        locks = [
            q["sql"]
            for q in ctx.captured_queries
            if f'FROM "{table}"' in q["sql"] and "FOR UPDATE" in q["sql"]
        ]
        assert locks, call


def test_open_programs_show_seats_held_by_nominations_as_taken(world, program, quota):
    _seat(world, program, n=1)
    services.nomination_create(quota=quota, user=_person(world), by=world.liaison)
    shown = {p.pk: p for p in selectors.open_programs_for(_person(world))}
    assert shown[program.pk].free == 0


def test_promotion_runs_the_same_queries_for_one_or_many_seats(world):
    """Seats added at once (capacity raised by many) are filled in bulk under the program lock:
    the status change, the audit entries and the notices do not cost a query each."""
    counts = []
    for n in (1, 6):
        p = ProgramFactory(organizing_unit=world.program.organizing_unit, capacity=1)
        PolicyFactory(program=p, applications_open=True, waitlist_enabled=True)
        _seat(world, p, n=1)
        waiting = _waitlist(world, p, n=n)
        Program.objects.filter(pk=p.pk).update(capacity=1 + n)
        with CaptureQueriesContext(connection) as ctx:
            promoted = services.waitlist_promote(program=p)
        counts.append(len(ctx.captured_queries))
        assert [e.pk for e in promoted] == [e.pk for e in waiting]
        assert {e.status for e in promoted} == {S.ENROLLED}
        assert _statuses(waiting) == [S.ENROLLED] * n
        assert not Enrollment.objects.filter(program=p, waitlist_position__isnull=False).exists()
        audited = AuditLog.objects.filter(
            action="enrollment.waitlist_promote", target_id__in=[str(e.pk) for e in waiting]
        )
        assert audited.count() == n
        assert {a.before["status"] for a in audited} == {S.WAITLISTED}
        assert {a.after["status"] for a in audited} == {S.ENROLLED}
        assert (
            Notification.objects.filter(
                user__in=[e.user for e in waiting], title__contains="候补转正"
            ).count()
            == n
        )
    assert counts[0] == counts[1]
