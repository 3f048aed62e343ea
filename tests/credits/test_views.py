"""The pages: filing with evidence, the two decisions, the record, the evidence download, the
compliance list with drill-down and the promotion check; query counts at two sizes."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import Rank
from credits.models import CreditEntry
from credits.services import rollup_rebuild
from tests.credits.factories import entry_for
from tests.credits.permissions_table import PDF
from tests.factories import AttendanceRecordFactory, SessionFactory, UserFactory

pytestmark = pytest.mark.django_db
D = Decimal
YEAR = 2026


def _form(**over):
    return {
        "cadre": "",
        "kind": "external_class",
        "title": "省委党校中青年干部培训班",
        "organizer_name": "省委党校",
        "start_date": "2026-05-11",
        "end_date": "2026-05-15",
        "category": "required",
        "mode": "full_time",
        "hours": "36",
        **over,
    }


def test_a_cadre_files_decisions_follow_and_the_record_counts_it(world, client_for):
    c = client_for(world.trainee)
    evidence = SimpleUploadedFile("结业证书.pdf", PDF, content_type="application/pdf")
    r = c.post(reverse("credits:entry_create"), _form(cadre=world.trainee.pk, evidence=evidence))
    entry = CreditEntry.objects.get()
    assert r.status_code == 302 and r["Location"] == reverse("credits:entry", args=[entry.pk])
    page = c.get(reverse("credits:mine") + f"?year={YEAR}").content.decode()
    assert "省委党校中青年干部培训班" in page and "待单位审核" in page

    r = client_for(world.liaison).post(
        reverse("credits:decide", args=[entry.pk]), {"decision": "approve"}
    )
    assert r.status_code == 302
    client_for(world.admin).post(
        reverse("credits:decide", args=[entry.pk]), {"decision": "approve"}
    )
    entry.refresh_from_db()
    assert entry.status == "approved"
    page = c.get(reverse("credits:mine") + f"?year={YEAR}").content.decode()
    assert "已认定" in page and "36.0 / 90.0" in page and "还差 54.0 学时" in page


def test_bad_input_is_shown_on_the_form_and_nothing_saved(world, client_for):
    c = client_for(world.trainee)
    for over, message in [
        ({"kind": "paper", "hours": "25"}, "超过上限"),
        ({"hours": "NaN"}, "数"),
        ({"end_date": "2026-05-01"}, "结束日期不能早于开始日期"),
        ({"evidence": SimpleUploadedFile("a.pdf", b"<html><script>x</script>")}, "PDF"),
    ]:
        data = _form(cadre=world.trainee.pk, evidence_link="https://example.org/x", **over)
        if "evidence" in over:
            data.pop("evidence_link")
        r = c.post(reverse("credits:entry_create"), data)
        assert r.status_code == 200 and message in r.content.decode(), over
    assert not CreditEntry.objects.exists()


def test_a_cadre_cannot_file_for_someone_else_through_the_form(world, client_for):
    r = client_for(world.trainee).post(
        reverse("credits:entry_create"),
        _form(cadre=world.other_trainee.pk, evidence_link="https://example.org/x"),
    )
    assert r.status_code == 200 and not CreditEntry.objects.exists()


def test_a_rejection_without_reason_is_refused_and_with_one_the_cadre_sees_it(world, client_for):
    entry = entry_for(world.trainee, status="unit_pending")
    c = client_for(world.liaison)
    r = c.post(reverse("credits:decide", args=[entry.pk]), {"decision": "reject"}, follow=True)
    assert "退回时请说明原因" in r.content.decode()
    c.post(reverse("credits:decide", args=[entry.pk]), {"decision": "reject", "reason": "证书不全"})
    page = client_for(world.trainee).get(reverse("credits:entry", args=[entry.pk])).content
    assert "证书不全" in page.decode() and "已退回" in page.decode()


def test_the_cadre_sees_no_decision_form_on_their_own_record(world, client_for):
    entry = entry_for(world.liaison, status="unit_pending")
    page = client_for(world.liaison).get(reverse("credits:entry", args=[entry.pk])).content
    assert "单位审核</h2>" not in page.decode()


def test_evidence_is_served_as_an_attachment_with_nosniff(world, client_for):
    from django.core.files.base import ContentFile

    entry = entry_for(world.trainee, status="unit_pending", title="带证书的记录")
    entry.evidence.save("evidence.pdf", ContentFile(PDF), save=True)
    r = client_for(world.liaison).get(reverse("credits:evidence", args=[entry.pk]))
    assert r.status_code == 200
    assert r["X-Content-Type-Options"] == "nosniff" and "attachment" in r["Content-Disposition"]
    assert b"".join(r.streaming_content) == PDF


def test_the_record_lists_lectern_sessions_through_evaluations_rule(world, client_for):
    start = dt.datetime(YEAR, 4, 2, 9, tzinfo=dt.UTC)
    s = SessionFactory(
        program=world.program, start=start, credit_hours=D("3"), topic="基层治理专题"
    )
    AttendanceRecordFactory(session=s, user=world.trainee)
    page = client_for(world.organizer).get(
        reverse("credits:record", args=[world.trainee.pk]) + f"?year={YEAR}"
    )
    text = page.content.decode()
    assert "基层治理专题" in text and "讲台课程" in text and "3.0 / 90.0" in text


def test_compliance_lists_who_is_behind_in_scope_with_drill_down(world, client_for):
    entry_for(world.trainee, hours=D("90"), title="达标")
    entry_for(world.trainee, kind="online", mode="online", hours=D("50"), title="网课")
    behind = UserFactory(full_name="未达标干部", unit=world.county_a, rank=Rank.SECTION)
    rollup_rebuild()  # the nightly rebuild (the list reads the rollup)
    page = client_for(world.organizer).get(reverse("credits:compliance") + f"?year={YEAR}")
    text = page.content.decode()
    assert "未达标干部" in text and "学员张三" not in text and "学员李四" not in text
    assert reverse("credits:record", args=[behind.pk]) in text
    all_rows = client_for(world.organizer).get(
        reverse("credits:compliance") + f"?year={YEAR}&all=on"
    )
    assert "学员张三" in all_rows.content.decode()
    outsider = client_for(world.outsider).get(reverse("credits:compliance") + f"?year={YEAR}")
    assert "未达标干部" not in outsider.content.decode()
    assert "学员李四" in outsider.content.decode()


def test_promotion_check_says_met_or_why_not(world, client_for):
    world.trainee.rank = Rank.COUNTY
    world.trainee.save()
    c = client_for(world.admin)
    url = reverse("credits:promotion", args=[world.trainee.pk]) + f"?year={YEAR}"
    text = c.get(url).content.decode()
    assert "未达到" in text and "起的五年周期截至本年底应完成 550.0 学时" in text
    entry_for(world.trainee, hours=D("550"), start_date=dt.date(2023, 3, 1), title="长期培训")
    entry_for(world.trainee, kind="online", mode="online", hours=D("50"), title="网课")
    assert "已达到,可以提拔使用" in c.get(url).content.decode()


def _queries(client, url) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.parametrize(
    "role, url_name, with_pk",
    [
        ("admin", "credits:compliance", False),
        ("admin", "credits:review", False),
        ("organizer", "credits:record", True),
        ("trainee", "credits:mine", False),
    ],
)
def test_list_pages_take_the_same_queries_at_two_sizes(world, client_for, role, url_name, with_pk):
    c = client_for(getattr(world, role))
    url = reverse(url_name, args=[world.trainee.pk] if with_pk else []) + f"?year={YEAR}&all=on"

    def grow(n):
        for i in range(n):
            person = UserFactory(unit=world.county_a)
            for j in range(2):
                entry_for(person, title=f"培训{j}", status="unit_pending")
                entry_for(person, title=f"已认定{j}", kind="online", mode="online")
            entry_for(world.trainee, title=f"本人培训{n}-{i}", status="unit_pending")
            entry_for(world.trainee, title=f"本人认定{n}-{i}", kind="paper", hours=D("3"))
            s = SessionFactory(
                program=world.program, start=dt.datetime(YEAR, 3, 1 + i, tzinfo=dt.UTC)
            )
            AttendanceRecordFactory(session=s, user=world.trainee)
            AttendanceRecordFactory(session=s, user=person)

    grow(2)
    rollup_rebuild()
    small = _queries(c, url)
    grow(12)
    rollup_rebuild()
    assert _queries(c, url) == small


def test_a_lecturer_cadre_sees_the_sessions_they_taught_on_their_record(world, client_for):
    world.session.lecturers.clear()
    s = SessionFactory(
        program=world.program,
        start=dt.datetime(YEAR, 3, 5, 9, tzinfo=dt.UTC),
        credit_hours=D("3"),
        topic="乡村振兴政策解读",
    )
    s.lecturers.add(world.lecturer)
    text = (
        client_for(world.lecturer_user)
        .get(reverse("credits:mine") + f"?year={YEAR}")
        .content.decode()
    )
    assert "讲台授课" in text and "乡村振兴政策解读" in text and "6.0" in text


def test_compliance_pages_with_next_link_and_a_unit_picker(world, client_for, monkeypatch):
    from credits import selectors, views

    monkeypatch.setattr(views, "PAGE_SIZE", 2)
    monkeypatch.setattr(selectors, "COUNT_CAP", 3)
    for i in range(4):
        UserFactory(full_name=f"未达标{i}", unit=world.county_a, rank=Rank.SECTION)
    rollup_rebuild()
    c = client_for(world.admin)
    url = reverse("credits:compliance") + f"?year={YEAR}"
    first = c.get(url).content.decode()
    assert "超过 3 人" in first and "page=2" in first
    assert '<select name="unit"' not in first and reverse("credits:pick_units") in first
    last = c.get(url + "&page=999").content.decode()
    assert "page=998" in last and "page=1000" not in last
    found = c.get(reverse("credits:pick_units") + "?q=" + world.county_a.name[:2]).json()
    assert world.county_a.pk in [r["id"] for r in found["results"]]
    filtered = c.get(url + f"&unit={world.county_a.pk}").content.decode()
    assert world.county_a.name in filtered
