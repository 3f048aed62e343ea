"""Roster import with the files offices really send, built here with openpyxl."""

import re

import pytest
from django.test import override_settings

from accounts.models import Gender, OrgUnit, Rank, User
from core.errors import DomainError
from enrollment import services
from enrollment.imports.parse import parse_roster
from enrollment.models import Enrollment, ImportBatch
from programs.models import Program
from tests.enrollment.factories import id_number, id_number_ending_x, upload, workbook_bytes
from tests.factories import OrgUnitFactory, UserFactory

pytestmark = pytest.mark.django_db
S = Enrollment.Status
TITLE = "云江市乡镇党政正职专题培训班学员名册"


def messy_roster(ws, *, rows=None, footer=True):
    """Title row merged over the width, a subtitle, a header in an unusual order with stray
    spaces and line breaks, a unit merged down two rows, a blank row and a 填表人 footer."""
    ws.append([TITLE])
    ws.merge_cells("A1:I1")
    ws.append(["报送单位:青湖区委组织部", None, None, None, None, None, "2026年3月1日"])
    ws.append(
        ["序号", "身份证号", "姓  名", "性别", "工作单位", "职务", "职级", "手机\n号码", "备注"]
    )
    for r in rows or []:
        ws.append(r)
    if footer:
        ws.append([None] * 9)
        ws.append(["填表人:沈书瑶", None, None, None, "联系电话:0871-6543210"])
        ws.append(["审核人:周晓岚"])


@pytest.fixture
def people(world):
    zhang = UserFactory(full_name="张三", phone="13912345678", unit=world.county_a)
    li = UserFactory(
        full_name="李四", id_number=id_number_ending_x(), unit=world.county_a, phone=""
    )
    wang = UserFactory(full_name="王五", staff_number="YJ000123", unit=world.county_a)
    town = OrgUnitFactory(name="桃源镇", kind=OrgUnit.Kind.TOWNSHIP, parent=world.county_a)
    return {"zhang": zhang, "li": li, "wang": wang, "town": town}


def messy_file(people, *, extra=()):
    lower_x = people["li"].id_number.lower()
    rows = [
        # name padded with a full-width space, phone stored as a number
        [1, None, "张\u3000三", "男", "青湖区", "镇长", "正科", 13912345678, None],
        # ID with a lower-case trailing x, unit merged with the row above
        [2, lower_x, "李四", "女", None, "副镇长", "副科级", None, None],
        [None] * 9,  # a blank row inside the data
        # a new person: phone stored as a float, unit written in full
        [
            3,
            id_number(7),
            " 赵六 ",
            "男",
            "青湖区桃源镇人民政府",
            "党委书记",
            "乡科级",
            13800001111.0,
            None,
        ],
        *extra,
    ]

    def build(ws):
        messy_roster(ws, rows=rows)
        ws.merge_cells("E4:E5")  # 青湖区 written once for 张三 and 李四

    return upload(workbook_bytes(build))


# ---- parsing ---------------------------------------------------------------------------------


def test_parser_finds_the_header_below_the_title_and_cleans_every_quirk(world, people):
    parsed = parse_roster(messy_file(people))
    assert parsed.header_row == 3
    assert set(parsed.columns) >= {
        "name",
        "unit",
        "position",
        "rank",
        "phone",
        "id_number",
        "gender",
    }
    names = [r["name"] for r in parsed.rows]
    assert names == ["张三", "李四", "赵六"]  # blank row and footer rows gone
    zhang, li, zhao = parsed.rows
    assert zhang["phone"] == "13912345678" and zhang["gender"] == Gender.MALE
    assert zhang["rank"] == Rank.SECTION
    assert li["unit"] == "青湖区"  # filled from the merged cell above
    assert li["id_number"].endswith("X") and li["errors"] == []
    assert zhao["phone"] == "13800001111"
    assert zhao["row"] == 7  # rows are reported with their Excel row numbers


def test_columns_are_matched_by_header_name_in_any_order(world):
    def build(ws):
        ws.append(["手机号码", "职务", "姓名", "单位"])
        ws.append(["13700000000", "科长", "钱七", "青湖区"])

    parsed = parse_roster(upload(workbook_bytes(build)))
    assert parsed.header_row == 1
    assert parsed.rows[0]["name"] == "钱七" and parsed.rows[0]["phone"] == "13700000000"


def test_id_number_stored_as_a_number_is_refused_for_that_row(world):
    def build(ws):
        ws.append(["姓名", "身份证号"])
        ws.append(["孙八", 530102198501010000])

    row = parse_roster(upload(workbook_bytes(build))).rows[0]
    assert any("存成了数字" in e for e in row["errors"])


def test_bad_phone_and_bad_id_checksum_are_row_errors(world):
    bad_id = id_number(3)[:17] + ("1" if not id_number(3).endswith("1") else "2")

    def build(ws):
        ws.append(["姓名", "手机号码", "身份证号"])
        ws.append(["周九", "1391234", bad_id])

    row = parse_roster(upload(workbook_bytes(build))).rows[0]
    assert any("11 位" in e for e in row["errors"])
    # a wrong check digit is decided when matching (a typo of someone the phone identifies)
    assert "校验位" in row["id_error"]


def test_a_workbook_without_a_recognisable_header_is_refused(world):
    def build(ws):
        ws.append(["培训需求调查"])
        ws.append(["问题", "答案"])
        ws.append(["课程是否解渴", "是"])

    with pytest.raises(DomainError, match="没有找到表头") as exc:
        parse_roster(upload(workbook_bytes(build)))
    assert exc.value.code == "no_header"


def test_a_file_that_is_not_excel_is_refused_by_its_content_not_its_name(world):
    with pytest.raises(DomainError, match="只接受 Excel"):
        parse_roster(upload("姓名,单位\n张三,青湖区\n".encode(), name="名册.xlsx"))


def test_legacy_xls_gets_its_own_message(world):
    with pytest.raises(DomainError, match=r"\.xls"):
        parse_roster(upload(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600, name="名册.xls"))


def test_a_broken_xlsx_is_refused(world):
    with pytest.raises(DomainError, match="只接受 Excel"):
        parse_roster(upload(b"PK\x03\x04" + b"\0" * 100))


def test_an_oversized_file_is_refused_before_it_is_parsed(world):
    big = b"PK\x03\x04" + b"\0" * (20 * 1024 * 1024)
    with pytest.raises(DomainError, match="文件过大"):
        parse_roster(upload(big))


@override_settings(LECTERN_UPLOAD_MAX_BYTES=1024)
def test_the_size_limit_comes_from_settings(world):
    def build(ws):
        ws.append(["姓名"])
        for i in range(200):
            ws.append([f"学员{i}"])

    with pytest.raises(DomainError, match="文件过大"):
        parse_roster(upload(workbook_bytes(build)))


# ---- matching and preview --------------------------------------------------------------------


def test_preview_matches_by_phone_id_and_staff_number_and_marks_new_people(world, people):
    wang_row = [4, None, "王五", "男", "青湖区", "副镇长", "副科", None, None]

    def with_staff_number(ws):
        ws.append(["姓名", "工号", "单位"])
        ws.append(["王五", "YJ000123", "青湖区"])

    batch = services.import_preview_create(
        program=world.program, upload=messy_file(people, extra=[wang_row]), by=world.organizer
    )
    by_name = {r["name"]: r for r in batch.rows}
    assert by_name["张三"]["action"] == "match" and by_name["张三"]["user_id"] == people["zhang"].pk
    assert by_name["李四"]["action"] == "match" and by_name["李四"]["user_id"] == people["li"].pk
    assert by_name["赵六"]["action"] == "new" and by_name["赵六"]["user_unit"] == "桃源镇"
    # 王五 has no phone/ID/staff number in this file: a "new" person would be a duplicate,
    # but without a phone or ID number the row cannot create anyone.
    assert by_name["王五"]["action"] == "error"
    staff = services.import_preview_create(
        program=world.program, upload=upload(workbook_bytes(with_staff_number)), by=world.organizer
    )
    assert staff.rows[0]["action"] == "match" and staff.rows[0]["user_id"] == people["wang"].pk
    # Nothing but the previews was written.
    assert Enrollment.objects.filter(program=world.program).count() == 1
    assert ImportBatch.objects.count() == 2


def test_preview_flags_duplicates_conflicts_name_mismatch_and_unknown_units(world, people):
    other = UserFactory(full_name="吴十", phone="13600000000", unit=world.county_a)

    def build(ws):
        ws.append(["姓名", "手机号码", "身份证号", "单位"])
        ws.append(["张三", "13912345678", None, "青湖区"])
        ws.append(["张三", "13912345678", None, "青湖区"])  # the same person again
        ws.append(["李四", "13600000000", people["li"].id_number, "青湖区"])  # two people
        ws.append(["吴拾", "13600000000", None, "青湖区"])  # phone of 吴十, other name
        ws.append(["郑一", "13500000000", None, "火星镇"])  # unknown unit
        ws.append(["冯二", None, None, "青湖区"])  # new person without phone or ID

    rows = services.import_preview_create(
        program=world.program, upload=upload(workbook_bytes(build)), by=world.organizer
    ).rows
    assert [r["action"] for r in rows] == ["match", "error", "error", "error", "error", "error"]
    assert "重复" in rows[1]["errors"][0]
    assert any("不同人员" in e for e in rows[2]["errors"])
    assert any(other.full_name in e for e in rows[3]["errors"])
    assert any("火星镇" in e for e in rows[4]["errors"])
    assert any("手机号码或身份证号" in e for e in rows[5]["errors"])


def test_someone_already_enrolled_is_skipped(world):
    def build(ws):
        ws.append(["姓名", "手机号码"])
        ws.append([world.trainee.full_name, world.trainee.phone])

    rows = services.import_preview_create(
        program=world.program, upload=upload(workbook_bytes(build)), by=world.organizer
    ).rows
    assert rows[0]["action"] == "already"


# ---- commit ----------------------------------------------------------------------------------


def test_confirm_enrolls_matched_rows_and_creates_new_people_only_when_asked(world, people):
    batch = services.import_preview_create(
        program=world.program, upload=messy_file(people), by=world.organizer
    )
    services.import_commit(batch=batch, by=world.organizer, create_missing=False)
    enrolled = set(
        Enrollment.objects.filter(program=world.program, status=S.ENROLLED).values_list(
            "user__full_name", flat=True
        )
    )
    assert {"张三", "李四"} <= enrolled and "赵六" not in enrolled
    assert not User.objects.filter(full_name="赵六").exists()
    batch.refresh_from_db()
    assert batch.status == ImportBatch.Status.COMMITTED and batch.summary["skipped_new"] == 1
    with pytest.raises(DomainError, match="处理过"):
        services.import_commit(batch=batch, by=world.organizer, create_missing=True)


def test_confirm_with_create_missing_makes_the_account(world, people):
    batch = services.import_preview_create(
        program=world.program, upload=messy_file(people), by=world.organizer
    )
    services.import_commit(batch=batch, by=world.organizer, create_missing=True)
    zhao = User.objects.get(full_name="赵六")
    assert zhao.unit == people["town"] and zhao.phone == "13800001111"
    assert zhao.rank == Rank.SECTION and not zhao.has_usable_password()
    e = Enrollment.objects.get(program=world.program, user=zhao)
    assert e.status == S.ENROLLED and e.source == Enrollment.Source.IMPORT


def test_commit_beyond_capacity_writes_nothing(world, people):
    Program.objects.filter(pk=world.program.pk).update(capacity=2)  # trainee holds one seat
    batch = services.import_preview_create(
        program=world.program, upload=messy_file(people), by=world.organizer
    )
    with pytest.raises(DomainError, match="超过"):
        services.import_commit(batch=batch, by=world.organizer, create_missing=True)
    assert Enrollment.objects.filter(program=world.program).count() == 1
    assert not User.objects.filter(full_name="赵六").exists()
    batch.refresh_from_db()
    assert batch.status == ImportBatch.Status.PREVIEW


def test_an_applicant_in_the_file_becomes_enrolled_on_the_same_row(world, people):
    e = Enrollment.objects.create(
        program=world.program,
        user=people["zhang"],
        unit=world.county_a,
        status=S.APPLIED,
        source=Enrollment.Source.APPLICATION,
    )
    batch = services.import_preview_create(
        program=world.program, upload=messy_file(people), by=world.organizer
    )
    assert any("原状态" in w for r in batch.rows for w in r["warnings"])
    services.import_commit(batch=batch, by=world.organizer, create_missing=False)
    e.refresh_from_db()
    assert e.status == S.ENROLLED


def test_a_sent_back_nominee_in_the_file_is_reopened_as_a_fresh_start(world, people):
    """As a reopened nomination or application (_open_row): what the closed nomination left
    behind (quota, liaison, note, decision) does not stay on the imported row."""
    from enrollment.models import Quota

    quota = Quota.objects.create(program=world.program, unit=world.county_a, seats=3)
    e = Enrollment.objects.create(
        program=world.program,
        user=people["zhang"],
        unit=world.county_a,
        status=S.REJECTED,
        source=Enrollment.Source.NOMINATION,
        quota=quota,
        nominated_by=world.liaison,
        decided_by=world.organizer,
        decision_reason="职级不符",
        note="由 某某 替换",
    )
    batch = services.import_preview_create(
        program=world.program, upload=messy_file(people), by=world.organizer
    )
    services.import_commit(batch=batch, by=world.organizer, create_missing=False)
    e.refresh_from_db()
    assert (e.status, e.source) == (S.ENROLLED, Enrollment.Source.IMPORT)
    assert e.quota_id is None and e.nominated_by_id is None and e.decided_by_id is None
    assert e.decision_reason == "" and e.note == "" and e.unit_id == people["zhang"].unit_id


def test_cancel_writes_nothing_and_closes_the_batch(world, people):
    batch = services.import_preview_create(
        program=world.program, upload=messy_file(people), by=world.organizer
    )
    services.import_cancel(batch=batch, by=world.organizer)
    assert batch.status == ImportBatch.Status.CANCELLED
    assert Enrollment.objects.filter(program=world.program).count() == 1


def test_a_new_row_with_a_namesake_in_the_same_unit_is_flagged(world):
    def build(ws):
        ws.append(["姓名", "单位", "手机号码"])
        ws.append([world.trainee.full_name, "青湖区", "13700001234"])

    row = services.import_preview_create(
        program=world.program, upload=upload(workbook_bytes(build)), by=world.organizer
    ).rows[0]
    assert row["action"] == "new" and any("同名" in w for w in row["warnings"])


@pytest.mark.parametrize("value", [float("nan"), float("inf"), -5, 10**18, "  ", "＋86 139"])
def test_cell_cleaners_answer_with_an_error_not_an_exception(value):
    from enrollment.imports.parse import clean_id_number, clean_phone

    for cleaner in (clean_phone, clean_id_number):
        result, _error = cleaner(value)
        assert isinstance(result, str)


# ---- clean-up: uploaded rosters hold ID and phone numbers --------------------------------------


def test_nightly_purge_drops_abandoned_previews_and_clears_old_imported_rows(
    world, people, client_for
):
    import datetime as dt

    from django.urls import reverse
    from django.utils import timezone

    def preview():
        return services.import_preview_create(
            program=world.program, upload=messy_file(people), by=world.organizer
        )

    abandoned, fresh, imported, recent = preview(), preview(), preview(), preview()
    services.import_commit(batch=imported, by=world.organizer, create_missing=False)
    now = timezone.now()
    ImportBatch.objects.filter(pk=abandoned.pk).update(updated_at=now - dt.timedelta(days=8))
    ImportBatch.objects.filter(pk=imported.pk).update(
        committed_at=now - dt.timedelta(days=31), updated_at=now - dt.timedelta(days=31)
    )
    ImportBatch.objects.filter(pk=recent.pk).update(
        status=ImportBatch.Status.COMMITTED, committed_at=now - dt.timedelta(days=29)
    )
    secrets = [r[k] for r in imported.rows for k in ("id_number", "phone") if r.get(k)]
    assert secrets

    assert services.import_batches_purge(now=now) == {"deleted": 1, "cleared": 1}
    assert services.import_batches_purge(now=now) == {"deleted": 0, "cleared": 0}  # idempotent

    assert not ImportBatch.objects.filter(pk=abandoned.pk).exists()
    assert ImportBatch.objects.get(pk=fresh.pk).rows  # still being looked at
    imported.refresh_from_db()
    assert imported.rows == [] and imported.summary["skipped_new"] == 1  # the summary stays
    assert ImportBatch.objects.get(pk=recent.pk).rows

    page = client_for(world.organizer).get(reverse("enrollment:import_preview", args=[imported.pk]))
    body = page.content.decode()
    assert page.status_code == 200 and "已在导入 30 天后清除" in body
    assert not any(secret in body for secret in secrets)


def test_the_purge_is_on_the_beat_schedule():
    from config.celery import _collect_beat_schedule

    entry = _collect_beat_schedule()["enrollment-import-batches-purge"]
    assert entry["task"] == "enrollment.tasks.import_batches_purge"


# ---- the confirm step is bulk ------------------------------------------------------------------


def _big_roster(world, n: int, tag: str):
    """n rows: a third existing people matched by phone (one of them an applicant, one a
    withdrawn trainee), the rest new people of 青湖区; one new person's username clashes."""
    rows = []
    known = n // 3
    for i in range(n):
        name, phone = f"{tag}学员{i:03d}", f"139{tag}{i:07d}"
        if i < known:
            user = UserFactory(full_name=name, phone=phone, unit=world.county_a)
            if i == 0:
                Enrollment.objects.create(
                    program=world.program,
                    user=user,
                    unit=world.county_a,
                    status=S.APPLIED,
                    source=Enrollment.Source.APPLICATION,
                )
            if i == 1:
                Enrollment.objects.create(
                    program=world.program,
                    user=user,
                    unit=world.county_a,
                    status=S.WITHDRAWN,
                    source=Enrollment.Source.MANUAL,
                )
        elif i == known:
            UserFactory(username=f"r{phone}")  # the old scheme's name: unused now
        rows.append([i + 1, None, name, "男", "青湖区", "科员", "科员", phone, None])
    return upload(workbook_bytes(lambda ws: messy_roster(ws, rows=rows)))


def test_confirm_runs_the_same_queries_for_20_or_200_rows(world):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    n = 200
    Program.objects.filter(pk=world.program.pk).update(capacity=1000)
    counts = {}
    for size, tag in ((20, "1"), (n, "2")):
        batch = services.import_preview_create(
            program=world.program, upload=_big_roster(world, size, tag), by=world.organizer
        )
        by = User.objects.get(pk=world.organizer.pk)  # a fresh instance: no per-user caches
        with CaptureQueriesContext(connection) as ctx:
            services.import_commit(batch=batch, by=by, create_missing=True)
        counts[size] = len(ctx.captured_queries)
        batch.refresh_from_db()
        assert batch.summary["enrolled"] + batch.summary["created"] == size
        assert batch.summary["errors"] == 0
    assert counts[n] == counts[20] <= 30, counts
    assert Enrollment.objects.filter(program=world.program, status=S.ENROLLED).count() == 1 + 20 + n
    # New accounts' login names are not personal data (never the ID or phone number).
    created = User.objects.filter(full_name__in=[f"2学员{i:03d}" for i in range(n // 3, n)])
    assert created.count() == n - n // 3
    assert all(re.fullmatch(r"u\d{8}", u.username) for u in created)
    reopened = Enrollment.objects.get(program=world.program, user__full_name="2学员001")
    assert reopened.source == Enrollment.Source.IMPORT and reopened.status == S.ENROLLED
    from core.models import AuditLog

    assert AuditLog.objects.filter(action="enrollment.import").count() == 20 + n
