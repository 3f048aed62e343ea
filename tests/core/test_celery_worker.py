import pytest
from django.core import mail

from config.celery import app
from core.models import Notification
from core.tasks import notification_email_send
from tests.factories import UserFactory


@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_task_is_executed_by_a_real_worker_over_redis():
    """Not eager: the message goes through Redis to a worker thread and the result comes back."""
    from celery.contrib.testing.worker import start_worker

    user = UserFactory(email="trainee@example.cn")
    note = Notification.objects.create(user=user, title="明天 14:30 开课", body="请按时签到")
    app.conf.task_always_eager = False
    assert app.conf.broker_url.startswith("redis://")
    with start_worker(
        app, pool="solo", perform_ping_check=False, loglevel="WARNING", shutdown_timeout=10
    ):
        result = notification_email_send.delay(note.pk)
        assert result.get(timeout=30) is True
        # A second delivery of the same job sends nothing more: the marker is already set.
        assert notification_email_send.delay(note.pk).get(timeout=30) is False
    note.refresh_from_db()
    assert note.emailed_at is not None
    assert [m.to for m in mail.outbox] == [["trainee@example.cn"]]
    assert "明天 14:30 开课" in mail.outbox[0].subject


@pytest.mark.django_db
def test_notify_emails_after_commit_only(django_capture_on_commit_callbacks):
    from core.services import notify

    user = UserFactory(email="a@example.cn")
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        notify(user=user, title="请假已批准")
    assert len(callbacks) == 1
    assert mail.outbox == []
    callbacks[0]()
    assert len(mail.outbox) == 1


@pytest.mark.django_db
def test_user_who_opted_out_gets_no_email(django_capture_on_commit_callbacks):
    from core.services import notify

    user = UserFactory(email="a@example.cn", email_notifications=False)
    with django_capture_on_commit_callbacks(execute=True):
        notify(user=user, title="请假已批准")
    assert mail.outbox == []
    assert user.notifications.count() == 1


def test_enqueue_gives_up_quickly_when_redis_is_down():
    """A real unreachable Redis (closed port), in a fresh process: enqueue returns False within
    a couple of seconds instead of hanging the request through retry loops."""
    import os
    import subprocess
    import sys

    code = (
        "import django, time; django.setup();"
        "from core.queue import enqueue; from core.tasks import notification_email_send;"
        "t = time.monotonic(); ok = enqueue(notification_email_send, 1) is not None;"
        "print('RESULT', ok, round(time.monotonic() - t, 2))"
    )
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "LECTERN_ENV": "test",
        "REDIS_URL": "redis://127.0.0.1:1/0",
    }
    env.pop("DATABASE_URL", None)
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60
    )
    line = next(x for x in out.stdout.splitlines() if x.startswith("RESULT"))
    _, ok, seconds = line.split()
    assert ok == "False"
    assert float(seconds) < 5


@pytest.mark.django_db
def test_sweep_emails_notifications_whose_task_was_lost_exactly_once():
    import datetime as dt

    from django.utils import timezone

    from core.tasks import notification_email_sweep

    user = UserFactory(email="b@example.cn")
    # As if notify() ran while the broker was down: stored, never e-mailed.
    note = Notification.objects.create(user=user, title="请假已批准")
    Notification.objects.filter(pk=note.pk).update(
        created_at=timezone.now() - dt.timedelta(minutes=10)
    )
    fresh = Notification.objects.create(user=user, title="刚刚产生的通知")
    assert notification_email_sweep() == 1
    assert notification_email_sweep() == 0
    assert [m.subject for m in mail.outbox] == ["[讲台] 请假已批准"]
    fresh.refresh_from_db()
    assert fresh.emailed_at is None  # too new: its own task may still be on the way


@pytest.mark.django_db
def test_a_refused_address_does_not_hold_back_the_others(monkeypatch):
    """The sweep goes newest first; one address the mail server refuses used to abort it, so
    every older notification waited until the refused one aged out of the window."""
    import datetime as dt
    import smtplib

    from django.core import mail as mail_module
    from django.utils import timezone

    from core import tasks

    refused = UserFactory(email="refused@example.cn")
    fine = UserFactory(email="fine@example.cn")
    older = Notification.objects.create(user=fine, title="较早的通知")
    newer = Notification.objects.create(user=refused, title="较新的通知")
    Notification.objects.filter(pk=older.pk).update(
        created_at=timezone.now() - dt.timedelta(hours=2)
    )
    Notification.objects.filter(pk=newer.pk).update(
        created_at=timezone.now() - dt.timedelta(hours=1)
    )
    real_send = mail_module.send_mail

    def send(*, recipient_list, **kw):
        if recipient_list == ["refused@example.cn"]:
            raise smtplib.SMTPRecipientsRefused({"refused@example.cn": (550, b"no such user")})
        return real_send(recipient_list=recipient_list, **kw)

    monkeypatch.setattr(tasks, "send_mail", send)
    assert tasks.notification_email_sweep() == 1
    assert [m.subject for m in mail.outbox] == ["[讲台] 较早的通知"]
    newer.refresh_from_db()
    assert newer.emailed_at is None  # unclaimed: tried again on the next sweep
