"""Searchable pickers instead of selects of every unit or plan item (issue 18): the forms carry
no option list, the query endpoints answer at most PICKER_LIMIT matches from the user's scope,
and a chosen id outside it is refused on the form."""

import re

import pytest
from django.urls import reverse

from accounts.models import OrgUnit
from core.widgets import PICKER_LIMIT
from plans.models import PlanItem
from programs.models import Program, Venue
from tests.factories import OrgUnitFactory
from tests.plans.factories import item_for, plan_for
from tests.programs.test_plan_basis import _post

pytestmark = pytest.mark.django_db


def _many_units(world, n=30):
    return [
        OrgUnitFactory(name=f"青湖区第{i}乡镇", code=f"T-A1-{i:02d}", parent=world.county_a)
        for i in range(n)
    ]


def test_forms_hold_no_option_list_of_units_however_many(world, client_for):
    c = client_for(world.organizer)
    small = {
        u: len(c.get(reverse(u)).content) for u in ("programs:create", "programs:venue_create")
    }
    _many_units(world, 60)
    for url_name, size in small.items():
        html = c.get(reverse(url_name)).content.decode()
        assert (
            "第59乡镇" not in html
            and "<option" not in html.split("pg-form", 1)[1].split('name="level"')[0]
        )
        assert 'class="picker"' in html and "js/picker.js" in html
        assert len(html.encode()) - size < 200, url_name  # the page does not grow with the units


def test_unit_picker_answers_matches_in_scope_at_most_the_limit(world, client_for):
    _many_units(world, PICKER_LIMIT + 5)
    c = client_for(world.organizer)
    data = c.get(reverse("programs:pick_units"), {"q": "乡镇"}).json()
    assert len(data["results"]) == PICKER_LIMIT and data["more"] is True
    assert all("乡镇" in r["label"] for r in data["results"])
    by_code = c.get(reverse("programs:pick_units"), {"q": "T-A1-03"}).json()
    assert [r["label"] for r in by_code["results"]] == ["青湖区第3乡镇"] and not by_code["more"]
    # city B's organizer does not find city A's units, and an empty query lists only their own
    other = client_for(world.outsider)
    assert other.get(reverse("programs:pick_units"), {"q": "青湖"}).json()["results"] == []
    mine = other.get(reverse("programs:pick_units")).json()["results"]
    assert mine and all(
        OrgUnit.objects.get(pk=r["id"]).path.startswith(world.city_b.path) for r in mine
    )


def test_plan_item_picker_offers_approved_items_in_scope(world, client_for):
    approved = item_for(plan_for(world.city_a), status=PlanItem.Status.APPROVED, title="履职班")
    item_for(plan_for(world.city_a), status=PlanItem.Status.DRAFT, title="履职班(草稿)")
    item_for(plan_for(world.city_b), status=PlanItem.Status.APPROVED, title="临川履职班")
    data = client_for(world.organizer).get(reverse("programs:pick_plan_items"), {"q": "履职"})
    assert [r["id"] for r in data.json()["results"]] == [approved.pk]
    assert "云江市" in data.json()["results"][0]["label"]
    by_unit = client_for(world.organizer).get(reverse("programs:pick_plan_items"), {"q": "云江市"})
    assert [r["id"] for r in by_unit.json()["results"]] == [approved.pk]


def test_edit_forms_show_the_current_choice_and_post_its_id(world, client_for):
    item = item_for(plan_for(world.city_a), status=PlanItem.Status.APPROVED, title="履职班")
    program = world.program
    Program.objects.filter(pk=program.pk).update(plan_item=item)
    c = client_for(world.organizer)
    html = c.get(reverse("programs:edit", args=[program.pk])).content.decode()
    unit_input = re.search(r'<input type="text" name="organizing_unit"[^>]*>', html).group(0)
    assert f'value="{program.organizing_unit_id}"' in unit_input
    assert program.organizing_unit.name in html
    assert f'name="plan_item" value="{item.pk}"' in html and "履职班" in html
    venue_html = c.get(reverse("programs:venue_edit", args=[world.venue.pk])).content.decode()
    assert f'name="unit" value="{world.venue.unit_id}"' in venue_html


def test_a_unit_out_of_scope_or_not_a_number_is_refused_on_the_form(world, client_for):
    c = client_for(world.organizer)
    for bad in (world.city_b.pk, "abc", "999999"):
        r = c.post(reverse("programs:create"), _post(world, organizing_unit=bad))
        assert r.status_code == 200 and "errorlist" in r.content.decode()
        assert not Program.objects.filter(code="NEW-1").exists()
    r = c.post(
        reverse("programs:venue_create"),
        {"name": "礼堂", "capacity": "80", "unit": world.city_b.pk},
    )
    assert r.status_code == 200 and not Venue.objects.filter(name="礼堂").exists()
    r = c.post(reverse("programs:create"), _post(world, organizing_unit=f" {world.county_a.pk} "))
    assert r.status_code == 302
    assert Program.objects.get(code="NEW-1").organizing_unit == world.county_a


def test_plan_execution_filters_by_a_picked_jurisdiction(world, client_for):
    _many_units(world, 3)  # departments of the county: not jurisdictions
    c = client_for(world.organizer)
    areas = c.get(reverse("programs:pick_units"), {"area": "1", "q": "青湖"}).json()["results"]
    assert [r["id"] for r in areas] == [world.county_a.pk]
    url = reverse("programs:plan_execution")
    html = c.get(url).content.decode()
    assert f'<option value="{world.county_a.pk}"' not in html
    assert 'name="unit"' in html and "?area=1" in html and "全部管辖范围" in html
    html = c.get(url, {"unit": world.county_a.pk}).content.decode()
    assert f'name="unit" value="{world.county_a.pk}"' in html
