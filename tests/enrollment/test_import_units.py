"""Rosters as units write them: unit names in short or city-less forms, remembered choices,
typos in ID numbers, unused columns and 备注, login names, what a confirmation needs, stale
previews and closed programs."""

import re

import pytest
from django.urls import reverse

from accounts.models import OrgUnit, User
from core.errors import DomainError
from core.models import AuditLog
from enrollment import services
from enrollment.imports.match import suggest_units, unit_forms
from enrollment.models import Enrollment, ImportBatch, UnitAlias
from programs.models import Program
from tests.enrollment.factories import id_number, upload, workbook_bytes
from tests.factories import OrgUnitFactory, UserFactory

pytestmark = pytest.mark.django_db
S = Enrollment.Status


@pytest.fixture
def tree(world):
    """云江市 with its 市发展和改革委员会 and 市农业农村局; 青湖区 with 发展和改革局 and 桃源镇."""
    return {
        "fgw": OrgUnitFactory(name="市发展和改革委员会", parent=world.city_a),
        "nyj": OrgUnitFactory(name="市农业农村局", parent=world.city_a),
        "qh_fgj": OrgUnitFactory(name="发展和改革局", parent=world.county_a),
        "town": OrgUnitFactory(name="桃源镇", kind=OrgUnit.Kind.TOWNSHIP, parent=world.county_a),
        # the same department of another city: never offered inside a 云江市 program
        "lc_fgw": OrgUnitFactory(name="市发展和改革委员会", parent=world.city_b),
    }


def _roster(rows, header=("姓名", "单位", "手机号码")):
    def build(ws):
        ws.append(list(header))
        for r in rows:
            ws.append(list(r))

    return upload(workbook_bytes(build))


def _preview(world, rows, **kw):
    return services.import_preview_create(
        program=world.program, upload=_roster(rows, **kw), by=world.organizer
    )


# ---- units -------------------------------------------------------------------------------------


def test_full_and_city_less_forms_match_exactly(world, tree):
    batch = _preview(
        world,
        [
            ("甲一", "云江市发展和改革委员会", "13700000001"),
            ("甲二", "市发展和改革委员会", "13700000002"),
            ("甲三", "青湖区发展和改革局", "13700000003"),
            ("甲四", "青湖区桃源镇人民政府", "13700000004"),
        ],
    )
    assert [r["action"] for r in batch.rows] == ["new"] * 4
    assert [r["unit_id"] for r in batch.rows] == [
        tree["fgw"].pk,
        tree["fgw"].pk,
        tree["qh_fgj"].pk,
        tree["town"].pk,
    ]


def test_an_unknown_department_never_becomes_its_city(world, tree):
    row = _preview(world, [("乙一", "云江市文化和旅游局", "13700000011")]).rows[0]
    assert row["action"] == "error" and row["unit_unknown"] and row["unit_id"] is None
    assert any("找不到单位" in e for e in row["errors"])


def test_suggestions_understand_abbreviations_and_stay_in_the_program_territory(world, tree):
    units = list(OrgUnit.objects.filter(path__startswith=world.city_a.path))
    by_id = {u.pk: u for u in units}
    assert "云江市发展和改革委员会" in unit_forms(tree["fgw"], by_id)
    assert suggest_units("市发改委", units, by_id)[0] == tree["fgw"]
    assert suggest_units("发改委", units, by_id)[0] == tree["fgw"]
    assert suggest_units("市农业局", units, by_id)[0] == tree["nyj"]
    assert tree["lc_fgw"] not in suggest_units("市发改委", units, by_id)


def test_the_preview_page_offers_matches_and_one_choice_fixes_every_row(world, tree, client_for):
    batch = _preview(
        world,
        [
            ("丙一", "市发改委", "13700000021"),
            ("丙二", "市发改委", "13700000022"),
            ("丙三", "火星镇", "13700000023"),
        ],
    )
    client = client_for(world.organizer)
    page = client.get(reverse("enrollment:import_preview", args=[batch.pk]))
    body = page.content.decode()
    assert page.status_code == 200 and "单位待确认" in body and "市发改委" in body
    assert f'value="{tree["fgw"].pk}"' in body
    r = client.post(
        reverse("enrollment:import_unit_resolve", args=[batch.pk]),
        {"text": "市发改委", "unit": tree["fgw"].pk},
    )
    assert r.status_code == 302
    batch.refresh_from_db()
    assert [r["action"] for r in batch.rows] == ["new", "new", "error"]
    assert {r["unit_id"] for r in batch.rows[:2]} == {tree["fgw"].pk}
    alias = UnitAlias.objects.get(text="市发改委")
    assert alias.unit == tree["fgw"] and alias.scope == world.city_a
    assert alias.created_by == world.organizer
    assert AuditLog.objects.filter(action="enrollment.unit_alias").exists()
    # The next roster knows it.
    again = _preview(world, [("丙四", "市发改委", "13700000024")])
    assert again.rows[0]["action"] == "new" and again.rows[0]["unit_id"] == tree["fgw"].pk


def test_a_unit_outside_the_program_territory_cannot_be_chosen(world, tree):
    batch = _preview(world, [("丁一", "市发改委", "13700000031")])
    with pytest.raises(DomainError, match="调训范围"):
        services.import_unit_resolve(
            batch=batch, text="市发改委", unit=tree["lc_fgw"], by=world.organizer
        )
    assert not UnitAlias.objects.exists()


# ---- ID numbers, inline edit -------------------------------------------------------------------


def _bad_check_digit(seq=5):
    good = id_number(seq)
    return good[:17] + ("1" if good[17] != "1" else "2")


def test_a_wrong_check_digit_is_a_warning_when_the_phone_identifies_the_person(world):
    person = UserFactory(full_name="戊一", phone="13700000041", id_number=id_number(5))
    batch = _preview(
        world,
        [("戊一", "青湖区", "13700000041", _bad_check_digit())],
        header=("姓名", "单位", "手机号码", "身份证号"),
    )
    row = batch.rows[0]
    assert row["action"] == "match" and row["user_id"] == person.pk
    assert "校验位" in row["id_warning"] and any("校验位" in w for w in row["warnings"])
    services.import_commit(batch=batch, by=world.organizer, create_missing=False)
    person.refresh_from_db()
    assert person.id_number == id_number(5)  # imported on the identity in the system
    assert Enrollment.objects.get(program=world.program, user=person).status == S.ENROLLED


def test_a_wrong_check_digit_blocks_a_new_person_until_corrected_inline(world, client_for):
    batch = _preview(
        world,
        [("戊二", "青湖区", "13700000042", _bad_check_digit(6))],
        header=("姓名", "单位", "手机号码", "身份证号"),
    )
    assert batch.rows[0]["action"] == "error"
    page = client_for(world.organizer).get(reverse("enrollment:import_preview", args=[batch.pk]))
    assert "en-field-warn" in page.content.decode() or "校验位" in page.content.decode()
    cells = {k: batch.rows[0].get(k, "") for k in ("name", "unit", "position", "phone")}
    r = client_for(world.organizer).post(
        reverse("enrollment:import_row_edit", args=[batch.pk, batch.rows[0]["row"]]),
        {**cells, "id_number": id_number(6), "rank_text": "", "gender": "", "staff_number": ""},
    )
    assert r.status_code == 302
    batch.refresh_from_db()
    assert batch.rows[0]["action"] == "new" and batch.rows[0]["id_number"] == id_number(6)
    assert batch.rows[0]["unit_id"] == world.county_a.pk


# ---- unused columns, 备注 -----------------------------------------------------------------------


def test_unused_columns_are_reported_and_the_note_is_kept(world, client_for):
    person = UserFactory(full_name="己一", phone="13700000051")

    def build(ws):
        ws.append(["序号", "姓名", "手机号码", "备注", "政治面貌"])
        ws.append([1, "己一", "13700000051", "班长", "中共党员"])

    batch = services.import_preview_create(
        program=world.program, upload=upload(workbook_bytes(build)), by=world.organizer
    )
    assert batch.unused_columns == ["政治面貌"]  # 序号 carries nothing
    assert batch.rows[0]["note"] == "班长"
    page = client_for(world.organizer).get(reverse("enrollment:import_preview", args=[batch.pk]))
    assert "政治面貌" in page.content.decode()
    services.import_commit(batch=batch, by=world.organizer, create_missing=False)
    assert Enrollment.objects.get(program=world.program, user=person).roster_note == "班长"
    roster = client_for(world.organizer).get(reverse("enrollment:roster", args=[world.program.pk]))
    assert "班长" in roster.content.decode()


# ---- login names, what a confirmation needs, stale previews -----------------------------------


def test_new_accounts_get_a_login_name_that_is_not_personal_data(world):
    existing = UserFactory(full_name="庚一", phone="13700000061", username="gengyi")
    batch = _preview(
        world,
        [("庚一", "青湖区", "13700000061", ""), ("庚二", "青湖区", "13700000062", id_number(7))],
        header=("姓名", "单位", "手机号码", "身份证号"),
    )
    services.import_commit(batch=batch, by=world.organizer, create_missing=True)
    new = User.objects.get(full_name="庚二")
    assert re.fullmatch(r"u\d{8}", new.username)
    assert id_number(7) not in new.username and "13700000062" not in new.username
    existing.refresh_from_db()
    assert existing.username == "gengyi"


def test_unticked_create_accounts_says_what_is_needed(world):
    batch = _preview(world, [("辛一", "青湖区", "13700000071")])
    with pytest.raises(DomainError, match="创建账号") as exc:
        services.import_commit(batch=batch, by=world.organizer, create_missing=False)
    assert exc.value.code == "needs_accounts"
    assert "没有可以导入的人员" not in exc.value.message


def test_a_stale_preview_is_refused_and_refreshed(world):
    batch = _preview(world, [("壬一", "青湖区", "13700000081")])
    assert batch.rows[0]["action"] == "new"
    # Meanwhile someone with that phone number is added: the row would now be a match.
    person = UserFactory(full_name="壬一", phone="13700000081")
    with pytest.raises(DomainError, match="重新核对") as exc:
        services.import_commit(batch=batch, by=world.organizer, create_missing=True)
    assert exc.value.code == "stale"
    assert not Enrollment.objects.filter(program=world.program, user=person).exists()
    batch.refresh_from_db()
    assert batch.rows[0]["action"] == "match"  # the preview now shows the current state
    services.import_commit(batch=batch, by=world.organizer, create_missing=True)
    assert Enrollment.objects.get(program=world.program, user=person).status == S.ENROLLED


def test_a_confirmation_against_an_older_page_is_stale(world, client_for):
    batch = _preview(world, [("癸一", "青湖区", "13700000091")])
    r = client_for(world.organizer).post(
        reverse("enrollment:import_confirm", args=[batch.pk]),
        {"create_missing": "1", "preview_hash": "0" * 64},
        follow=True,
    )
    assert "重新核对" in r.content.decode()
    batch.refresh_from_db()
    assert batch.status == ImportBatch.Status.PREVIEW


# ---- closed programs ---------------------------------------------------------------------------


@pytest.mark.parametrize("status", [Program.Status.COMPLETED, Program.Status.ARCHIVED])
def test_a_closed_program_refuses_roster_changes(world, status):
    batch = _preview(world, [("子一", "青湖区", "13700000101")])
    Program.objects.filter(pk=world.program.pk).update(status=status)
    with pytest.raises(DomainError) as exc:
        services.import_commit(batch=batch, by=world.organizer, create_missing=True)
    assert exc.value.code == "program_closed"
    with pytest.raises(DomainError):
        _preview(world, [("子二", "青湖区", "13700000102")])
    assert not User.objects.filter(full_name__in=["子一", "子二"]).exists()


def test_the_preview_page_costs_the_same_for_few_or_many_unknown_units(world, tree, client_for):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = client_for(world.organizer)
    counts = []
    for n in (2, 20):
        rows = [(f"丑{i}", f"某某局{n}-{i}", f"136{n:02d}{i:06d}") for i in range(n)]
        batch = _preview(world, rows)
        url = reverse("enrollment:import_preview", args=[batch.pk])
        client.get(url)  # warm the session and caches
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(url).status_code == 200
        counts.append(len(ctx.captured_queries))
    assert counts[0] == counts[1], counts


def test_a_tree_holding_full_names_is_matched_the_same_way(world):
    """The demo tree stores 云江市发展和改革委员会 (the parent's name inside the unit's own)."""
    full = OrgUnitFactory(name="云江市发展和改革委员会", parent=world.city_a)
    edu = OrgUnitFactory(name="云江市教育局", parent=world.city_a)
    units = list(OrgUnit.objects.filter(path__startswith=world.city_a.path))
    by_id = {u.pk: u for u in units}
    assert {"云江市发展和改革委员会", "市发展和改革委员会"} <= unit_forms(full, by_id)
    assert "云江市云江市发展和改革委员会" not in unit_forms(full, by_id)
    assert suggest_units("市发改委", units, by_id)[0] == full
    batch = _preview(
        world, [("寅一", "市教育局", "13700000111"), ("寅二", "发改委", "13700000112")]
    )
    assert batch.rows[0]["unit_id"] == edu.pk
    assert batch.rows[1]["unit_unknown"]


def test_the_unit_picker_labels_do_not_double_a_parent_name(world):
    """QA: with the province above, the picker showed 云江省云江市云江市发展和改革委员会 (the city's
    name twice) for a unit whose stored name already holds its parent's."""
    from enrollment.imports.selectors import import_unknown_units
    from tests.enrollment.factories import ImportBatchFactory

    full = OrgUnitFactory(name="云江市发展和改革委员会", parent=world.city_a)
    town = OrgUnitFactory(name="青湖区桃源镇", parent=world.county_a)
    units = list(OrgUnit.objects.filter(path__startswith=world.province.path))
    by_id = {u.pk: u for u in units}
    for unit in (full, town):
        forms = unit_forms(unit, by_id)
        assert not any("云江市云江市" in f or "青湖区青湖区" in f for f in forms), forms
    assert "云江省云江市发展和改革委员会" in unit_forms(full, by_id)
    batch = ImportBatchFactory(
        program=world.program,
        rows=[{"row": 2, "unit": "市发改委", "unit_unknown": True}],
    )
    (unknown,) = import_unknown_units(batch)
    labels = [label for _pk, label in unknown["choices"]] + [
        label for _pk, label in unknown["suggestions"]
    ]
    assert not any("云江市云江市" in label for label in labels), labels
