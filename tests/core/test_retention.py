"""Retention and purge (issue 17 item 11): policy per kind, registered purgers, audited counts."""

from datetime import timedelta

import pytest
from django.utils import timezone

from core import retention
from core.models import AuditLog, GeneratedFile, Notification
from core.schedule import BEAT_SCHEDULE
from core.services import notify

pytestmark = pytest.mark.django_db


def test_the_purge_runs_what_apps_register_against_the_policy_and_audits_counts(
    monkeypatch, settings
):
    calls = []

    def purge_attachments(*, before):
        calls.append(before)
        return 3

    def broken(*, before):
        raise RuntimeError("disk gone")

    monkeypatch.setattr(
        retention,
        "app_hooks",
        lambda module, name: [
            {"leave_attachments": purge_attachments},
            {"broken": broken, "kept": broken},
        ],
    )
    settings.LECTERN_RETENTION_DAYS = {"leave_attachments": 30, "broken": 10, "kept": None}
    now = timezone.now()

    results = {r.kind: r for r in retention.purge(now=now)}

    assert calls == [now - timedelta(days=30)]
    assert results["leave_attachments"].count == 3
    assert results["broken"].error == "disk gone" and results["kept"].days is None
    done = AuditLog.objects.get(action="retention.purge", target_id="leave_attachments")
    assert done.after["count"] == 3 and done.after["days"] == 30 and done.result == "success"
    failed = AuditLog.objects.get(action="retention.purge", target_id="broken")
    assert failed.result == "refused" and "disk gone" in failed.reason
    assert not AuditLog.objects.filter(target_id="kept").exists()


def test_cores_own_purgers_delete_old_generated_files_and_notifications(world):
    old = timezone.now() - timedelta(days=400)
    gf = GeneratedFile.objects.create(owner=world.trainee, kind="x", title="t", params={})
    GeneratedFile.objects.filter(pk=gf.pk).update(created_at=old)
    fresh = GeneratedFile.objects.create(owner=world.trainee, kind="x", title="t", params={})
    notify(user=world.trainee, title="旧通知")
    Notification.objects.update(created_at=old)
    notify(user=world.trainee, title="新通知")

    results = {r.kind: r.count for r in retention.purge()}

    assert results["generated_files"] == 1 and results["notifications"] == 1
    assert list(GeneratedFile.objects.values_list("pk", flat=True)) == [fresh.pk]
    assert list(Notification.objects.values_list("title", flat=True)) == ["新通知"]
    assert AuditLog.objects.filter(action="retention.purge").count() >= 2


def test_purge_and_audit_archive_are_scheduled():
    tasks = {entry["task"] for entry in BEAT_SCHEDULE.values()}
    assert {"core.tasks.retention_purge", "core.tasks.audit_archive"} <= tasks
