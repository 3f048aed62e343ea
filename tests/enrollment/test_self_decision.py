"""Nobody decides their own case: an organizer or liaison cannot nominate or enrol themselves,
nor approve, reject or send back their own application, nomination or withdrawal."""

import pytest

from core.errors import DomainError
from enrollment import services
from enrollment.models import Enrollment, WithdrawalRequest
from tests.enrollment.factories import PolicyFactory, upload, workbook_bytes
from tests.factories import EnrollmentFactory, UserFactory

pytestmark = pytest.mark.django_db
S = Enrollment.Status
SELF = "不能处理与本人有关的事项"


@pytest.fixture
def quota(world):
    PolicyFactory(program=world.program, applications_open=False)
    return services.quota_set(
        program=world.program, unit=world.county_a, seats=2, by=world.organizer
    )


def test_a_liaison_cannot_nominate_themselves(world, quota):
    with pytest.raises(DomainError, match=SELF) as exc:
        services.nomination_create(quota=quota, user=world.liaison, by=world.liaison)
    assert exc.value.code == "self_decision"
    assert not Enrollment.objects.filter(user=world.liaison).exists()


def test_a_liaison_cannot_substitute_themselves_in(world, quota):
    e = services.nomination_create(
        quota=quota, user=UserFactory(unit=world.county_a), by=world.liaison
    )
    with pytest.raises(DomainError, match=SELF):
        services.nomination_substitute(enrollment=e, new_user=world.liaison, by=world.liaison)
    e.refresh_from_db()
    assert e.status == S.NOMINATED


def test_an_organizer_cannot_confirm_or_send_back_their_own_nomination(world):
    e = EnrollmentFactory(
        program=world.program, user=world.organizer, status=S.NOMINATED, source="nomination"
    )
    with pytest.raises(DomainError, match=SELF):
        services.nomination_confirm(enrollment=e, by=world.organizer)
    with pytest.raises(DomainError, match=SELF):
        services.nomination_send_back(enrollment=e, by=world.organizer, reason="x")
    e.refresh_from_db()
    assert e.status == S.NOMINATED
    services.nomination_confirm(enrollment=e, by=world.manager)  # someone else may
    e.refresh_from_db()
    assert e.status == S.ENROLLED


def test_an_organizer_cannot_approve_or_reject_their_own_application(world):
    PolicyFactory(program=world.program, applications_open=True)
    e = services.application_create(program=world.program, user=world.organizer)
    with pytest.raises(DomainError, match=SELF):
        services.application_approve(enrollment=e, by=world.organizer)
    with pytest.raises(DomainError, match=SELF):
        services.application_reject(enrollment=e, by=world.organizer, reason="x")
    e.refresh_from_db()
    assert e.status == S.APPLIED and e.decided_by_id is None


def test_a_manager_cannot_approve_their_own_withdrawal(world):
    e = EnrollmentFactory(program=world.program, user=world.manager, status=S.ENROLLED)
    wr = services.withdrawal_request(enrollment=e, by=world.manager, reason="工作冲突")
    for decide in (
        lambda: services.withdrawal_approve(request=wr, by=world.manager),
        lambda: services.withdrawal_reject(request=wr, by=world.manager, note="不批"),
    ):
        with pytest.raises(DomainError, match=SELF):
            decide()
    wr.refresh_from_db()
    assert wr.status == WithdrawalRequest.Status.PENDING


def test_an_organizer_cannot_import_themselves(world):
    world.organizer.phone = "13911112222"
    world.organizer.save(update_fields=["phone"])

    def build(ws):
        ws.append(["姓名", "手机号码"])
        ws.append([world.organizer.full_name, "13911112222"])

    batch = services.import_preview_create(
        program=world.program, upload=upload(workbook_bytes(build)), by=world.organizer
    )
    row = batch.rows[0]
    assert row["action"] == "error" and any(SELF in e for e in row["errors"])


def test_the_review_page_shows_the_refusal_as_a_message(world, client_for):
    from django.urls import reverse

    PolicyFactory(program=world.program, applications_open=True)
    e = services.application_create(program=world.program, user=world.organizer)
    response = client_for(world.organizer).post(
        reverse("enrollment:application_approve", args=[e.pk]), follow=True
    )
    assert response.status_code == 200 and SELF in response.content.decode()
    e.refresh_from_db()
    assert e.status == S.APPLIED
