"""The online college's yearly export: preview, matching by identity, all-or-nothing confirm,
idempotent re-import, the report of unmatched rows, and bad files."""

import io
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import Workbook

from core.errors import DomainError
from credits.models import CreditEntry, OnlineImport
from credits.services import online_import_commit, online_import_preview
from tests.credits.factories import entry_for

pytestmark = pytest.mark.django_db
HEADER = ["序号", "姓名", "身份证号", "手机号码", "课程名称", "学时", "完成日期"]
ID_A = "11010519491231002X"  # a valid check digit


def xlsx(rows, header=HEADER, name="网络学院2026.xlsx"):
    wb = Workbook()
    ws = wb.active
    ws.append(header)
    for r in rows:
        ws.append(r)
    buf = io.BytesIO()
    wb.save(buf)
    return SimpleUploadedFile(name, buf.getvalue())


def csv_file(text, name="export.csv"):
    return SimpleUploadedFile(name, text.encode("utf-8-sig"), content_type="text/csv")


@pytest.fixture
def people(world):
    world.trainee.id_number = ID_A
    world.trainee.save()
    return world


def test_rows_match_by_id_or_phone_and_confirm_records_them_once(people, world):
    rows = [
        [1, "学员张三", ID_A, "", "党的二十届三中全会精神解读", 2, "2026-03-01"],
        [2, "学员李四", "", world.other_trainee.phone, "数字政府建设", "1.5", "2026/04/02"],
        [3, "查无此人", "", "13800000000", "乡村振兴", 1, "2026-04-03"],
        [4, "王五", ID_A, "", "证件与姓名不符", 1, "2026-04-03"],
    ]
    batch = online_import_preview(upload=xlsx(rows), by=world.admin)
    assert [r["user_id"] for r in batch.rows] == [
        world.trainee.pk,
        world.other_trainee.pk,
        None,
        None,
    ]
    assert "没有此人" in batch.rows[2]["unmatched"] and "不符" in batch.rows[3]["unmatched"]
    assert not CreditEntry.objects.exists()  # a preview records nothing
    assert online_import_commit(batch=batch, by=world.admin) == 2
    entries = CreditEntry.objects.order_by("pk")
    assert [(e.user_id, e.hours, e.status, e.kind) for e in entries] == [
        (world.trainee.pk, Decimal("2.0"), "approved", "online"),
        (world.other_trainee.pk, Decimal("1.5"), "approved", "online"),
    ]
    with pytest.raises(DomainError, match="已确认"):
        online_import_commit(batch=batch, by=world.admin)
    # the same file again: every course record is known, nothing counts twice
    again = online_import_preview(upload=xlsx(rows), by=world.admin)
    assert sum(1 for r in again.rows if r["known"] == "recorded") == 2
    with pytest.raises(DomainError, match="没有可导入的新记录"):
        online_import_commit(batch=again, by=world.admin)
    assert CreditEntry.objects.count() == 2


def test_a_row_repeated_in_the_file_counts_once(people, world):
    row = ["", "学员张三", ID_A, "", "廉政教育", 1, "2026-05-01"]
    batch = online_import_preview(upload=xlsx([row, row]), by=world.admin)
    assert online_import_commit(batch=batch, by=world.admin) == 1


def test_a_record_filed_by_hand_is_not_imported_again(people, world):
    entry_for(
        world.trainee,
        kind="online",
        title="廉政教育",
        start_date=__import__("datetime").date(2026, 5, 1),
    )
    batch = online_import_preview(
        upload=csv_file(
            f"姓名,身份证号,课程名称,学时,完成日期\n学员张三,{ID_A},廉政教育,1,2026-05-01\n"
        ),
        by=world.admin,
    )
    assert batch.rows[0]["known"] == "recorded"


@pytest.mark.parametrize(
    "cell, message",
    [("abc", "不是数字"), ("NaN", "大于 0"), ("-1", "大于 0"), ("1000.1", "大于 0")],
)
def test_malformed_hours_block_the_whole_import(people, world, cell, message):
    rows = [
        ["", "学员张三", ID_A, "", "课程甲", 2, "2026-03-01"],
        ["", "学员张三", ID_A, "", "课程乙", cell, "2026-03-02"],
    ]
    batch = online_import_preview(upload=xlsx(rows), by=world.admin)
    assert message in batch.rows[1]["problem"]
    with pytest.raises(DomainError, match="第 3 行"):
        online_import_commit(batch=batch, by=world.admin)
    assert not CreditEntry.objects.exists()


@pytest.mark.parametrize(
    "upload, message",
    [
        (SimpleUploadedFile("a.xlsx", b"MZ" + b"\x00" * 100), "Excel"),
        (csv_file("名字,课程\n张三,课\n"), "缺少必需的列"),
        (csv_file("\n\n"), "空"),
    ],
)
def test_bad_files_are_refused_with_a_message(world, upload, message):
    with pytest.raises(DomainError, match=message):
        online_import_preview(upload=upload, by=world.admin)
    assert not OnlineImport.objects.exists()


def test_only_the_organization_department_imports(world, client_for):
    for user in (world.organizer, world.liaison, world.trainee):
        assert client_for(user).get(reverse("credits:import")).status_code == 403


def test_the_pages_preview_then_confirm(people, world, client_for):
    c = client_for(world.admin)
    rows = [
        ["", "学员张三", ID_A, "", "课程甲", 2, "2026-03-01"],
        ["", "查无此人", "", "13800000001", "课程乙", 1, "2026-03-01"],
    ]
    r = c.post(reverse("credits:import"), {"file": xlsx(rows)})
    batch = OnlineImport.objects.get()
    assert r.status_code == 302 and r["Location"] == reverse(
        "credits:import_preview", args=[batch.pk]
    )
    page = c.get(r["Location"]).content.decode()
    assert "查无此人" in page and "系统中没有此人" in page and "确认导入 1 条" in page
    r = c.post(reverse("credits:import_confirm", args=[batch.pk]), follow=True)
    assert "已导入 1 条" in r.content.decode()
    assert CreditEntry.objects.filter(user=world.trainee, title="课程甲").exists()
