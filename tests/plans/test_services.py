import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied

from core.errors import DomainError
from core.models import AuditLog, Notification
from plans import services
from plans.models import PlanDeadline, PlanItem, TrainingPlan
from tests.plans.factories import item_for, plan_for

pytestmark = pytest.mark.django_db


def _data(**over):
    base = {
        "title": "基层治理能力提升班",
        "audience": "乡镇党政正职",
        "content": "基层治理",
        "class_category": "third",
        "start_date": dt.date(2027, 5, 10),
        "end_date": dt.date(2027, 5, 14),
        "place": "区委党校",
        "headcount": 50,
        "over_cap_reason": "",
    }
    base.update(over)
    return services.ItemData(**base)


def test_a_liaison_files_a_plan_for_their_unit_only(world):
    plan = services.plan_create(
        unit=world.county_a, year=2027, kind="annual", title="青湖区2027年度计划", by=world.liaison
    )
    assert plan.created_by == world.liaison
    with pytest.raises(PermissionDenied):
        services.plan_create(
            unit=world.city_b, year=2027, kind="annual", title="越权", by=world.liaison
        )


def test_one_annual_plan_per_unit_and_year_but_supplementary_ones_are_allowed(world):
    plan_for(world.county_a)
    with pytest.raises(DomainError, match="临时计划"):
        services.plan_create(
            unit=world.county_a, year=2027, kind="annual", title="第二份", by=world.liaison
        )
    extra = services.plan_create(
        unit=world.county_a, year=2027, kind="supplementary", title="临时", by=world.liaison
    )
    assert extra.kind == TrainingPlan.Kind.SUPPLEMENTARY


@pytest.mark.parametrize(
    "over, field",
    [
        ({"end_date": dt.date(2027, 5, 1)}, "end_date"),
        ({"headcount": 0}, "headcount"),
        ({"headcount": 2001}, "headcount"),
        ({"start_date": dt.date(2025, 1, 1), "end_date": dt.date(2025, 1, 2)}, "start_date"),
    ],
)
def test_bad_items_are_refused_and_nothing_is_written(world, over, field):
    plan = plan_for(world.county_a)
    with pytest.raises(DomainError) as err:
        services.plan_item_save(plan=plan, data=_data(**over), budget={}, by=world.liaison)
    assert err.value.field == field
    assert not PlanItem.objects.exists()


@pytest.mark.parametrize("amount", [Decimal("-1"), Decimal("NaN"), Decimal("Infinity")])
def test_budget_amounts_must_be_finite_and_not_negative(world, amount):
    plan = plan_for(world.county_a)
    with pytest.raises(DomainError):
        services.plan_item_save(
            plan=plan, data=_data(), budget={"lodging": amount}, by=world.liaison
        )
    assert not PlanItem.objects.exists()


def test_submitting_sends_every_draft_item_for_review(world):
    plan = plan_for(world.county_a)
    item_for(plan)
    item_for(plan, title="第二个班次")
    assert services.plan_submit(plan=plan, by=world.liaison) == 2
    assert set(plan.items.values_list("status", flat=True)) == {PlanItem.Status.PENDING}
    plan.refresh_from_db()
    assert plan.status == TrainingPlan.Status.SUBMITTED
    assert AuditLog.objects.filter(action="plan.submit").count() == 1


def test_an_item_over_its_cap_needs_a_reason_before_submission(world):
    plan = plan_for(world.county_a)
    # 60 people × 5 days × 350 = 105,000 yuan allowed
    item = item_for(plan, budget={"lodging": "100000", "meals": "10000"})
    with pytest.raises(DomainError, match="超过标准上限 105000.00"):
        services.plan_submit(plan=plan, by=world.liaison)
    item.refresh_from_db()
    assert item.status == PlanItem.Status.DRAFT
    item.over_cap_reason = "含外地学员往返交通"
    item.save()
    assert services.plan_submit(plan=plan, by=world.liaison) == 1


def test_an_annual_plan_after_its_deadline_is_refused_but_a_supplementary_one_is_not(world):
    PlanDeadline.objects.create(year=2027, unit=world.city_a, submit_by=dt.date(2026, 12, 31))
    annual = plan_for(world.county_a)
    item_for(annual)
    with pytest.raises(DomainError, match="2026-12-31"):
        services.plan_submit(plan=annual, by=world.liaison, today=dt.date(2027, 1, 5))
    assert services.plan_submit(plan=annual, by=world.liaison, today=dt.date(2026, 12, 31)) == 1
    extra = plan_for(world.county_a, kind="supplementary")
    item_for(extra)
    assert services.plan_submit(plan=extra, by=world.liaison, today=dt.date(2027, 6, 1)) == 1


def test_review_item_by_item_with_comments_notifies_the_filer(world):
    plan = plan_for(world.county_a, by=world.liaison)
    ok = item_for(plan, status="pending")
    back = item_for(plan, status="pending", title="需修改的班次")
    services.plan_item_review(item=ok, decision="approve", by=world.admin)
    with pytest.raises(DomainError, match="审核意见"):
        services.plan_item_review(item=back, decision="return", comment=" ", by=world.admin)
    services.plan_item_review(item=back, decision="return", comment="压缩天数", by=world.admin)
    ok.refresh_from_db()
    back.refresh_from_db()
    assert ok.status == PlanItem.Status.APPROVED and ok.reviewed_by == world.admin
    assert back.status == PlanItem.Status.RETURNED and back.review_comment == "压缩天数"
    assert Notification.objects.filter(user=world.liaison).count() == 2
    assert AuditLog.objects.filter(action="plan.item.return", reason="压缩天数").exists()


def test_only_the_organization_department_reviews(world):
    item = item_for(plan_for(world.county_a), status="pending")
    for user in (world.liaison, world.organizer):
        with pytest.raises(PermissionDenied):
            services.plan_item_review(item=item, decision="approve", by=user)


def test_a_decided_item_cannot_be_decided_again(world):
    item = item_for(plan_for(world.county_a), status="approved")
    with pytest.raises(DomainError, match="不在待审核"):
        services.plan_item_review(item=item, decision="reject", comment="x", by=world.admin)


def test_changing_an_approved_item_sends_it_back_for_approval_with_an_audit_trail(world):
    plan = plan_for(world.county_a)
    item = item_for(plan, status="approved")
    services.plan_item_save(
        plan=plan, item=item, data=_data(headcount=45), budget={}, by=world.liaison
    )
    item.refresh_from_db()
    assert item.status == PlanItem.Status.PENDING and item.revision == 1
    entry = AuditLog.objects.get(action="plan.item.revise")
    assert entry.before["headcount"] == 60 and entry.after["headcount"] == 45


def test_an_item_under_review_cannot_be_changed_or_deleted(world):
    plan = plan_for(world.county_a)
    item = item_for(plan, status="pending")
    with pytest.raises(DomainError):
        services.plan_item_save(plan=plan, item=item, data=_data(), budget={}, by=world.liaison)
    with pytest.raises(DomainError):
        services.plan_item_delete(item=item, by=world.liaison)
    assert PlanItem.objects.filter(pk=item.pk, title="乡镇干部履职能力提升班").exists()
