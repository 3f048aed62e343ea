"""Editing and revoking approved records (audited, with a reason, the cadre notified), the
compliance rollup staying right through every change, the appointment date, the record's files
and the year-end reminders."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils import timezone

from accounts.models import Rank, Role, RoleGrant
from core.errors import DomainError
from core.models import AuditLog, GeneratedFile, Notification
from credits import reminders, services
from credits.models import CreditYearRollup
from credits.services import EntryData
from tests.credits.factories import entry_for
from tests.factories import AttendanceRecordFactory, SessionFactory, UserFactory

pytestmark = pytest.mark.django_db
D = Decimal
YEAR = timezone.localdate().year


def _data(entry, **over):
    fields = {
        "kind": entry.kind,
        "title": entry.title,
        "start_date": entry.start_date,
        "end_date": entry.end_date,
        "category": entry.category,
        "mode": entry.mode,
        "organizer_name": entry.organizer_name,
        "hours": entry.hours,
        **over,
    }
    return EntryData(**fields)


def _row(user, year=YEAR):
    return CreditYearRollup.objects.get(user=user, year=year)


def test_an_approved_record_is_edited_with_a_reason_audited_and_notified(world):
    entry = entry_for(world.trainee, start_date=dt.date(YEAR, 3, 1), hours=D("30"))
    services.rollup_rebuild()
    assert _row(world.trainee).year_total == D("30")
    with pytest.raises(DomainError, match="原因"):
        services.entry_edit(
            entry=entry, data=_data(entry, hours=D("20")), reason=" ", by=world.admin
        )
    with pytest.raises(PermissionDenied):
        services.entry_edit(
            entry=entry, data=_data(entry, hours=D("20")), reason="证书学时有误", by=world.liaison
        )
    services.entry_edit(
        entry=entry, data=_data(entry, hours=D("20")), reason="证书学时有误", by=world.admin
    )
    entry.refresh_from_db()
    assert entry.hours == D("20") and entry.status == "approved"
    assert _row(world.trainee).year_total == D("20")  # the rollup followed at once
    log = AuditLog.objects.get(action="credits.entry.edit")
    assert log.before["hours"] == "30.0" and log.after["hours"] == "20.0"
    assert log.reason == "证书学时有误"
    assert Notification.objects.filter(user=world.trainee, kind="credits").exists()


def test_an_edit_is_checked_like_a_filing_and_writes_nothing_when_refused(world):
    entry = entry_for(world.trainee, start_date=dt.date(YEAR, 3, 1), kind="paper", hours=D("5"))
    entry_for(world.trainee, start_date=dt.date(YEAR, 4, 1), title="另一条")
    for bad in (
        {"hours": D("25")},  # above the paper cap of 20
        {"end_date": dt.date(YEAR, 2, 1)},  # before the start
        {"title": "另一条", "start_date": dt.date(YEAR, 4, 1), "end_date": dt.date(YEAR, 4, 1)},
    ):
        with pytest.raises(DomainError):
            services.entry_edit(
                entry=entry, data=_data(entry, **bad), reason="更正", by=world.admin
            )
    entry.refresh_from_db()
    assert entry.hours == D("5") and not AuditLog.objects.filter(action="credits.entry.edit")


def test_revoking_an_approved_record_stops_it_counting(world):
    entry = entry_for(world.trainee, start_date=dt.date(YEAR, 3, 1), hours=D("30"))
    services.rollup_rebuild()
    with pytest.raises(DomainError, match="原因"):
        services.entry_revoke(entry=entry, reason="", by=world.admin)
    with pytest.raises(DomainError):  # no one revokes their own
        services.entry_revoke(
            entry=entry_for(world.admin, title="本人"), reason="x", by=world.admin
        )
    services.entry_revoke(entry=entry, reason="证书系伪造", by=world.admin)
    entry.refresh_from_db()
    assert entry.status == "revoked" and entry.revoke_reason == "证书系伪造"
    assert entry.revoked_by == world.admin and entry.revoked_at is not None
    assert _row(world.trainee).year_total == 0
    assert AuditLog.objects.filter(action="credits.entry.revoke", reason="证书系伪造").exists()
    with pytest.raises(DomainError):  # revoked once
        services.entry_revoke(entry=entry, reason="again", by=world.admin)
    # the same course may be filed again once revoked
    entry_for(world.trainee, start_date=dt.date(YEAR, 3, 1), hours=D("10"))


def test_the_pages_edit_and_revoke(world, client_for):
    entry = entry_for(world.trainee, start_date=dt.date(YEAR, 3, 1), hours=D("30"))
    c = client_for(world.admin)
    page = c.get(reverse("credits:entry", args=[entry.pk])).content.decode()
    assert "更正记录" in page and "撤销认定" in page
    assert (
        "撤销认定"
        not in client_for(world.liaison)
        .get(reverse("credits:entry", args=[entry.pk]))
        .content.decode()
    )
    form = {
        "kind": "external_class",
        "title": entry.title,
        "organizer_name": "",
        "start_date": f"{YEAR}-03-01",
        "end_date": f"{YEAR}-03-01",
        "category": "required",
        "mode": "full_time",
        "hours": "12",
    }
    r = c.post(reverse("credits:entry_edit", args=[entry.pk]), {**form, "reason": ""})
    assert r.status_code == 400
    r = c.post(reverse("credits:entry_edit", args=[entry.pk]), {**form, "reason": "更正学时"})
    assert r.status_code == 302
    entry.refresh_from_db()
    assert entry.hours == D("12")
    r = c.post(reverse("credits:entry_revoke", args=[entry.pk]), {"reason": "重复登记"})
    entry.refresh_from_db()
    assert r.status_code == 302 and entry.status == "revoked"
    assert "重复登记" in c.get(reverse("credits:entry", args=[entry.pk])).content.decode()


def test_decisions_and_imports_refresh_the_rollup(world):
    entry = entry_for(world.trainee, status="dept_pending", start_date=dt.date(YEAR, 3, 1))
    services.rollup_rebuild()
    assert _row(world.trainee).year_total == 0
    services.entry_decide(entry=entry, approve=True, by=world.admin)
    assert _row(world.trainee).year_total == D("30")


def test_the_changed_refresh_follows_attendance_and_withdrawals(world):
    services.rollup_refresh_changed()  # first run: a full rebuild
    session = SessionFactory(
        program=world.program,
        start=timezone.make_aware(dt.datetime(YEAR, 3, 2, 9)),
        credit_hours=D("3"),
    )
    AttendanceRecordFactory(session=session, user=world.trainee)
    services.rollup_refresh_changed()
    assert _row(world.trainee).hours_lectern == D("3")
    enrollment = world.trainee.enrollments.get(program=world.program)
    enrollment.credit_withheld = True
    enrollment.save()
    services.rollup_refresh_changed()
    assert _row(world.trainee).hours_lectern == 0


def test_a_back_dated_policy_change_recomputes_the_rollup_and_is_audited(
    world, django_capture_on_commit_callbacks
):
    from credits.models import Requirement

    entry_for(world.trainee, start_date=dt.date(YEAR, 3, 1), hours=D("95"))
    entry_for(
        world.trainee, start_date=dt.date(YEAR, 3, 2), kind="online", hours=D("50"), title="网"
    )
    services.rollup_rebuild()
    assert _row(world.trainee).met
    row = Requirement.objects.create(
        rank=Rank.SECTION,
        unit=world.province,
        effective_from=dt.date(YEAR - 1, 1, 1),
        annual_hours=D("150"),
        online_hours=D("50"),
    )
    with django_capture_on_commit_callbacks(execute=True):
        services.policy_changed(row=row, by=world.admin, change="add")
    rolled = _row(world.trainee)
    assert not rolled.met and rolled.annual_missing == D("5")
    assert AuditLog.objects.filter(action="credits.policy.recompute").exists()


def test_the_appointment_date_is_set_by_the_department_audited(world, client_for):
    world.trainee.rank = Rank.COUNTY
    world.trainee.save()
    with pytest.raises(PermissionDenied):
        services.profile_set(cadre=world.trainee, rank_appointed_on=None, by=world.liaison)
    with pytest.raises(DomainError):
        services.profile_set(
            cadre=world.trainee,
            rank_appointed_on=timezone.localdate() + dt.timedelta(days=1),
            by=world.admin,
        )
    r = client_for(world.admin).post(
        reverse("credits:profile", args=[world.trainee.pk]), {"rank_appointed_on": "2024-07-01"}
    )
    assert r.status_code == 302
    assert world.trainee.credit_profile.rank_appointed_on == dt.date(2024, 7, 1)
    assert AuditLog.objects.filter(action="credits.profile.appointed").exists()
    page = client_for(world.admin).get(reverse("credits:record", args=[world.trainee.pk]))
    assert "2024-07-01 任现职级" in page.content.decode()


@pytest.mark.parametrize("fmt", ["pdf", "xlsx"])
def test_the_record_files_are_made_with_the_export_audit(
    world, client_for, fmt, django_capture_on_commit_callbacks
):
    entry_for(world.trainee, start_date=dt.date(YEAR, 3, 1), hours=D("30"))
    name = "credits:mine_pdf" if fmt == "pdf" else "credits:mine_xlsx"
    with django_capture_on_commit_callbacks(execute=True):
        r = client_for(world.trainee).post(reverse(name), {"year": str(YEAR)})
    assert r.status_code == 302
    gf = GeneratedFile.objects.get()
    assert gf.status == "done", gf.error if hasattr(gf, "error") else gf.status
    data = gf.file.read()
    assert data.startswith(b"%PDF" if fmt == "pdf" else b"PK")
    log = AuditLog.objects.get(action="export.create")
    assert log.after["personal"] is True and log.after["rows"] == 1
    assert "学员张三" in log.after["scope"]


def test_year_end_reminders_reach_cadres_behind_and_their_liaisons_once(world):
    behind = UserFactory(full_name="未达标干部", unit=world.county_a, rank=Rank.SECTION)
    services.rollup_rebuild()
    october = timezone.make_aware(dt.datetime(YEAR, 10, 31, 12))
    assert reminders.year_end_reminders(october) == []
    november = timezone.make_aware(dt.datetime(YEAR, 11, 1, 9))
    found = reminders.year_end_reminders(november)
    cadres = next(r for r in found if r.kind == reminders.CADRE_BEHIND)
    assert behind.pk in cadres.user_ids
    liaison = [r for r in found if r.kind == reminders.LIAISON_BEHIND]
    assert RoleGrant.objects.filter(user=world.liaison, role=Role.LIAISON).exists()
    assert [world.liaison.pk] in [r.user_ids for r in liaison]
    from core.reminders import reminders_send

    first = reminders_send(reminders=found)
    assert first > 0 and reminders_send(reminders=reminders.year_end_reminders(november)) == 0
