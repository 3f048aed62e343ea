"""Retention (issue 17 item 11): every kind of data the policy names has its purger in its app's
retention.py, discovered by core.registry; the daily purge deletes what is past its period,
keeps what is not (and what is still in use), and audits each kind with its count."""

from datetime import timedelta

import pytest
from django.core.files.base import ContentFile
from django.utils import timezone

from attendance.models import LeaveRequest
from core import retention
from core.models import AuditLog, GeneratedFile
from credits.models import OnlineImport
from enrollment.models import ImportBatch
from evaluation.models import Reflection
from tests.evaluation.factories import make_assignment, make_reflection

pytestmark = pytest.mark.django_db

OLD = timedelta(days=4000)


def _age(obj, delta=OLD):
    type(obj).objects.filter(pk=obj.pk).update(created_at=timezone.now() - delta)


def test_every_kind_of_the_policy_has_a_purger_and_every_purger_a_policy():
    kinds = [kind for kind, _ in retention.registered()]
    assert sorted(kinds) == sorted(retention.DEFAULT_DAYS)
    assert len(kinds) == len(set(kinds))


def test_the_daily_purge_deletes_old_files_and_batches_of_every_app_audited(
    world, django_capture_on_commit_callbacks
):
    def leave(status):
        item = LeaveRequest.objects.create(
            program=world.program, user=world.trainee, reason="病假", status=status
        )
        item.attachment.save("note.pdf", ContentFile(b"%PDF-1.4"), save=True)
        return item

    old_leave, new_leave = leave(LeaveRequest.Status.APPROVED), leave(LeaveRequest.Status.APPROVED)
    pending = leave(LeaveRequest.Status.PENDING)  # not decided yet: its proof is still needed
    _age(old_leave), _age(pending)
    leave_storage, leave_name = old_leave.attachment.storage, old_leave.attachment.name

    assignment = make_assignment(world.program)
    essay = make_reflection(assignment, world.trainee)
    essay.attachment.save("essay.pdf", ContentFile(b"%PDF-1.4"), save=True)
    _age(essay)

    old_batch = ImportBatch.objects.create(program=world.program, filename="名册.xlsx")
    new_batch = ImportBatch.objects.create(program=world.program, filename="名册2.xlsx")
    _age(old_batch)
    online = OnlineImport.objects.create(created_by=world.admin, filename="网院.xlsx")
    _age(online)
    gf = GeneratedFile.objects.create(owner=world.manager, kind="x", title="t")
    gf.file.save("x.csv", ContentFile(b"a"), save=True)
    _age(gf)

    with django_capture_on_commit_callbacks(execute=True):  # files go once the purge commits
        results = {r.kind: r for r in retention.purge()}

    assert {k: r.count for k, r in results.items() if r.count} == {
        "leave_attachments": 1,
        "reflection_attachments": 1,
        "roster_import_batches": 1,
        "online_import_batches": 1,
        "generated_files": 1,
    }
    assert not any(r.error for r in results.values())
    old_leave.refresh_from_db(), new_leave.refresh_from_db(), pending.refresh_from_db()
    assert not old_leave.attachment and old_leave.reason == "病假"  # the request stays
    assert new_leave.attachment and pending.attachment
    assert not leave_storage.exists(leave_name)  # the file itself is gone
    essay.refresh_from_db()
    assert not essay.attachment and essay.status == Reflection.Status.SUBMITTED
    assert list(ImportBatch.objects.values_list("pk", flat=True)) == [new_batch.pk]
    assert not OnlineImport.objects.exists() and not GeneratedFile.objects.exists()
    entries = AuditLog.objects.filter(action="retention.purge")
    counted = {e.target_id: e.after["count"] for e in entries}
    assert counted["leave_attachments"] == 1 and counted["roster_import_batches"] == 1
    assert set(counted) == set(retention.DEFAULT_DAYS)


def test_the_policy_is_set_per_kind_and_keep_means_never(world, settings):
    batch = ImportBatch.objects.create(program=world.program, filename="名册.xlsx")
    _age(batch, timedelta(days=40))
    settings.LECTERN_RETENTION_DAYS = {"roster_import_batches": None}
    assert {r.kind: r.count for r in retention.purge()}["roster_import_batches"] == 0
    assert ImportBatch.objects.exists()
    settings.LECTERN_RETENTION_DAYS = {"roster_import_batches": 30}
    assert {r.kind: r.count for r in retention.purge()}["roster_import_batches"] == 1


def test_the_policy_comes_from_the_environment():
    import os

    from django.core.exceptions import ImproperlyConfigured

    from config.env import env_days

    os.environ["LECTERN_TEST_DAYS"] = "leave_attachments=30, notifications=keep"
    try:
        assert env_days("LECTERN_TEST_DAYS") == {"leave_attachments": 30, "notifications": None}
        os.environ["LECTERN_TEST_DAYS"] = "leave_attachments=0"
        with pytest.raises(ImproperlyConfigured):
            env_days("LECTERN_TEST_DAYS")
    finally:
        del os.environ["LECTERN_TEST_DAYS"]
