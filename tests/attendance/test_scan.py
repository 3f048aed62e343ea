"""The phone flow: scan → (login) → result page; check-out; proxy devices; Redis down."""

import datetime as dt
import re
import time

import pytest
from django.urls import reverse
from django.utils import timezone

from attendance import services, tokens
from attendance.models import AttendanceRecord, AttendanceStatus
from core.models import AuditLog
from tests.attendance.conftest import retime, scan_outcome, scan_url
from tests.factories import TEST_PASSWORD, EnrollmentFactory, SessionFactory, UserFactory

pytestmark = pytest.mark.django_db


def outcome(response):
    return scan_outcome(response)


def test_scan_checks_in_on_time_and_sets_a_device_cookie(live, client_for):
    client = client_for(live.trainee)
    response = client.post(scan_url(live.session, live.branch_venue))
    assert response.status_code == 200
    assert outcome(response) == services.Outcome.ON_TIME
    assert "签到成功" in response.content.decode()
    record = AttendanceRecord.objects.get(session=live.session, user=live.trainee)
    assert record.status == AttendanceStatus.PRESENT
    assert record.source == AttendanceRecord.Source.QR
    assert record.venue == live.branch_venue
    assert record.device_id and response.cookies["lectern_device"]["httponly"]


def test_late_checkin_is_marked_late_by_minutes(live, client_for):
    retime(live.session, start_offset_min=-12)
    response = client_for(live.trainee).post(scan_url(live.session, live.venue))
    assert outcome(response) == services.Outcome.LATE
    assert "迟到 12 分钟" in response.content.decode()
    assert AttendanceRecord.objects.get(user=live.trainee).status == AttendanceStatus.LATE


def test_double_tap_says_already_checked_in_and_keeps_one_record(live, client_for):
    client = client_for(live.trainee)
    url = scan_url(live.session, live.venue)
    first = client.post(url)
    second = client.post(url)
    assert outcome(first) == services.Outcome.ON_TIME
    assert outcome(second) == services.Outcome.ALREADY_IN
    assert "您已签到" in second.content.decode()
    assert AttendanceRecord.objects.filter(session=live.session).count() == 1


def test_trainee_not_enrolled_is_told_so_and_nothing_is_written(live, client_for):
    response = client_for(live.other_trainee).post(scan_url(live.session, live.venue))
    assert outcome(response) == services.Outcome.NOT_ENROLLED
    assert not AttendanceRecord.objects.exists()


def test_token_of_another_programs_session_is_refused(live, client_for):
    foreign = SessionFactory()
    retime(foreign, start_offset_min=-1)
    response = client_for(live.trainee).post(scan_url(foreign, foreign.venue))
    assert outcome(response) == services.Outcome.NOT_ENROLLED
    assert not AttendanceRecord.objects.exists()


def test_scan_before_window_opens_says_when_it_opens(world, client_for):
    retime(world.session, start_offset_min=45)  # opens 30 minutes before the start
    response = client_for(world.trainee).post(scan_url(world.session, world.venue))
    assert outcome(response) == services.Outcome.NOT_OPEN
    opens = timezone.localtime(world.session.start - dt.timedelta(minutes=30))
    assert f"将于 {opens:%H:%M} 开放" in response.content.decode()
    assert not AttendanceRecord.objects.exists()


def test_scan_after_window_closed_is_refused(world, client_for):
    retime(world.session, start_offset_min=-61)  # closes 60 minutes after the start
    response = client_for(world.trainee).post(scan_url(world.session, world.venue))
    assert outcome(response) == services.Outcome.CLOSED
    assert "签到已截止" in response.content.decode()
    assert not AttendanceRecord.objects.exists()


def test_expired_code_is_refused(live, client_for):
    old = time.time() - tokens.MAX_AGE_SECONDS - tokens.ROTATE_SECONDS - 1
    response = client_for(live.trainee).post(scan_url(live.session, live.venue, now=old))
    assert outcome(response) == services.Outcome.EXPIRED
    assert "二维码已过期" in response.content.decode()
    assert not AttendanceRecord.objects.exists()


def test_forged_code_is_refused(live, client_for):
    url = scan_url(live.session, live.venue).replace(f"/{live.session.pk}.", "/999999.")
    response = client_for(live.trainee).get(url)
    assert outcome(response) == services.Outcome.FORGED
    assert "二维码无效" in response.content.decode()
    assert not AttendanceRecord.objects.exists()


def test_replaying_a_code_for_someone_else_does_not_check_them_in(live, client_for):
    """A forwarded fresh code checks in whoever opens it; a stale one nobody."""
    old = time.time() - 60
    url = scan_url(live.session, live.venue, now=old)
    assert outcome(client_for(live.trainee).get(url)) == services.Outcome.EXPIRED
    assert not AttendanceRecord.objects.exists()


# --- Logged out: scan, log in, land checked in at the scan time -----------------------------
def test_logged_out_scan_logs_in_and_lands_checked_in_at_scan_time(live, client, monkeypatch):
    retime(live.session, start_offset_min=-4)  # on time now (grace is 5 minutes)
    scanned_at = timezone.now()
    response = client.get(scan_url(live.session, live.branch_venue))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))
    assert "next=" in response["Location"] and "resume" in response["Location"]
    assert not AttendanceRecord.objects.exists()

    # The trainee needs three minutes to log in: by then they would be late.
    later = scanned_at + dt.timedelta(minutes=3)
    monkeypatch.setattr(timezone, "now", lambda: later)
    response = client.post(
        reverse("login"),
        {
            "username": live.trainee.username,
            "password": TEST_PASSWORD,
            "next": reverse("attendance:scan_resume"),
        },
        follow=True,
    )
    # The login lands on the page that posts the stored scan (auto-submitted by the script)
    assert outcome(response) == "confirm"
    assert "正在签到" in response.content.decode()
    assert not AttendanceRecord.objects.exists()
    response = client.post(reverse("attendance:scan_resume"))
    assert outcome(response) == services.Outcome.ON_TIME
    record = AttendanceRecord.objects.get(user=live.trainee)
    assert record.status == AttendanceStatus.PRESENT
    assert abs((record.checkin_at - scanned_at).total_seconds()) < 2

    # Single use: coming back to the resume page does nothing more.
    again = client.post(reverse("attendance:scan_resume"))
    assert outcome(again) == services.Outcome.EXPIRED
    assert outcome(client.get(reverse("attendance:scan_resume"))) == services.Outcome.EXPIRED


def test_pending_scan_cannot_be_used_from_another_browser(live, client, client_for):
    client.get(scan_url(live.session, live.venue))
    other = client_for(live.trainee)  # the same person, another browser: nothing stored there
    assert outcome(other.get(reverse("attendance:scan_resume"))) == "expired"
    assert outcome(other.post(reverse("attendance:scan_resume"))) == "expired"
    assert not AttendanceRecord.objects.exists()


def test_pending_scan_expires_after_a_few_minutes(live, client, monkeypatch):
    client.get(scan_url(live.session, live.venue))
    later = timezone.now() + dt.timedelta(seconds=services.PENDING_SCAN_SECONDS + 5)
    monkeypatch.setattr(timezone, "now", lambda: later)
    client.force_login(live.trainee)
    assert outcome(client.get(reverse("attendance:scan_resume"))) == "expired"
    assert outcome(client.post(reverse("attendance:scan_resume"))) == "expired"
    assert not AttendanceRecord.objects.exists()


# --- Check-out ---------------------------------------------------------------------------
def _checkout_time(session):
    retime(session, start_offset_min=-170, length_min=175)  # ends in 5 minutes


def test_checkout_before_checkin_is_refused(world, client_for):
    _checkout_time(world.session)
    response = client_for(world.trainee).post(scan_url(world.session, world.venue, "o"))
    assert outcome(response) == services.Outcome.NOT_CHECKED_IN
    assert "尚未签到" in response.content.decode()
    assert not AttendanceRecord.objects.exists()


def test_checkout_after_checkin_keeps_status_and_happens_once(world, client_for):
    _checkout_time(world.session)
    AttendanceRecord.objects.create(
        session=world.session,
        user=world.trainee,
        venue=world.venue,
        source="qr",
        status=AttendanceStatus.PRESENT,
        checkin_at=world.session.start,
    )
    client = client_for(world.trainee)
    url = scan_url(world.session, world.venue, "o")
    assert outcome(client.post(url)) == services.Outcome.CHECKED_OUT
    assert outcome(client.post(url)) == services.Outcome.ALREADY_OUT
    record = AttendanceRecord.objects.get()
    assert record.checkout_at is not None and record.status == AttendanceStatus.PRESENT


def test_checkout_before_its_window_opens_is_refused(live, client_for):
    client = client_for(live.trainee)
    client.post(scan_url(live.session, live.venue))
    response = client.post(scan_url(live.session, live.venue, "o"))
    assert outcome(response) == services.Outcome.NOT_OPEN
    assert AttendanceRecord.objects.get().checkout_at is None


# --- Proxy check-in, leave overridden by presence, Redis down -------------------------------
def test_one_device_checking_in_two_trainees_flags_both(live, client_for):
    second = UserFactory(unit=live.county_a)
    EnrollmentFactory(program=live.program, user=second)
    phone = client_for(live.trainee)
    phone.post(scan_url(live.session, live.venue))
    phone.force_login(second)  # same browser, same device cookie
    response = phone.post(scan_url(live.session, live.venue))
    assert outcome(response) == services.Outcome.ON_TIME
    assert "多名学员签到" in response.content.decode()
    assert AttendanceRecord.objects.filter(flagged=True).count() == 2


def test_two_devices_are_not_flagged(live, client_for):
    second = UserFactory(unit=live.county_a)
    EnrollmentFactory(program=live.program, user=second)
    client_for(live.trainee).post(scan_url(live.session, live.venue))
    client_for(second).post(scan_url(live.session, live.venue))
    assert not AttendanceRecord.objects.filter(flagged=True).exists()


def test_trainee_on_leave_who_comes_anyway_is_checked_in_and_logged(live, client_for):
    record = AttendanceRecord.objects.create(
        session=live.session,
        user=live.trainee,
        status=AttendanceStatus.ON_LEAVE,
        source=AttendanceRecord.Source.LEAVE,
    )
    response = client_for(live.trainee).post(scan_url(live.session, live.venue))
    assert outcome(response) == services.Outcome.ON_TIME
    record.refresh_from_db()
    assert record.status == AttendanceStatus.PRESENT and record.checkin_at
    entry = AuditLog.objects.get(action="attendance.checkin")
    assert entry.before["status"] == "on_leave" and entry.after["status"] == "present"


def test_checkin_works_with_redis_down(live, client_for, settings):
    """REDIS_URL pointing at a closed port: cache and broker unreachable, check-in unaffected."""
    from config.celery import app

    closed = "redis://127.0.0.1:1/3"
    settings.REDIS_URL = closed
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": closed,
            "OPTIONS": {"socket_connect_timeout": 0.2, "socket_timeout": 0.2},
        }
    }
    previous = (app.conf.broker_url, app.conf.task_always_eager)
    app.conf.broker_url, app.conf.task_always_eager = closed, False
    try:
        second = UserFactory(unit=live.county_a)
        EnrollmentFactory(program=live.program, user=second)
        phone = client_for(live.trainee)
        assert outcome(phone.post(scan_url(live.session, live.venue))) == "on_time"
        phone.force_login(second)  # the rare path (proxy flag) too
        assert phone.post(scan_url(live.session, live.venue)).status_code == 200
    finally:
        app.conf.broker_url, app.conf.task_always_eager = previous
    assert AttendanceRecord.objects.filter(session=live.session).count() == 2


def test_reloading_the_result_page_later_links_to_the_record(live, client_for):
    client = client_for(live.trainee)
    now = time.time()
    url = scan_url(live.session, live.venue, now=now)
    client.post(url)
    from unittest import mock

    with mock.patch("attendance.tokens.time.time", return_value=now + 120):
        response = client.post(url)
    assert outcome(response) == services.Outcome.EXPIRED
    record_url = reverse("attendance:record", args=[AttendanceRecord.objects.get().pk])
    assert f'href="{record_url}"' in response.content.decode()


def test_result_page_escapes_what_organizers_typed(live, client_for):
    live.session.topic = '<script>alert("x")</script>专题'
    live.session.save(update_fields=["topic"])
    body = client_for(live.trainee).post(scan_url(live.session, live.venue)).content.decode()
    assert "<script>" not in body
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;专题" in body


def test_result_page_speaks_english_when_chosen(live, client_for):
    from django.conf import settings

    retime(live.session, start_offset_min=-12)
    client = client_for(live.trainee)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    body = client.post(scan_url(live.session, live.venue)).content.decode()
    assert '<html lang="en">' in body
    assert "Checked in, 12 minutes late" in body and "View attendance record" in body
    words = re.sub(r"<dd>.*?</dd>", "", body)  # the topic and class title are data
    assert not re.search(r"[\u4e00-\u9fff]", words), words


def test_a_proxy_check_in_marked_absent_is_not_undone_by_scanning_again(live, client_for):
    """The record page tells managers to mark a confirmed proxy check-in absent; that clears the
    check-in time, and a second scan (from the same phone, minutes later) must not fill it in
    again, unflagged, as if the trainee were there."""
    second = UserFactory(unit=live.county_a)
    EnrollmentFactory(program=live.program, user=second)
    phone = client_for(live.trainee)
    phone.post(scan_url(live.session, live.venue))
    phone.force_login(second)
    phone.post(scan_url(live.session, live.venue))
    services.records_mark(
        session=live.session,
        user_ids=[second.pk],
        status=AttendanceStatus.ABSENT,
        reason="核实为他人代签",
        by=live.manager,
    )
    response = phone.post(scan_url(live.session, live.venue))
    assert outcome(response) == services.Outcome.MARKED_ABSENT
    assert "班主任已将您本节课记为旷课" in response.content.decode()
    record = AttendanceRecord.objects.get(user=second)
    assert (record.status, record.checkin_at, record.source) == ("absent", None, "manual")
    assert not AuditLog.objects.filter(action="attendance.checkin", target_id=str(record.pk))
    assert "签到时间" not in response.content.decode()  # nothing was checked in


# --- The state change is a same-site POST (issue 12 item 16) --------------------------------
def test_a_get_of_the_scan_link_checks_nobody_in_and_shows_the_form_that_posts_it(live, client_for):
    client = client_for(live.trainee)
    url = scan_url(live.session, live.venue)
    response = client.get(url)
    body = response.content.decode()
    assert outcome(response) == "confirm"
    assert 'method="post"' in body and "data-autosubmit" in body
    assert 'name="csrfmiddlewaretoken"' in body and "js/attendance.js" in body
    assert "确认签到" in body  # the button, for a phone without JavaScript
    assert not AttendanceRecord.objects.exists()


def test_a_cross_site_post_without_the_csrf_token_checks_nobody_in(live):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(live.trainee)
    response = client.post(scan_url(live.session, live.venue))
    assert response.status_code == 403
    assert not AttendanceRecord.objects.exists()


def test_the_form_posted_from_the_scan_page_checks_in_at_the_time_it_was_opened(live, monkeypatch):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(live.trainee)
    url = scan_url(live.session, live.venue)
    opened = timezone.now()
    page = client.get(url).content.decode()
    fields = dict(re.findall(r'name="(csrfmiddlewaretoken|seen)" value="([^"]+)"', page))
    # a phone without JavaScript: the trainee taps the button a minute later, when the code
    # itself would have expired
    later = time.time() + 60
    monkeypatch.setattr("attendance.tokens.time.time", lambda: later)
    monkeypatch.setattr("attendance.views.scanning.time.time", lambda: later)
    response = client.post(url, fields)
    assert outcome(response) == services.Outcome.ON_TIME
    record = AttendanceRecord.objects.get(user=live.trainee)
    assert abs((record.checkin_at - opened).total_seconds()) < 2


def test_a_stamp_from_another_account_does_not_stretch_the_code(live, client_for, monkeypatch):
    from attendance.views.scanning import _seen_stamp

    other = UserFactory()
    url = scan_url(live.session, live.venue)
    later = time.time() + 60
    monkeypatch.setattr("attendance.tokens.time.time", lambda: later)
    monkeypatch.setattr("attendance.views.scanning.time.time", lambda: later)
    response = client_for(live.trainee).post(url, {"seen": _seen_stamp(other, later - 60)})
    assert outcome(response) == services.Outcome.EXPIRED


def test_login_page_says_the_check_in_completes_after_login(live, client):
    response = client.get(scan_url(live.session, live.venue), follow=True)
    assert "登录后将自动完成签到" in response.content.decode()
    plain = client.get(reverse("login")).content.decode()
    assert "登录后将自动完成签到" not in plain
