"""Audit record format (issue 17 item 6) and tamper evidence (item 7): the chain, the database
guard, verification, archive."""

import gzip
import hashlib
import json
from datetime import timedelta

import pytest
from django.core.files.storage import default_storage
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction
from django.test import RequestFactory
from django.utils import timezone

from core import audit
from core.links import remembering_request
from core.models import AuditLog
from core.services import AuditEntry, audit_log, audit_log_many
from tests.factories import ProgramFactory, UserFactory

pytestmark = pytest.mark.django_db


def _raw(sql, params=()):
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, params)


def _tamper(sql, params=()):
    """Change the table behind the guard's back, as someone with the database owner's rights."""
    if connection.vendor == "postgresql":
        _raw("SET session_replication_role = replica")  # a superuser skips the triggers
        _raw(sql, params)
        _raw("SET session_replication_role = DEFAULT")
    else:
        with audit.unlocked():  # lets DELETE through; UPDATE needs the trigger gone
            _raw("DROP TRIGGER core_auditlog_no_update")
            _raw(sql, params)


def _entries(n=4):
    actor = UserFactory()
    program = ProgramFactory()
    for i in range(n):
        audit_log(actor=actor, action="program.edit", target=program, after={"n": i})
    return list(AuditLog.objects.order_by("id"))


def test_an_entry_carries_the_request_origin_roles_and_result(world):
    request = RequestFactory().post(
        "/x/", REMOTE_ADDR="10.1.2.3", HTTP_USER_AGENT="Mozilla/5.0 (iPhone) 微信"
    )
    with remembering_request(request):
        entry = audit_log(
            actor=world.admin,
            action="program.edit",
            target=world.program,
            before={"title": "甲"},
            after={"title": "乙"},
            reason="更正",
            result="refused",
        )
    entry = AuditLog.objects.get(pk=entry.pk)
    assert entry.client_ip == "10.1.2.3"
    assert entry.user_agent == "Mozilla/5.0 (iPhone) 微信"
    assert entry.actor_id == world.admin.pk and entry.actor_name == "w_admin"
    assert "admin" in entry.actor_roles
    assert entry.result == "refused" and entry.reason == "更正"
    assert (entry.before, entry.after) == ({"title": "甲"}, {"title": "乙"})
    assert len(entry.row_hash) == 64


def test_outside_a_request_the_origin_is_blank_and_old_callers_still_work():
    entry = audit_log(actor=None, action="job.run", target=ProgramFactory())
    assert (entry.client_ip, entry.user_agent, entry.result) == ("", "", "success")


def test_single_and_bulk_entries_form_one_chain_that_verifies():
    rows = _entries(2)
    program = ProgramFactory()
    audit_log_many(AuditEntry(actor=None, action="x.bulk", target=program) for _ in range(3))
    rows = list(AuditLog.objects.order_by("id"))
    assert len(rows) == 5
    assert rows[0].prev_hash == ""
    for before, after in zip(rows, rows[1:], strict=False):
        assert after.prev_hash == before.row_hash
    result = audit.verify()
    assert result.ok and result.checked == 5 and result.head_hash == rows[-1].row_hash


def test_the_database_refuses_update_and_delete_of_audit_rows():
    row = _entries(1)[0]
    with pytest.raises(DatabaseError):
        _raw("UPDATE core_auditlog SET reason = 'x' WHERE id = %s", [row.pk])
    with pytest.raises(DatabaseError):
        _raw("DELETE FROM core_auditlog WHERE id = %s", [row.pk])
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditLog.objects.filter(pk=row.pk).update(action="other")
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditLog.objects.filter(pk=row.pk).delete()
    with pytest.raises(ValueError):
        row.save()
    assert AuditLog.objects.get(pk=row.pk).reason == ""


def test_deleting_the_actors_account_keeps_the_entry_and_the_chain():
    user = UserFactory(username="leaver")
    audit_log(actor=user, action="x.y", target=ProgramFactory())
    user.delete()
    entry = AuditLog.objects.get(action="x.y")
    assert entry.actor_id is None and entry.actor_name == "leaver"
    assert audit.verify().ok


def test_verify_finds_an_altered_row():
    rows = _entries(4)
    _tamper("UPDATE core_auditlog SET reason = 'covered up' WHERE id = %s", [rows[2].pk])
    result = audit.verify()
    assert not result.ok
    assert (result.first_bad_id, result.problem, result.checked) == (rows[2].pk, "altered", 2)
    with pytest.raises(CommandError, match=f"id={rows[2].pk}: altered"):
        call_command("audit_verify")


def test_verify_finds_a_missing_row():
    rows = _entries(4)
    _tamper("DELETE FROM core_auditlog WHERE id = %s", [rows[1].pk])
    result = audit.verify()
    assert (result.ok, result.first_bad_id, result.problem) == (False, rows[2].pk, "missing")


def test_verify_command_reports_an_intact_chain(capsys):
    _entries(3)
    call_command("audit_verify")
    assert "audit chain intact: 3 entries" in capsys.readouterr().out


def test_archive_moves_old_entries_to_a_hash_stamped_file_and_the_chain_still_verifies():
    program = ProgramFactory()
    old = timezone.now() - timedelta(days=200)
    entries = []
    for i in range(3):
        entry = audit.build(actor=None, action="old.thing", target=program, after={"i": i})
        entry.created_at = old + timedelta(minutes=i)
        entries.append(entry)
    audit.write(entries)
    recent = audit_log(actor=None, action="new.thing", target=program)

    done = audit.archive()

    assert done.count == 3
    assert AuditLog.objects.filter(action="old.thing").count() == 0
    assert AuditLog.objects.filter(pk=recent.pk).exists()
    with default_storage.open(done.path, "rb") as handle:
        content = handle.read()
    assert hashlib.sha256(content).hexdigest() == done.sha256 and done.sha256 in done.path
    lines = [json.loads(x) for x in gzip.decompress(content).decode().splitlines()]
    assert [x["after"] for x in lines] == [{"i": 0}, {"i": 1}, {"i": 2}]
    record = AuditLog.objects.get(action=audit.ARCHIVE_ACTION)
    assert record.after["count"] == 3 and record.after["sha256"] == done.sha256
    assert record.after["last_hash"] == lines[-1]["row_hash"]
    assert audit.verify().ok
    assert audit.archive().count == 0  # nothing more is old enough
    default_storage.delete(done.path)


def test_retention_online_is_never_below_180_days(settings):
    settings.LECTERN_AUDIT_RETENTION_DAYS = 30
    assert audit.retention_days() == 180
    settings.LECTERN_AUDIT_RETENTION_DAYS = 365
    assert audit.retention_days() == 365


def test_the_daily_verification_records_its_outcome_in_the_chain():
    from core.schedule import BEAT_SCHEDULE
    from core.tasks import audit_verify

    assert "core.tasks.audit_verify" in {e["task"] for e in BEAT_SCHEDULE.values()}
    rows = _entries(3)
    assert audit_verify.apply().get() is True
    entry = AuditLog.objects.get(action="audit.verify")
    assert entry.result == "success" and entry.after["checked"] == 3
    assert entry.after["head_hash"] == rows[-1].row_hash
    _tamper("UPDATE core_auditlog SET reason = 'x' WHERE id = %s", [rows[0].pk])
    assert audit_verify.apply().get() is False
    broken = AuditLog.objects.filter(action="audit.verify").order_by("-id").first()
    assert broken.result == "refused" and broken.after["first_bad_id"] == rows[0].pk
