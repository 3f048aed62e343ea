"""The nomination notice pages: the host drafts, sends and follows replies; a liaison opening the
notice or its PDF marks it read and may decline; the host page's queries do not grow with units."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from enrollment.models import NominationNotice, NoticeReceipt
from tests.enrollment.factories import QuotaFactory
from tests.enrollment.test_notices_flow import prepare, sent
from tests.factories import OrgUnitFactory, UserFactory

pytestmark = pytest.mark.django_db


def form_data(w, **over):
    data = {
        "doc_number": "云组干调〔2026〕12号",
        "title": f"关于举办{w.program.title}的通知",
        "body": "经研究,决定举办本班。\n一、培训时间:……",
        "reply_deadline": (timezone.localtime() + dt.timedelta(days=5)).strftime("%Y-%m-%dT%H:%M"),
        "contact": "王老师,0871-6000000",
        "issuing_unit": "云江市委组织部",
        "issue_date": timezone.localdate().isoformat(),
    }
    data.update(over)
    return data


def test_host_drafts_saves_and_sends(world, client_for):
    w = prepare(world)
    c = client_for(w.organizer)
    url = reverse("enrollment:notice", args=[w.program.pk])
    page = c.get(url)
    assert page.status_code == 200
    assert f"关于举办{w.program.title}的通知" in page.content.decode()  # drafted from the program

    bad = c.post(url, form_data(w, doc_number=""))
    assert bad.status_code == 200 and not NominationNotice.objects.exists()

    assert c.post(url, form_data(w)).status_code == 302
    notice = NominationNotice.objects.get(program=w.program)
    assert notice.status == NominationNotice.Status.DRAFT

    r = c.post(reverse("enrollment:notice_send", args=[w.program.pk]), follow=True)
    assert "已发送至 2 个单位" in r.content.decode()
    notice.refresh_from_db()
    assert notice.status == NominationNotice.Status.SENT
    page = c.get(url).content.decode()
    assert "各单位回执" in page and "待报送" in page and "未阅" in page

    # a sent notice is not changed through the form
    c.post(url, form_data(w, doc_number="改过的文号"))
    notice.refresh_from_db()
    assert notice.doc_number == "云组干调〔2026〕12号"


def test_send_without_a_saved_notice_says_so(world, client_for):
    w = prepare(world)
    r = client_for(w.organizer).post(
        reverse("enrollment:notice_send", args=[w.program.pk]), follow=True
    )
    assert "请先保存调训通知" in r.content.decode()


def test_the_liaison_opening_the_notice_marks_it_read_the_host_does_not(world, client_for):
    w = prepare(world)
    notice = sent(w)
    receipt = NoticeReceipt.objects.get(notice=notice, unit=w.county_a)
    url = reverse("enrollment:notice_receipt", args=[receipt.pk])
    assert client_for(w.organizer).get(url).status_code == 200
    receipt.refresh_from_db()
    assert receipt.read_at is None
    page = client_for(w.liaison).get(url).content.decode()
    assert notice.doc_number in page and reverse("enrollment:quota", args=[w.q_county.pk]) in page
    receipt.refresh_from_db()
    assert receipt.read_at and receipt.read_by == w.liaison
    host = client_for(w.organizer).get(reverse("enrollment:notice", args=[w.program.pk]))
    assert "已阅 1 / 2" in host.content.decode()


def test_the_pdf_download_is_a_reading_too(world, client_for):
    w = prepare(world)
    notice = sent(w)
    r = client_for(w.dept_liaison).get(reverse("enrollment:notice_pdf", args=[w.program.pk]))
    assert r.status_code == 200 and r["Content-Type"] == "application/pdf"
    assert r.content.startswith(b"%PDF") and r["Cache-Control"] == "private, no-store"
    assert NoticeReceipt.objects.get(notice=notice, unit=w.dept_a).read_by == w.dept_liaison
    assert NoticeReceipt.objects.get(notice=notice, unit=w.county_a).read_at is None


def test_the_liaison_declines_with_a_reason(world, client_for):
    w = prepare(world)
    notice = sent(w)
    receipt = NoticeReceipt.objects.get(notice=notice, unit=w.county_a)
    c = client_for(w.liaison)
    url = reverse("enrollment:notice_decline", args=[receipt.pk])
    r = c.post(url, {"reason": " "}, follow=True)
    assert "请填写不能参训的原因" in r.content.decode()
    receipt.refresh_from_db()
    assert receipt.declined_at is None
    c.post(url, {"reason": "主要负责同志参加防汛工作"})
    receipt.refresh_from_db()
    assert receipt.declined_by == w.liaison and receipt.decline_reason == "主要负责同志参加防汛工作"
    host = client_for(w.organizer).get(reverse("enrollment:notice", args=[w.program.pk]))
    assert "主要负责同志参加防汛工作" in host.content.decode()


def test_host_page_queries_do_not_grow_with_units(world, client_for):
    w = prepare(world)
    notice = sent(w)
    c = client_for(w.organizer)
    url = reverse("enrollment:notice", args=[w.program.pk])
    c.get(url)  # warm caches
    counts = []
    for n in (3, 30):
        for i in range(n):
            unit = OrgUnitFactory(parent=w.city_a)
            QuotaFactory(program=w.program, unit=unit, seats=2)
            r = NoticeReceipt.objects.create(notice=notice, unit=unit, sent_at=timezone.now())
            if i % 2:
                NoticeReceipt.objects.filter(pk=r.pk).update(
                    read_at=timezone.now(), read_by=UserFactory(unit=unit)
                )
        with CaptureQueriesContext(connection) as ctx:
            assert c.get(url).status_code == 200
        counts.append(len(ctx.captured_queries))
    assert counts[0] == counts[1], counts
