"""Seats under concurrent withdrawals: real threads, real PostgreSQL row locks."""

import threading

import pytest
from django.db import connection

from core.models import AuditLog, Notification
from enrollment import services
from enrollment.models import Enrollment, WithdrawalRequest
from tests.enrollment.factories import PolicyFactory
from tests.factories import EnrollmentFactory, OrgUnitFactory, ProgramFactory, UserFactory

S = Enrollment.Status


def _in_threads(funcs):
    barrier = threading.Barrier(len(funcs))
    errors = []

    def run(f):
        try:
            barrier.wait(timeout=10)
            f()
        except Exception as exc:  # collected and asserted below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(f,)) for f in funcs]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return errors


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_withdrawals_never_give_a_seat_twice():
    unit = OrgUnitFactory()
    organizer = UserFactory(unit=unit)
    program = ProgramFactory(organizing_unit=unit, capacity=6)
    PolicyFactory(program=program, applications_open=True)
    seated = [EnrollmentFactory(program=program, user=UserFactory(unit=unit)) for _ in range(6)]
    waitlisted = [
        EnrollmentFactory(
            program=program,
            user=UserFactory(unit=unit),
            status=S.WAITLISTED,
            waitlist_position=i + 1,
            source=Enrollment.Source.APPLICATION,
        )
        for i in range(4)
    ]
    requests = [
        WithdrawalRequest.objects.create(enrollment=e, reason="调岗", requested_by=e.user)
        for e in seated
    ]

    errors = _in_threads(
        [(lambda wr=wr: services.withdrawal_approve(request=wr, by=organizer)) for wr in requests]
    )

    assert errors == []
    assert Enrollment.objects.filter(program=program, status=S.WITHDRAWN).count() == 6
    # Six seats freed, four people waiting: all four seated once, nobody beyond capacity.
    enrolled = set(
        Enrollment.objects.filter(program=program, status=S.ENROLLED).values_list("pk", flat=True)
    )
    assert enrolled == {e.pk for e in waitlisted}
    promotions = AuditLog.objects.filter(action="enrollment.waitlist_promote")
    assert sorted(promotions.values_list("target_id", flat=True)) == sorted(
        str(e.pk) for e in waitlisted
    )
    assert Notification.objects.filter(title__contains="候补转正").count() == 4


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_approvals_never_exceed_capacity():
    unit = OrgUnitFactory()
    organizer = UserFactory(unit=unit)
    program = ProgramFactory(organizing_unit=unit, capacity=3)
    PolicyFactory(program=program, applications_open=True)
    applied = [
        EnrollmentFactory(
            program=program,
            user=UserFactory(unit=unit),
            status=S.APPLIED,
            source=Enrollment.Source.APPLICATION,
        )
        for _ in range(8)
    ]

    errors = _in_threads(
        [(lambda e=e: services.application_approve(enrollment=e, by=organizer)) for e in applied]
    )

    assert errors == []
    assert Enrollment.objects.filter(program=program, status=S.ENROLLED).count() == 3
    positions = sorted(
        Enrollment.objects.filter(program=program, status=S.WAITLISTED).values_list(
            "waitlist_position", flat=True
        )
    )
    assert positions == [1, 2, 3, 4, 5]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_seat_changes_never_overfill_and_leave_no_free_seat_idle():
    """Capacity raised, withdrawals approved, a nomination sent back and applications approved
    all at once: the roster never exceeds capacity, and no seat stays free while people wait."""
    from programs import services as program_services

    unit = OrgUnitFactory()
    organizer = UserFactory(unit=unit)
    program = ProgramFactory(organizing_unit=unit, capacity=4)
    PolicyFactory(program=program, applications_open=True)
    seated = [EnrollmentFactory(program=program, user=UserFactory(unit=unit)) for _ in range(3)]
    nominee = EnrollmentFactory(
        program=program,
        user=UserFactory(unit=unit),
        status=S.NOMINATED,
        source=Enrollment.Source.NOMINATION,
    )
    waitlisted = [
        EnrollmentFactory(
            program=program,
            user=UserFactory(unit=unit),
            status=S.WAITLISTED,
            waitlist_position=i + 1,
            source=Enrollment.Source.APPLICATION,
        )
        for i in range(3)
    ]
    applied = [
        EnrollmentFactory(
            program=program,
            user=UserFactory(unit=unit),
            status=S.APPLIED,
            source=Enrollment.Source.APPLICATION,
        )
        for _ in range(4)
    ]
    requests = [
        WithdrawalRequest.objects.create(enrollment=e, reason="调岗", requested_by=e.user)
        for e in seated[:2]
    ]
    funcs = [
        lambda: program_services.program_update(
            program=program, by=organizer, data={"capacity": 6}
        ),
        lambda: services.nomination_send_back(enrollment=nominee, by=organizer, reason="退回"),
        *[(lambda wr=wr: services.withdrawal_approve(request=wr, by=organizer)) for wr in requests],
        *[(lambda e=e: services.application_approve(enrollment=e, by=organizer)) for e in applied],
        *[(lambda: services.waitlist_promote(program=program)) for _ in range(2)],
    ]

    errors = _in_threads(funcs)

    assert errors == []
    program.refresh_from_db()
    assert program.capacity == 6
    enrolled = Enrollment.objects.filter(program=program, status=S.ENROLLED)
    # 6 seats: the 1 seated who stayed, and 5 from the waitlist or the applications.
    assert enrolled.count() == 6
    waiting = Enrollment.objects.filter(program=program, status=S.WAITLISTED)
    assert waiting.count() == len(waitlisted) + len(applied) - 5
    # The people waiting first were seated first: nobody on the original waitlist still waits.
    assert not waiting.filter(pk__in=[e.pk for e in waitlisted]).exists()
