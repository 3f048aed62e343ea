"""Reconciliation (核对, issue 16 item 6): named but absent, present but not named, a decision
for each (不予认定学时 sets Enrollment.credit_withheld), closing and reopening, at every state;
the page and its Excel export."""

import io

import pytest
from django.urls import reverse

from core.errors import DomainError
from core.models import AuditLog
from enrollment import services
from enrollment.models import Enrollment, Reconciliation, ReconciliationDecision
from enrollment.selectors import reconciliation as sel
from tests.enrollment.factories import NominationFactory
from tests.enrollment.test_notices_flow import prepare, sent
from tests.factories import AttendanceRecordFactory, EnrollmentFactory

pytestmark = pytest.mark.django_db
D = ReconciliationDecision.Decision


def setup_class(w):
    """Notice sent; 青湖区 named two (one came, one did not) and one still unconfirmed who did
    not come; the world's trainee (added directly) came; another direct one did not."""
    prepare(w)
    sent(w)
    came = NominationFactory(quota=w.q_county, status=Enrollment.Status.ENROLLED)
    w.absent = NominationFactory(quota=w.q_county, status=Enrollment.Status.ENROLLED)
    w.pending = NominationFactory(quota=w.q_county)
    w.direct = Enrollment.objects.get(program=w.program, user=w.trainee)
    EnrollmentFactory(program=w.program)  # added directly, never came: on neither list
    for user in (came.user, w.trainee):
        AttendanceRecordFactory(session=w.session, user=user)
    return w


def test_the_two_lists(world):
    w = setup_class(world)
    listing = sel.reconciliation(w.program)
    assert {r.enrollment for r in listing.named_absent} == {w.absent, w.pending}
    assert [r.enrollment for r in listing.unnamed_present] == [w.direct]
    assert (listing.named, listing.attended, listing.undecided) == (3, 2, 3)
    assert listing.reconciliation is None and not listing.closed


def test_withheld_and_credited_set_the_flag_audited(world):
    w = setup_class(world)
    services.reconciliation_decide(enrollment=w.direct, decision=D.WITHHELD, by=w.organizer)
    w.direct.refresh_from_db()
    assert w.direct.credit_withheld
    services.reconciliation_decide(
        enrollment=w.direct, decision=D.CREDITED, note="经单位补报", by=w.organizer
    )
    w.direct.refresh_from_db()
    assert not w.direct.credit_withheld
    assert ReconciliationDecision.objects.get(enrollment=w.direct).note == "经单位补报"
    entries = AuditLog.objects.filter(action="enrollment.reconcile").order_by("id")
    assert [e.after["decision"] for e in entries] == ["withheld", "credited"]
    assert entries.last().before["decision"] == "withheld"


def test_bad_decisions_are_refused_with_nothing_written(world):
    w = setup_class(world)
    with pytest.raises(DomainError, match="有效"):
        services.reconciliation_decide(enrollment=w.absent, decision=D.WITHHELD, by=w.organizer)
    with pytest.raises(DomainError, match="替换"):
        services.reconciliation_decide(enrollment=w.absent, decision=D.SUBSTITUTED, by=w.organizer)
    with pytest.raises(DomainError, match="最多"):
        services.reconciliation_decide(
            enrollment=w.absent, decision=D.LEAVE, note="长" * 301, by=w.organizer
        )
    assert not ReconciliationDecision.objects.exists()
    w.absent.refresh_from_db()
    assert not w.absent.credit_withheld


def test_a_person_who_left_the_list_is_refused(world):
    w = setup_class(world)
    AttendanceRecordFactory(session=w.session, user=w.absent.user)  # marked late after all
    with pytest.raises(DomainError, match="已不在核对名单"):
        services.reconciliation_decide(enrollment=w.absent, decision=D.LEAVE, by=w.organizer)


def test_close_needs_every_row_then_locks_until_reopened(world):
    w = setup_class(world)
    services.reconciliation_decide(enrollment=w.absent, decision=D.LEAVE, by=w.organizer)
    with pytest.raises(DomainError, match="还有 2 人未处理"):
        services.reconciliation_close(program=w.program, by=w.organizer)
    services.reconciliation_decide(
        enrollment=w.pending, decision=D.SUBSTITUTED, note="由王五替换", by=w.organizer
    )
    services.reconciliation_decide(enrollment=w.direct, decision=D.WITHHELD, by=w.organizer)
    rec = services.reconciliation_close(program=w.program, by=w.organizer)
    assert rec.status == Reconciliation.Status.CLOSED and rec.closed_by == w.organizer
    assert AuditLog.objects.get(action="enrollment.reconcile_close").after["withheld"] == 1
    assert sel.reconciliation(w.program).closed
    with pytest.raises(DomainError, match="核对已完成"):
        services.reconciliation_decide(enrollment=w.direct, decision=D.CREDITED, by=w.organizer)
    with pytest.raises(DomainError, match="已完成"):
        services.reconciliation_close(program=w.program, by=w.organizer)
    with pytest.raises(DomainError, match="原因"):
        services.reconciliation_reopen(program=w.program, by=w.organizer, reason=" ")
    services.reconciliation_reopen(program=w.program, by=w.organizer, reason="补批请假")
    assert AuditLog.objects.get(action="enrollment.reconcile_reopen").reason == "补批请假"
    services.reconciliation_decide(enrollment=w.direct, decision=D.CREDITED, by=w.organizer)
    w.direct.refresh_from_db()
    assert not w.direct.credit_withheld
    with pytest.raises(DomainError, match="尚未完成"):
        services.reconciliation_reopen(program=w.program, by=w.organizer, reason="再开")


def test_no_sent_notice_no_reconciliation(world, client_for):
    w = prepare(world)
    direct = Enrollment.objects.get(program=w.program, user=w.trainee)
    with pytest.raises(DomainError, match="调训通知"):
        services.reconciliation_decide(enrollment=direct, decision=D.CREDITED, by=w.organizer)
    assert not Reconciliation.objects.exists()
    page = client_for(w.organizer).get(reverse("enrollment:reconciliation", args=[w.program.pk]))
    assert page.status_code == 404


def test_page_decide_and_export(world, client_for):
    from openpyxl import load_workbook

    w = setup_class(world)
    c = client_for(w.organizer)
    notice = c.get(reverse("enrollment:notice", args=[w.program.pk]))
    assert reverse("enrollment:reconciliation", args=[w.program.pk]) in notice.content.decode()
    page = c.get(reverse("enrollment:reconciliation", args=[w.program.pk]))
    assert page.status_code == 200
    html = page.content.decode()
    assert w.absent.user.full_name in html and w.trainee.full_name in html
    r = c.post(
        reverse("enrollment:reconciliation_decide", args=[w.program.pk]),
        {"enrollment": w.direct.pk, "decision": "withheld", "note": "未经批准替换"},
    )
    assert r.status_code == 302
    w.direct.refresh_from_db()
    assert w.direct.credit_withheld
    bad = c.post(
        reverse("enrollment:reconciliation_decide", args=[w.program.pk]),
        {"enrollment": "x", "decision": "withheld"},
    )
    assert bad.status_code == 404
    xlsx = c.get(reverse("enrollment:reconciliation_export", args=[w.program.pk]))
    assert xlsx.status_code == 200
    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    values = [c for row in sheet.iter_rows(values_only=True) for c in row if c]
    assert "不予认定学时" in values and "未经批准替换" in values and w.trainee.full_name in values
