"""From plan to program (issue 16 item 2): a program starts from an approved plan item, may be
published only with one unless an admin waived the rule, and shows where it comes from."""

import pytest
from django.urls import reverse

from core.errors import DomainError
from core.models import AuditLog
from plans.models import PlanItem
from programs import services
from programs.models import Program
from tests.factories import ProgramFactory, SessionFactory
from tests.plans.factories import item_for, plan_for

pytestmark = pytest.mark.django_db
S = Program.Status


def _item(world, status=PlanItem.Status.APPROVED, unit=None, **extra):
    return item_for(plan_for(unit or world.city_a), status=status, **extra)


def _draft(world, **extra):
    p = ProgramFactory(organizing_unit=world.city_a, status=S.DRAFT, **extra)
    SessionFactory(program=p, venue=world.venue)
    return p


def _post(world, **extra):
    data = {
        "code": "NEW-1",
        "title": "新班",
        "level": "city",
        "kind": "class",
        "organizing_unit": world.city_a.pk,
        "start_date": "2027-04-06",
        "end_date": "2027-04-10",
        "capacity": "60",
        "credit_hours": "24",
        "checkin_opens_before": "30",
        "late_grace_minutes": "5",
        "checkin_closes_after": "60",
        "checkout_opens_before": "15",
        "checkout_closes_after": "30",
        "attendance_warning_rate": "90",
        "completion_min_attendance_rate": "90",
        "completion_max_unexcused_absences": "0",
    }
    data.update(extra)
    return data


def test_new_program_form_carries_the_plan_item_over(world, client_for):
    item = _item(world, title="乡镇干部履职能力提升班", headcount=88, place="市委党校")
    c = client_for(world.organizer)
    page = c.get(reverse("programs:create"), {"plan_item": item.pk}).content.decode()
    assert "已带入计划班次" in page and "市委党校" in page
    assert 'value="乡镇干部履职能力提升班"' in page and 'value="88"' in page
    assert 'value="2027-04-06"' in page and 'value="2027-04-10"' in page
    # the chooser (a picker: no list in the page) offers the approved item, not a draft one
    _item(world, status=PlanItem.Status.DRAFT, title="未报送的班次")
    page = c.get(reverse("programs:create")).content.decode()
    assert f'<option value="{item.pk}"' not in page
    assert f'data-picker-url="{reverse("programs:pick_plan_items")}"' in page
    found = c.get(reverse("programs:pick_plan_items"), {"q": "班次"}).json()["results"]
    found += c.get(reverse("programs:pick_plan_items"), {"q": "提升"}).json()["results"]
    assert [r["id"] for r in found] == [item.pk]


def test_another_citys_organizer_neither_sees_nor_uses_the_item(world, client_for):
    item = _item(world, title="云江市的计划班次")
    c = client_for(world.outsider)
    page = c.get(reverse("programs:create"), {"plan_item": item.pk}).content.decode()
    assert "云江市的计划班次" not in page and "已带入计划班次" not in page
    data = _post(world, organizing_unit=world.city_b.pk, plan_item=item.pk)
    r = c.post(reverse("programs:create"), data)
    assert r.status_code == 200 and not Program.objects.filter(code="NEW-1").exists()
    with pytest.raises(DomainError, match="管理范围"):
        services.program_create(
            by=world.outsider,
            data={
                "code": "NEW-2",
                "title": "新班",
                "level": "city",
                "kind": "class",
                "organizing_unit": world.city_b,
                "start_date": item.start_date,
                "end_date": item.end_date,
                "plan_item": item,
            },
        )
    assert not Program.objects.filter(code="NEW-2").exists()


def test_creating_from_an_approved_item_links_it_and_is_audited(world, client_for):
    item = _item(world)
    r = client_for(world.organizer).post(
        reverse("programs:create"), _post(world, plan_item=item.pk)
    )
    program = Program.objects.get(code="NEW-1")
    assert r.status_code == 302 and program.plan_item == item
    log = AuditLog.objects.get(action="program.create", target_id=str(program.pk))
    assert log.after["plan_item"] == item.pk


@pytest.mark.parametrize("status", ["draft", "pending", "returned", "rejected"])
def test_an_item_not_approved_cannot_be_the_basis(world, status):
    item = _item(world, status=status)
    p = _draft(world)
    with pytest.raises(DomainError, match="只有已备案的班次"):
        services.program_update(program=p, by=world.organizer, data={"plan_item": item})
    p.refresh_from_db()
    assert p.plan_item is None


def test_publishing_needs_an_approved_plan_item(world, client_for):
    p = _draft(world)
    with pytest.raises(DomainError, match="没有关联已备案的计划班次"):
        services.program_transition(program=p, to=S.PUBLISHED, by=world.organizer)
    p.refresh_from_db()
    assert p.status == S.DRAFT
    r = client_for(world.organizer).post(
        reverse("programs:transition", args=[p.pk]), {"to": "published"}, follow=True
    )
    assert "没有关联已备案的计划班次" in r.content.decode()
    p.refresh_from_db()
    assert p.status == S.DRAFT

    item = _item(world)
    services.program_update(program=p, by=world.organizer, data={"plan_item": item})
    services.program_transition(program=p, to=S.PUBLISHED, by=world.organizer)
    p.refresh_from_db()
    assert p.status == S.PUBLISHED


def test_an_item_sent_back_for_review_blocks_publishing_again(world):
    item = _item(world)
    p = _draft(world, plan_item=item)
    PlanItem.objects.filter(pk=item.pk).update(status=PlanItem.Status.PENDING)
    with pytest.raises(DomainError, match="重新备案后才能发布"):
        services.program_transition(program=p, to=S.PUBLISHED, by=world.organizer)


def test_a_published_program_keeps_its_plan_item(world):
    item = _item(world)
    p = ProgramFactory(organizing_unit=world.city_a, status=S.PUBLISHED, plan_item=item)
    with pytest.raises(DomainError, match="已发布的项目须关联"):
        services.program_update(program=p, by=world.organizer, data={"plan_item": None})
    p.refresh_from_db()
    assert p.plan_item == item


def test_only_an_admin_waives_the_plan_with_a_reason_and_it_is_audited(world):
    p = _draft(world)
    with pytest.raises(DomainError, match="只有系统管理员"):
        services.program_plan_waive(program=p, by=world.organizer, reason="临时任务")
    with pytest.raises(DomainError, match="理由"):
        services.program_plan_waive(program=p, by=world.admin, reason="  ")
    p.refresh_from_db()
    assert p.plan_waived_at is None
    services.program_plan_waive(program=p, by=world.admin, reason="上级临时部署")
    p.refresh_from_db()
    assert p.plan_waived_by == world.admin and p.plan_waiver_reason == "上级临时部署"
    log = AuditLog.objects.get(action="program.plan_waive", target_id=str(p.pk))
    assert log.reason == "上级临时部署"
    services.program_transition(program=p, to=S.PUBLISHED, by=world.organizer)
    p.refresh_from_db()
    assert p.status == S.PUBLISHED


def test_waiving_a_program_with_an_approved_item_is_refused(world):
    p = _draft(world, plan_item=_item(world))
    with pytest.raises(DomainError, match="无需批准"):
        services.program_plan_waive(program=p, by=world.admin, reason="x")


def test_waiver_page_for_the_admin(world, client_for):
    p = _draft(world)
    page = client_for(world.admin).get(reverse("programs:detail", args=[p.pk])).content.decode()
    assert "未关联计划班次" in page and "批准计划外举办" in page
    r = client_for(world.admin).post(
        reverse("programs:plan_waive", args=[p.pk]), {"reason": ""}, follow=True
    )
    p.refresh_from_db()
    assert p.plan_waived_at is None and r.status_code == 200
    client_for(world.admin).post(reverse("programs:plan_waive", args=[p.pk]), {"reason": "专项"})
    page = client_for(world.organizer).get(reverse("programs:detail", args=[p.pk])).content.decode()
    assert "计划外举办,已由 管理员甲" in page and "专项" in page
    assert "批准计划外举办</button>" not in page


def test_the_program_page_shows_where_it_comes_from(world, client_for):
    item = _item(world, title="计划中的专题班")
    world.program.plan_item = item
    world.program.save()
    url = reverse("programs:detail", args=[world.program.pk])
    page = client_for(world.organizer).get(url).content.decode()
    assert "计划中的专题班" in page and reverse("plans:detail", args=[item.plan_id]) in page
    page = client_for(world.trainee).get(url).content.decode()
    assert "计划中的专题班" in page and reverse("plans:detail", args=[item.plan_id]) not in page


def test_demo_links_programs_to_the_plan_and_waives_the_others():
    import accounts.demo
    import plans.demo
    import programs.demo
    from core.demo_context import DemoContext

    for _ in range(2):  # idempotent
        ctx = DemoContext()
        accounts.demo.seed(ctx)
        plans.demo.seed(ctx)
        programs.demo.seed(ctx)
    progs = {p.code: p for p in Program.objects.select_related("plan_item")}
    assert progs["YJC-2026-XZ"].plan_item.title == "云江市乡镇党政正职专题培训班"
    assert progs["YJC-2026-JT"].plan_item.status == PlanItem.Status.APPROVED
    assert {progs[f"YJC-JZJT-{n}"].plan_item.title for n in (1, 2, 3)} == {"局长讲堂(第1–3期)"}
    for code, p in progs.items():
        if p.plan_item is None and p.status != S.DRAFT:
            assert p.plan_waived_at and p.plan_waived_by.username == "admin", code
        if p.status == S.DRAFT:
            assert p.plan_item is None and p.plan_waived_at is None, code
            assert services.plan_basis_problem(p)


def test_a_plan_item_a_program_comes_from_cannot_be_deleted(world, client_for):
    from plans.services import plan_item_delete

    item = _item(world, status=PlanItem.Status.RETURNED)
    _draft(world, plan_item=item)
    with pytest.raises(DomainError, match="不能删除"):
        plan_item_delete(item=item, by=world.organizer)
    r = client_for(world.organizer).post(reverse("plans:item_delete", args=[item.pk]), follow=True)
    assert r.status_code == 200 and "不能删除" in r.content.decode()
    assert PlanItem.objects.filter(pk=item.pk).exists()
