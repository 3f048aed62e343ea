"""Export jobs: idempotent under retries, readable failures, private downloads."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from config.celery import app
from core.models import GeneratedFile
from core.services import generated_files_requeue
from reports import services
from reports.tasks import export_run
from tests.reports.factories import build_program

pytestmark = pytest.mark.django_db


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """Run on_commit callbacks (the enqueue) as a real commit would."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


def test_export_request_produces_a_file_and_redirects_to_its_page(world, client_for, committed):
    build_program(trainees=8, sessions=2, units=2, program=world.program, parent=world.city_a)
    client = client_for(world.manager)
    with committed():
        response = client.post(
            reverse("reports:program_export", args=[world.program.pk]), {"kind": "summary_pdf"}
        )
    gf = GeneratedFile.objects.get(owner=world.manager)
    assert response.status_code == 302
    assert response["Location"] == reverse("generated_file", args=[gf.pk])
    assert gf.status == GeneratedFile.Status.DONE and gf.progress == 100
    assert gf.filename.endswith(".pdf") and gf.expires_at is not None
    download = client.get(reverse("generated_file_download", args=[gf.pk]))
    assert download.status_code == 200
    assert b"".join(download.streaming_content).startswith(b"%PDF")


def test_a_retried_task_produces_exactly_one_file(world, committed):
    with committed():
        gf = services.export_request(kind="signin_pdf", by=world.manager, session=world.session)
    gf.refresh_from_db()
    first = gf.file.name
    assert gf.status == GeneratedFile.Status.DONE
    # The broker redelivers the same message (acks_late after a lost worker): nothing new.
    assert export_run.apply(args=(str(gf.pk),)).get() == "done"
    gf.refresh_from_db()
    assert gf.file.name == first
    assert GeneratedFile.objects.count() == 1


def test_a_task_killed_before_finishing_is_rerun_to_one_file(world):
    gf = GeneratedFile.objects.create(
        owner=world.manager,
        kind="reports.summary_xlsx",
        title="t",
        params={"kind": "summary_xlsx", "program_id": world.program.pk},
        status=GeneratedFile.Status.RUNNING,
        progress=40,
    )
    assert services.export_run(file_id=gf.pk) == "done"
    assert services.export_run(file_id=gf.pk) == "done"
    gf.refresh_from_db()
    assert gf.status == GeneratedFile.Status.DONE and gf.file.name.endswith(".xlsx")


def test_missing_data_fails_with_a_readable_message(world, client_for):
    gf = GeneratedFile.objects.create(
        owner=world.manager,
        kind="reports.summary_pdf",
        title="t",
        params={"kind": "summary_pdf", "program_id": 999999},
    )
    services.export_run(file_id=gf.pk)
    gf.refresh_from_db()
    assert gf.status == GeneratedFile.Status.FAILED
    assert "已不存在" in gf.error
    page = client_for(world.manager).get(reverse("generated_file", args=[gf.pk]))
    assert page.status_code == 200 and "已不存在" in page.content.decode()


def test_unreachable_broker_keeps_the_export_queued_and_it_runs_when_the_broker_returns(
    world, client_for, committed
):
    previous = (app.conf.broker_url, app.conf.task_always_eager, app.conf.broker_connection_timeout)
    app.conf.task_always_eager = False
    app.conf.broker_url = "redis://127.0.0.1:1/0"  # nothing listens there
    app.conf.broker_connection_timeout = 0.5
    _reset_producers()
    try:
        client = client_for(world.manager)
        with committed():
            response = client.post(
                reverse("reports:program_export", args=[world.program.pk]), {"kind": "summary_xlsx"}
            )
        response = client.get(response["Location"])
    finally:
        app.conf.broker_url, app.conf.task_always_eager, app.conf.broker_connection_timeout = (
            previous
        )
        _reset_producers()
    assert response.status_code == 200
    gf = GeneratedFile.objects.get(owner=world.manager)
    assert gf.status == GeneratedFile.Status.PENDING
    assert gf.task_id == ""
    assert "任务队列暂时不可用" in gf.error and "自动开始生成" in gf.error
    assert "任务队列暂时不可用" in response.content.decode()
    # The broker is back (eager here stands in for a worker): beat's sweep queues it again.
    GeneratedFile.objects.filter(pk=gf.pk).update(
        created_at=timezone.now() - dt.timedelta(minutes=2)
    )
    with committed():
        assert generated_files_requeue() == 1
    gf.refresh_from_db()
    assert gf.status == GeneratedFile.Status.DONE and gf.file
    assert generated_files_requeue() == 0


def _reset_producers():
    """Forget pooled broker connections so a changed broker_url takes effect."""
    app._pool = None
    app.amqp._producer_pool = None


@pytest.mark.parametrize(
    "role,code",
    [
        ("manager", 200),
        ("admin", 200),
        ("organizer", 404),
        ("assistant", 404),
        ("trainee", 404),
        ("outsider", 404),
    ],
)
def test_only_the_owner_or_an_admin_downloads_an_export(world, client_for, role, code, committed):
    with committed():
        gf = services.export_request(kind="signin_xlsx", by=world.manager, session=world.session)
    user = world.by_role()[role]
    response = client_for(user).get(reverse("generated_file_download", args=[gf.pk]))
    assert response.status_code == code
    assert client_for(user).get(reverse("generated_file", args=[gf.pk])).status_code == code


def test_anonymous_download_redirects_to_login(world, client_for, committed):
    with committed():
        gf = services.export_request(kind="signin_xlsx", by=world.manager, session=world.session)
    response = client_for(None).get(reverse("generated_file_download", args=[gf.pk]))
    assert response.status_code == 302 and reverse("login") in response["Location"]


def test_session_of_another_program_cannot_be_exported_through_this_one(world, client_for):
    other, sessions, *_ = build_program(trainees=1, sessions=1, units=1, parent=world.city_a)
    response = client_for(world.manager).post(
        reverse("reports:program_export", args=[world.program.pk]),
        {"kind": "signin_pdf", "session": sessions[0].pk},
    )
    assert response.status_code == 404
    assert not GeneratedFile.objects.exists()


def test_unknown_kind_is_a_message_not_an_error(world, client_for):
    response = client_for(world.manager).post(
        reverse("reports:program_export", args=[world.program.pk]),
        {"kind": "bogus"},
        follow=True,
    )
    assert response.status_code == 200 and "未知的报表类型" in response.content.decode()


def test_expired_exports_are_cleaned_up(world, committed):
    from datetime import timedelta

    from django.utils import timezone

    from core.services import generated_files_cleanup

    with committed():
        gf = services.export_request(kind="signin_xlsx", by=world.manager, session=world.session)
    gf.refresh_from_db()
    path = gf.file.path
    assert generated_files_cleanup(now=timezone.now() + timedelta(days=30)) == 1
    import os

    assert not os.path.exists(path)


def test_export_pages_render_for_managers(world, client_for):
    client = client_for(world.manager)
    page = client.get(reverse("reports:program_exports", args=[world.program.pk])).content.decode()
    assert world.session.topic in page and "考勤汇总表" in page
    assert "style=" not in page
    index = client.get(reverse("reports:index")).content.decode()
    assert world.program.title in index


def test_a_manager_removed_from_the_program_can_no_longer_download(world, client_for, committed):
    from programs.models import ProgramStaff

    with committed():
        gf = services.export_request(kind="signin_xlsx", by=world.manager, session=world.session)
    gf.refresh_from_db()
    client = client_for(world.manager)
    assert client.get(reverse("generated_file_download", args=[gf.pk])).status_code == 200
    ProgramStaff.objects.filter(program=world.program, user=world.manager).delete()
    assert client.get(reverse("generated_file_download", args=[gf.pk])).status_code == 404
    assert client.get(reverse("generated_file", args=[gf.pk])).status_code == 404
