import pytest
from django.urls import reverse

from plans.models import PlanItem, TrainingPlan
from tests.plans.factories import item_for, plan_for

pytestmark = pytest.mark.django_db


def test_a_liaison_drafts_a_plan_adds_an_item_and_submits_it(world, client_for):
    c = client_for(world.liaison)
    r = c.post(
        reverse("plans:create"),
        {"unit": world.county_a.pk, "year": 2027, "kind": "annual", "title": "青湖区2027年度计划"},
    )
    plan = TrainingPlan.objects.get()
    assert r.status_code == 302 and r["Location"] == reverse("plans:detail", args=[plan.pk])
    r = c.post(
        reverse("plans:item_create", args=[plan.pk]),
        {
            "title": "村书记示范班",
            "audience": "村(社区)党组织书记",
            "content": "基层党建",
            "class_category": "third",
            "start_date": "2027-04-12",
            "end_date": "2027-04-16",
            "place": "区委党校",
            "headcount": "90",
            "budget_lodging": "40000",
            "budget_meals": "20000",
        },
    )
    assert r.status_code == 302
    item = PlanItem.objects.get()
    assert {b.category: int(b.amount) for b in item.budget.all()} == {
        "lodging": 40000,
        "meals": 20000,
    }
    page = c.get(reverse("plans:detail", args=[plan.pk])).content.decode()
    assert "村书记示范班" in page and "60000.00" in page and "157500.00" in page
    r = c.post(reverse("plans:submit", args=[plan.pk]), follow=True)
    assert "已报送 1 个班次" in r.content.decode()
    item.refresh_from_db()
    assert item.status == PlanItem.Status.PENDING


@pytest.mark.parametrize(
    "post, message",
    [
        ({"end_date": "2027-04-01"}, "结束日期不能早于开始日期"),
        ({"headcount": "0"}, "1"),
        ({"budget_lodging": "NaN"}, "数"),
        ({"budget_lodging": "-5"}, "0"),
    ],
)
def test_bad_item_input_is_shown_on_the_form_and_nothing_is_saved(world, client_for, post, message):
    plan = plan_for(world.county_a)
    data = {
        "title": "班次",
        "audience": "对象",
        "content": "内容",
        "class_category": "third",
        "start_date": "2027-04-12",
        "end_date": "2027-04-16",
        "place": "区委党校",
        "headcount": "10",
        **post,
    }
    r = client_for(world.liaison).post(reverse("plans:item_create", args=[plan.pk]), data)
    assert r.status_code == 200
    assert message in r.content.decode()
    assert not PlanItem.objects.exists()


def test_the_admin_reviews_on_the_plan_page(world, client_for):
    item = item_for(plan_for(world.county_a, by=world.liaison), status="pending")
    c = client_for(world.admin)
    page = c.get(reverse("plans:detail", args=[item.plan_id])).content.decode()
    assert reverse("plans:item_review", args=[item.pk]) in page
    r = c.post(reverse("plans:item_review", args=[item.pk]), {"decision": "return"}, follow=True)
    assert "请填写审核意见" in r.content.decode()
    c.post(
        reverse("plans:item_review", args=[item.pk]),
        {"decision": "return", "comment": "补充预算依据"},
    )
    item.refresh_from_db()
    assert item.status == PlanItem.Status.RETURNED


def test_the_list_shows_only_plans_in_scope(world, client_for):
    plan_for(world.county_a)
    plan_for(world.city_b)
    assert "青湖区" in client_for(world.liaison).get(reverse("plans:list")).content.decode()
    outsider_page = client_for(world.outsider).get(reverse("plans:list")).content.decode()
    assert "临川市" in outsider_page and "青湖区2027" not in outsider_page


def test_the_plan_menu_shows_for_planners_only(world, client_for):
    assert reverse("plans:list") in client_for(world.liaison).get("/").content.decode()
    assert reverse("plans:list") not in client_for(world.trainee).get("/").content.decode()


@pytest.mark.parametrize("url_name", ["plans:list", "plans:detail"])
def test_plan_pages_take_the_same_queries_at_two_sizes(
    world, client_for, django_assert_num_queries, url_name
):
    c = client_for(world.admin)

    def page_queries(n):
        for i in range(n):
            plan = plan_for(world.county_a, year=2030 + i, by=world.liaison)
            for j in range(3 * n):
                item_for(plan, title=f"班次{j}", status="pending")
        kwargs = {} if url_name == "plans:list" else {"pk": TrainingPlan.objects.latest("pk").pk}
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as ctx:
            assert c.get(reverse(url_name, kwargs=kwargs)).status_code == 200
        return len(ctx.captured_queries)

    small = page_queries(1)
    large = page_queries(10)
    assert small == large
    assert large <= 16


def test_the_plan_forms_unit_is_a_picker_of_the_units_one_may_file_for(world, client_for):
    """Issue 18: no select of every unit; the query endpoint answers within the user's scope."""
    c = client_for(world.liaison)
    html = c.get(reverse("plans:create")).content.decode()
    assert f'data-picker-url="{reverse("plans:pick_units")}"' in html
    assert f'<option value="{world.county_a.pk}"' not in html
    found = c.get(reverse("plans:pick_units")).json()["results"]
    assert [r["id"] for r in found] == [world.county_a.pk]  # a liaison files for their unit only
    assert c.get(reverse("plans:pick_units"), {"q": "临川"}).json()["results"] == []
    admin = client_for(world.admin).get(reverse("plans:pick_units"), {"q": "临川"}).json()
    assert world.city_b.name in [r["label"] for r in admin["results"]]
    r = c.post(
        reverse("plans:create"),
        {"unit": world.city_b.pk, "year": 2027, "kind": "annual", "title": "越权计划"},
    )
    assert r.status_code == 200 and not TrainingPlan.objects.exists()
