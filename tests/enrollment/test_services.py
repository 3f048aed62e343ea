import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from accounts.models import OrgUnit
from core.errors import DomainError
from core.models import AuditLog, Notification
from enrollment import selectors, services
from enrollment.models import Enrollment, Quota, WithdrawalRequest
from programs.models import Program
from tests.enrollment.factories import PolicyFactory
from tests.factories import EnrollmentFactory, OrgUnitFactory, ProgramFactory, UserFactory

S = Enrollment.Status
pytestmark = pytest.mark.django_db


@pytest.fixture
def township(world):
    return OrgUnitFactory(name="桃源镇", kind=OrgUnit.Kind.TOWNSHIP, parent=world.county_a)


@pytest.fixture
def quota(world):
    PolicyFactory(program=world.program, applications_open=False)
    return services.quota_set(
        program=world.program, unit=world.county_a, seats=2, by=world.organizer
    )


# ---- quotas -----------------------------------------------------------------------------------


def test_setting_a_quota_tells_the_units_liaison(world):
    q = services.quota_set(program=world.program, unit=world.county_a, seats=3, by=world.organizer)
    assert q.seats == 3
    note = Notification.objects.get(user=world.liaison)
    assert "3" in note.body and world.program.title in note.title


def test_quota_cannot_drop_below_seats_already_nominated(world, quota):
    services.nomination_create(quota=quota, user=UserFactory(unit=world.county_a), by=world.liaison)
    with pytest.raises(DomainError, match="不能少于"):
        services.quota_set(program=world.program, unit=world.county_a, seats=0, by=world.organizer)
    assert Quota.objects.get(pk=quota.pk).seats == 2


def test_zero_seats_removes_an_unused_quota(world, quota):
    assert (
        services.quota_set(program=world.program, unit=world.county_a, seats=0, by=world.organizer)
        is None
    )
    assert not Quota.objects.filter(pk=quota.pk).exists()


def test_quota_for_a_unit_outside_the_jurisdiction_is_refused(world):
    with pytest.raises(DomainError, match="调训范围"):
        services.quota_set(program=world.program, unit=world.city_b, seats=2, by=world.organizer)


# ---- nominations ------------------------------------------------------------------------------


def test_liaison_nominates_cadres_of_the_unit_subtree_up_to_the_quota(world, quota, township):
    a = UserFactory(unit=world.county_a)
    b = UserFactory(unit=township)  # a township below the county counts as the unit
    services.nomination_create(quota=quota, user=a, by=world.liaison)
    e = services.nomination_create(quota=quota, user=b, by=world.liaison)
    assert e.status == S.NOMINATED and e.quota == quota and e.nominated_by == world.liaison
    assert Notification.objects.filter(user=world.organizer, title__contains="调训提名").exists()
    assert Notification.objects.filter(user=b, title__contains="单位调训提名").exists()
    with pytest.raises(DomainError, match="名额已用完"):
        services.nomination_create(
            quota=quota, user=UserFactory(unit=world.county_a), by=world.liaison
        )
    assert Enrollment.objects.filter(quota=quota).count() == 2


def test_nominating_someone_from_another_unit_is_refused(world, quota):
    with pytest.raises(DomainError, match="不是"):
        services.nomination_create(quota=quota, user=world.other_trainee, by=world.liaison)
    assert not Enrollment.objects.filter(user=world.other_trainee).exists()


def test_only_the_units_liaison_may_nominate(world, quota):
    with pytest.raises(PermissionDenied):
        services.nomination_create(
            quota=quota, user=UserFactory(unit=world.county_a), by=world.organizer
        )


def test_nominating_someone_already_enrolled_is_refused(world, quota):
    with pytest.raises(DomainError, match="已有记录"):
        services.nomination_create(quota=quota, user=world.trainee, by=world.liaison)


def test_no_nomination_after_the_deadline(world, quota):
    policy = selectors.policy_for(world.program)
    policy.nomination_deadline = timezone.now() - dt.timedelta(hours=1)
    policy.save()
    with pytest.raises(DomainError, match="截止"):
        services.nomination_create(
            quota=quota, user=UserFactory(unit=world.county_a), by=world.liaison
        )


def test_substitution_keeps_the_replaced_nominee_as_history(world, quota):
    old = services.nomination_create(
        quota=quota, user=UserFactory(unit=world.county_a), by=world.liaison
    )
    services.nomination_confirm(enrollment=old, by=world.organizer)
    newcomer = UserFactory(unit=world.county_a)
    new = services.nomination_substitute(
        enrollment=old, new_user=newcomer, by=world.liaison, reason="工作调动"
    )
    old.refresh_from_db()
    assert old.status == S.WITHDRAWN and old.substituted_by == new
    assert new.status == S.NOMINATED and new.quota == quota
    # One out, one in: the quota still shows one seat used.
    assert selectors.program_quotas(world.program).get().used == 1
    assert Notification.objects.filter(user=old.user, title__contains="调整").exists()
    assert Notification.objects.filter(user=newcomer, title__contains="单位调训提名").exists()
    assert AuditLog.objects.filter(action="enrollment.substitute").exists()


def test_substitution_after_the_deadline_is_refused(world, quota):
    old = services.nomination_create(
        quota=quota, user=UserFactory(unit=world.county_a), by=world.liaison
    )
    policy = selectors.policy_for(world.program)
    policy.nomination_deadline = timezone.now() - dt.timedelta(minutes=1)
    policy.save()
    with pytest.raises(DomainError, match="截止"):
        services.nomination_substitute(
            enrollment=old, new_user=UserFactory(unit=world.county_a), by=world.liaison
        )
    old.refresh_from_db()
    assert old.status == S.NOMINATED


def test_substitute_must_be_of_the_same_unit(world, quota):
    old = services.nomination_create(
        quota=quota, user=UserFactory(unit=world.county_a), by=world.liaison
    )
    with pytest.raises(DomainError, match="不是"):
        services.nomination_substitute(
            enrollment=old, new_user=world.other_trainee, by=world.liaison
        )


def test_organizer_confirms_or_sends_back_and_the_liaison_hears(world, quota):
    a = services.nomination_create(
        quota=quota, user=UserFactory(unit=world.county_a), by=world.liaison
    )
    b = services.nomination_create(
        quota=quota, user=UserFactory(unit=world.county_a), by=world.liaison
    )
    services.nomination_confirm(enrollment=a, by=world.organizer)
    services.nomination_send_back(enrollment=b, by=world.organizer, reason="职级不符合要求")
    a.refresh_from_db()
    b.refresh_from_db()
    assert a.status == S.ENROLLED and b.status == S.REJECTED
    assert b.decision_reason == "职级不符合要求"
    titles = list(Notification.objects.filter(user=world.liaison).values_list("title", flat=True))
    assert any("已确认" in t for t in titles) and any("退回" in t for t in titles)
    # The sent-back seat is free again for another nomination.
    services.nomination_create(quota=quota, user=UserFactory(unit=world.county_a), by=world.liaison)


def test_a_sent_back_nominee_who_applies_is_not_counted_against_the_quota(world, quota):
    """The closed row is reopened for the application: it must not keep the quota and the
    liaison of the nomination that was sent back."""
    from enrollment.models import EnrollmentPolicy, Quota
    from enrollment.selectors import quotas_with_usage

    person = UserFactory(unit=world.county_a)
    e = services.nomination_create(quota=quota, user=person, by=world.liaison)
    services.nomination_send_back(enrollment=e, by=world.organizer, reason="名额调整")
    EnrollmentPolicy.objects.filter(program=world.program).update(applications_open=True)
    world.program.refresh_from_db()
    again = services.application_create(program=world.program, user=person, note="本人申请")
    services.application_approve(enrollment=again, by=world.organizer)
    again.refresh_from_db()
    assert again.pk == e.pk and again.status == S.ENROLLED
    assert (again.quota, again.nominated_by, again.note) == (None, None, "本人申请")
    usage = quotas_with_usage(Quota.objects.filter(pk=quota.pk)).get()
    assert (usage.used, usage.confirmed) == (0, 0)


def test_send_back_needs_a_reason(world, quota):
    a = services.nomination_create(
        quota=quota, user=UserFactory(unit=world.county_a), by=world.liaison
    )
    with pytest.raises(DomainError, match="原因"):
        services.nomination_send_back(enrollment=a, by=world.organizer, reason=" ")


def test_confirmation_respects_program_capacity(world, quota):
    Program.objects.filter(pk=world.program.pk).update(capacity=1)  # the trainee holds it
    a = services.nomination_create(
        quota=quota, user=UserFactory(unit=world.county_a), by=world.liaison
    )
    a.program.refresh_from_db()
    with pytest.raises(DomainError, match="已满"):
        services.nomination_confirm(enrollment=a, by=world.organizer)


# ---- applications and waitlist ---------------------------------------------------------------


@pytest.fixture
def open_program(world):
    program = ProgramFactory(
        organizing_unit=world.program.organizing_unit, capacity=2, title="局长讲堂第3期"
    )
    PolicyFactory(program=program, applications_open=True, waitlist_enabled=True)
    return program


def applicant(world):
    return UserFactory(unit=world.county_a)


def test_apply_then_approve_until_full_then_waitlist(world, open_program):
    people = [applicant(world) for _ in range(4)]
    rows = [services.application_create(program=open_program, user=u) for u in people]
    assert {r.status for r in rows} == {S.APPLIED}
    for r in rows:
        services.application_approve(enrollment=r, by=world.organizer)
    statuses = [Enrollment.objects.get(pk=r.pk) for r in rows]
    assert [e.status for e in statuses] == [S.ENROLLED, S.ENROLLED, S.WAITLISTED, S.WAITLISTED]
    assert [e.waitlist_position for e in statuses[2:]] == [1, 2]
    assert Notification.objects.filter(user=people[2], title__contains="候补").exists()


def test_applying_twice_is_refused(world, open_program):
    u = applicant(world)
    services.application_create(program=open_program, user=u)
    with pytest.raises(DomainError, match="已有记录"):
        services.application_create(program=open_program, user=u)
    assert Enrollment.objects.filter(program=open_program, user=u).count() == 1


def test_applying_to_a_closed_program_is_refused(world, open_program):
    Program.objects.filter(pk=open_program.pk).update(status=Program.Status.DRAFT)
    open_program.refresh_from_db()
    with pytest.raises(DomainError, match="不接受报名"):
        services.application_create(program=open_program, user=applicant(world))
    assert not Enrollment.objects.filter(program=open_program).exists()


def test_applying_after_the_deadline_is_refused(world, open_program):
    policy = open_program.enrollment_policy
    policy.application_deadline = timezone.now() - dt.timedelta(days=1)
    policy.save()
    with pytest.raises(DomainError, match="不接受报名"):
        services.application_create(program=open_program, user=applicant(world))


def test_applying_to_a_full_program_without_waitlist_is_refused(world, open_program):
    for _ in range(2):
        EnrollmentFactory(program=open_program, user=applicant(world))
    policy = open_program.enrollment_policy
    policy.waitlist_enabled = False
    policy.save()
    with pytest.raises(DomainError, match="已满"):
        services.application_create(program=open_program, user=applicant(world))


def test_applying_to_a_full_program_with_waitlist_is_accepted_and_flagged(world, open_program):
    for _ in range(2):
        EnrollmentFactory(program=open_program, user=applicant(world))
    e = services.application_create(program=open_program, user=applicant(world))
    assert e.status == S.APPLIED and e.program_full


def test_reject_needs_a_reason_and_tells_the_applicant(world, open_program):
    e = services.application_create(program=open_program, user=applicant(world))
    with pytest.raises(DomainError):
        services.application_reject(enrollment=e, by=world.organizer, reason="")
    services.application_reject(enrollment=e, by=world.organizer, reason="不属于培训对象")
    e.refresh_from_db()
    assert e.status == S.REJECTED and e.decision_reason == "不属于培训对象"
    assert Notification.objects.filter(user=e.user, body="不属于培训对象").exists()


def test_a_rejected_person_may_apply_again_on_the_same_row(world, open_program):
    u = applicant(world)
    e = services.application_create(program=open_program, user=u)
    services.application_reject(enrollment=e, by=world.organizer, reason="材料不全")
    again = services.application_create(program=open_program, user=u)
    assert again.pk == e.pk and again.status == S.APPLIED and again.decision_reason == ""


# ---- withdrawal and promotion ----------------------------------------------------------------


def _full_with_waitlist(world, program, *, waiting=2):
    seated = [EnrollmentFactory(program=program, user=applicant(world)) for _ in range(2)]
    waitlisted = []
    for _ in range(waiting):
        e = services.application_create(program=program, user=applicant(world))
        waitlisted.append(services.application_approve(enrollment=e, by=world.organizer))
    return seated, waitlisted


def test_approved_withdrawal_promotes_the_head_of_the_waitlist(world, open_program):
    seated, waitlisted = _full_with_waitlist(world, open_program)
    wr = services.withdrawal_request(enrollment=seated[0], by=seated[0].user, reason="身体原因")
    assert wr.status == WithdrawalRequest.Status.PENDING
    services.withdrawal_approve(request=wr, by=world.organizer)
    seated[0].refresh_from_db()
    first, second = (Enrollment.objects.get(pk=e.pk) for e in waitlisted)
    assert seated[0].status == S.WITHDRAWN
    assert first.status == S.ENROLLED and first.waitlist_position is None
    assert second.status == S.WAITLISTED
    assert Notification.objects.filter(user=first.user, title__contains="候补转正").exists()
    # History kept, no longer counted.
    assert selectors.status_counts(open_program)[S.ENROLLED] == 2
    assert seated[0].user not in selectors.enrolled_users(open_program)
    assert seated[0] in selectors.history(open_program)


def test_withdrawal_request_needs_a_reason_and_only_one_pending(world, open_program):
    seated, _w = _full_with_waitlist(world, open_program, waiting=0)
    with pytest.raises(DomainError):
        services.withdrawal_request(enrollment=seated[0], by=seated[0].user, reason="")
    services.withdrawal_request(enrollment=seated[0], by=seated[0].user, reason="出差")
    with pytest.raises(DomainError, match="已提交"):
        services.withdrawal_request(enrollment=seated[0], by=seated[0].user, reason="出差")


def test_only_the_trainee_may_request_their_withdrawal(world):
    e = Enrollment.objects.get(program=world.program, user=world.trainee)
    with pytest.raises(PermissionDenied):
        services.withdrawal_request(enrollment=e, by=world.organizer, reason="x")


def test_rejected_withdrawal_keeps_the_seat(world):
    e = Enrollment.objects.get(program=world.program, user=world.trainee)
    wr = services.withdrawal_request(enrollment=e, by=world.trainee, reason="家中有事")
    services.withdrawal_reject(request=wr, by=world.organizer, note="可请假处理")
    e.refresh_from_db()
    assert e.status == S.ENROLLED


def test_cancelling_a_waitlist_place_needs_no_approval(world, open_program):
    _s, waitlisted = _full_with_waitlist(world, open_program, waiting=1)
    e = waitlisted[0]
    assert services.withdrawal_request(enrollment=e, by=e.user, reason="另有安排") is None
    e.refresh_from_db()
    assert e.status == S.WITHDRAWN and e.waitlist_position is None


def test_withdrawing_a_group_leader_clears_the_leader(world):
    services.groups_generate(program=world.program, count=1, by=world.organizer)
    e = Enrollment.objects.get(program=world.program, user=world.trainee)
    group = e.group
    assert group.leader == world.trainee
    wr = services.withdrawal_request(enrollment=e, by=world.trainee, reason="调岗")
    services.withdrawal_approve(request=wr, by=world.organizer)
    group.refresh_from_db()
    e.refresh_from_db()
    assert group.leader is None and e.group is None


# ---- selectors other apps use ----------------------------------------------------------------


def test_enrolled_users_lists_only_enrolled(world, open_program):
    _s, waitlisted = _full_with_waitlist(world, open_program, waiting=1)
    users = set(selectors.enrolled_users(open_program))
    assert len(users) == 2 and waitlisted[0].user not in users
    all_rows = selectors.enrollments_for_program(open_program, statuses=None)
    assert all_rows.count() == 3


def test_application_seats_cap_applications_but_not_nominations(world, open_program):
    from programs.models import Program as P

    P.objects.filter(pk=open_program.pk).update(capacity=10)
    open_program.refresh_from_db()
    policy = open_program.enrollment_policy
    policy.application_seats = 1
    policy.save()
    EnrollmentFactory(program=open_program, user=applicant(world))  # a nominated seat
    first = services.application_create(program=open_program, user=applicant(world))
    second = services.application_create(program=open_program, user=applicant(world))
    assert services.application_approve(enrollment=first, by=world.organizer).status == S.ENROLLED
    assert (
        services.application_approve(enrollment=second, by=world.organizer).status == S.WAITLISTED
    )
    # The application seat frees up when the applicant withdraws: the waitlist moves up.
    wr = services.withdrawal_request(enrollment=first, by=first.user, reason="出差")
    services.withdrawal_approve(request=wr, by=world.organizer)
    second.refresh_from_db()
    assert second.status == S.ENROLLED


def test_no_withdrawal_once_the_program_is_over(world):
    Program.objects.filter(pk=world.program.pk).update(status=Program.Status.COMPLETED)
    e = Enrollment.objects.select_related("program").get(program=world.program, user=world.trainee)
    with pytest.raises(DomainError, match="已结束"):
        services.withdrawal_request(enrollment=e, by=world.trainee, reason="补记")
