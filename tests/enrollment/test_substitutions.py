"""Substitutions after the reply deadline (替换申请, issue 16 item 5): the liaison asks, the host
approves (the substitution is made) or refuses with a reason; audited, both sides told; clear
messages for a reply over quota or after the deadline."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from core.errors import DomainError
from core.models import AuditLog, Notification
from enrollment import selectors, services
from enrollment.models import Enrollment, SubstitutionRequest
from tests.enrollment.factories import PolicyFactory
from tests.factories import UserFactory

S = Enrollment.Status
R = SubstitutionRequest.Status
pytestmark = pytest.mark.django_db


@pytest.fixture
def closed(world):
    """青湖区 has two seats; one confirmed nominee; the reply deadline passed an hour ago."""
    PolicyFactory(program=world.program, applications_open=False)
    quota = services.quota_set(
        program=world.program, unit=world.county_a, seats=2, by=world.organizer
    )
    world.quota = quota
    world.old = services.nomination_create(
        quota=quota, user=UserFactory(unit=world.county_a, full_name="王晓明"), by=world.liaison
    )
    services.nomination_confirm(enrollment=world.old, by=world.organizer)
    policy = selectors.policy_for(world.program)
    policy.nomination_deadline = timezone.now() - dt.timedelta(hours=1)
    policy.save()
    world.newcomer = UserFactory(unit=world.county_a, full_name="赵晓东")
    return world


def ask(w, **over):
    data = {"enrollment": w.old, "new_user": w.newcomer, "by": w.liaison, "reason": "借调省里"}
    data.update(over)
    return services.substitution_request(**data)


def test_after_the_deadline_direct_substitution_points_to_the_request(closed):
    with pytest.raises(DomainError, match="替换申请"):
        services.nomination_substitute(
            enrollment=closed.old, new_user=closed.newcomer, by=closed.liaison
        )


def test_nominating_after_the_deadline_or_over_quota_says_why(closed):
    with pytest.raises(DomainError, match="已过调训名单报送截止时间.*替换申请"):
        services.nomination_create(quota=closed.quota, user=closed.newcomer, by=closed.liaison)
    policy = selectors.policy_for(closed.program)
    policy.nomination_deadline = timezone.now() + dt.timedelta(days=1)
    policy.save()
    services.nomination_create(
        quota=closed.quota, user=UserFactory(unit=closed.county_a), by=closed.liaison
    )
    with pytest.raises(DomainError, match="名额已用完,不能再提名;如需换人"):
        services.nomination_create(quota=closed.quota, user=closed.newcomer, by=closed.liaison)


def test_request_is_pending_audited_and_the_host_is_told(closed):
    req = ask(closed)
    assert req.status == R.PENDING and req.requested_by == closed.liaison
    closed.old.refresh_from_db()
    assert closed.old.status == S.ENROLLED  # nothing changes until the host decides
    assert AuditLog.objects.filter(action="enrollment.substitution_request").exists()
    assert Notification.objects.filter(user=closed.organizer, title__contains="替换申请").exists()


def test_bad_requests_are_refused(closed):
    with pytest.raises(DomainError, match="替换原因"):
        ask(closed, reason="  ")
    with pytest.raises(DomainError, match="不是"):
        ask(closed, new_user=UserFactory(unit=closed.city_b))
    with pytest.raises(DomainError, match="已有记录"):
        ask(closed, new_user=closed.trainee)
    ask(closed)
    with pytest.raises(DomainError, match="待审批"):
        ask(closed, new_user=UserFactory(unit=closed.county_a))
    assert SubstitutionRequest.objects.count() == 1


def test_before_the_deadline_no_request_is_needed(closed):
    policy = selectors.policy_for(closed.program)
    policy.nomination_deadline = timezone.now() + dt.timedelta(days=1)
    policy.save()
    with pytest.raises(DomainError, match="直接替换"):
        ask(closed)


def test_approval_makes_the_substitution_and_tells_everyone(closed):
    req = ask(closed)
    services.substitution_approve(request=req, by=closed.organizer, note="同意")
    req.refresh_from_db()
    closed.old.refresh_from_db()
    assert req.status == R.APPROVED and req.decided_by == closed.organizer
    assert closed.old.status == S.WITHDRAWN and closed.old.substituted_by == req.substitute
    assert req.substitute.user == closed.newcomer and req.substitute.status == S.ENROLLED
    assert req.substitute.quota == closed.quota
    assert selectors.program_quotas(closed.program).get().used == 1
    assert Notification.objects.filter(user=closed.liaison, title__contains="已批准").exists()
    assert Notification.objects.filter(user=closed.old.user, title__contains="调整").exists()
    assert Notification.objects.filter(user=closed.newcomer).exists()
    assert AuditLog.objects.filter(action="enrollment.substitution_approve").exists()
    with pytest.raises(DomainError, match="已处理"):
        services.substitution_refuse(request=req, by=closed.organizer, reason="晚了")


def test_refusal_needs_a_reason_and_keeps_the_named_cadre(closed):
    req = ask(closed)
    with pytest.raises(DomainError, match="原因"):
        services.substitution_refuse(request=req, by=closed.organizer, reason="")
    services.substitution_refuse(request=req, by=closed.organizer, reason="已开班,不再调整")
    req.refresh_from_db()
    closed.old.refresh_from_db()
    assert req.status == R.REFUSED and req.decision_note == "已开班,不再调整"
    assert closed.old.status == S.ENROLLED
    note = Notification.objects.get(user=closed.liaison, title__contains="未批准")
    assert "已开班" in note.body
    assert AuditLog.objects.get(action="enrollment.substitution_refuse").reason
    with pytest.raises(DomainError, match="已处理"):
        services.substitution_approve(request=req, by=closed.organizer)


def test_the_pages(closed, client_for):
    liaison = client_for(closed.liaison)
    page = liaison.get(reverse("enrollment:quota", args=[closed.quota.pk]))
    assert "申请替换" in page.content.decode()
    r = liaison.post(
        reverse("enrollment:substitute", args=[closed.old.pk]),
        {"user": closed.newcomer.pk, "reason": "借调省里"},
        follow=True,
    )
    assert "已提交替换申请" in r.content.decode()
    req = SubstitutionRequest.objects.get()
    host = client_for(closed.organizer)
    review = host.get(reverse("enrollment:review", args=[closed.program.pk])).content.decode()
    assert "赵晓东" in review and "借调省里" in review
    r = host.post(reverse("enrollment:substitution_approve", args=[req.pk]))
    assert r.status_code == 302
    req.refresh_from_db()
    assert req.status == R.APPROVED
    assert (
        "已批准"
        in liaison.get(reverse("enrollment:quota", args=[closed.quota.pk])).content.decode()
    )
    # the liaison may not decide
    other = ask(closed, enrollment=req.substitute, new_user=UserFactory(unit=closed.county_a))
    assert (
        liaison.post(reverse("enrollment:substitution_refuse", args=[other.pk])).status_code == 403
    )
