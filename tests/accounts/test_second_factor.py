"""Second factor (issue 17 item 3): TOTP with django-otp for administrative roles, enrolment with
the otpauth QR and recovery codes, the code step after the password; real codes computed from the
device key."""

import pytest
from django.test import Client
from django.urls import reverse
from django_otp.oath import totp
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import OrgUnit, Role
from core.models import AuditLog
from tests.factories import TEST_PASSWORD, OrgUnitFactory, RoleGrantFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def enforced(settings):
    settings.LECTERN_OTP_ENFORCED = True
    settings.LECTERN_OTP_ORGANIZER_MAX_DEPTH = 1


def code(device, offset=0):
    return f"{totp(device.bin_key, device.step, device.t0, device.digits, offset):06d}"


def signed_in(user):
    client = Client()
    response = client.post(reverse("login"), {"username": user.username, "password": TEST_PASSWORD})
    assert response.status_code == 302
    return client


@pytest.fixture
def province():
    return OrgUnitFactory(kind=OrgUnit.Kind.PROVINCE)


@pytest.fixture
def admin(province):
    user = UserFactory(username="otp_admin")
    RoleGrantFactory(user=user, role=Role.ADMIN, unit=province)
    return user


def enrol(client, user):
    page = client.get(reverse("accounts:otp_setup"))
    assert page.status_code == 200
    assert 'src="data:image/svg+xml' in page.content.decode()
    device = TOTPDevice.objects.get(user=user, confirmed=False)
    assert "otpauth://totp/" in device.config_url
    done = client.post(reverse("accounts:otp_setup"), {"token": code(device)})
    assert done.status_code == 200
    codes = done.context["codes"]
    assert len(codes) == 10
    return TOTPDevice.objects.get(user=user, confirmed=True), codes


def test_admin_must_enrol_before_any_page_then_enter_a_code_at_each_sign_in(admin):
    client = signed_in(admin)
    first = client.get(reverse("home"))
    assert first.status_code == 302
    assert first["Location"].startswith(reverse("accounts:otp_setup"))
    device, codes = enrol(client, admin)
    assert client.get(reverse("home")).status_code == 200
    assert AuditLog.objects.filter(action="otp.enrol", target_id=str(admin.pk)).exists()
    # the next sign-in asks for the code
    later = signed_in(admin)
    step = later.get(reverse("home"))
    assert step["Location"].startswith(reverse("accounts:otp_verify"))
    wrong = later.post(reverse("accounts:otp_verify"), {"token": "000000"})
    assert wrong.status_code == 200 and later.get(reverse("home")).status_code == 302
    assert AuditLog.objects.filter(action="otp.verify_failed").exists()
    device.refresh_from_db()
    device.throttling_failure_count = 0
    device.throttling_failure_timestamp = None
    device.save()
    ok = later.post(reverse("accounts:otp_verify"), {"token": code(device, offset=1), "next": "/"})
    assert ok.status_code == 302
    assert later.get(reverse("home")).status_code == 200
    assert AuditLog.objects.filter(action="otp.verify", target_id=str(admin.pk)).exists()


def test_a_recovery_code_works_once(admin):
    client = signed_in(admin)
    _device, codes = enrol(client, admin)
    other = signed_in(admin)
    assert other.post(reverse("accounts:otp_verify"), {"token": codes[0]}).status_code == 302
    assert other.get(reverse("home")).status_code == 200
    assert not StaticToken.objects.filter(token=codes[0]).exists()
    third = signed_in(admin)
    assert third.post(reverse("accounts:otp_verify"), {"token": codes[0]}).status_code == 200
    assert third.get(reverse("home")).status_code == 302


def test_a_wrong_code_does_not_confirm_enrolment(admin):
    client = signed_in(admin)
    client.get(reverse("accounts:otp_setup"))
    response = client.post(reverse("accounts:otp_setup"), {"token": "123456"})
    assert response.status_code == 200
    assert not TOTPDevice.objects.filter(user=admin, confirmed=True).exists()
    assert client.get(reverse("home")).status_code == 302


def test_which_roles_need_it(province):
    from accounts.otp import otp_required

    city = OrgUnitFactory(parent=province)
    county = OrgUnitFactory(parent=city)
    city_org, county_org, trainee, auditor = (UserFactory() for _ in range(4))
    RoleGrantFactory(user=city_org, role=Role.ORGANIZER, unit=city)
    RoleGrantFactory(user=county_org, role=Role.ORGANIZER, unit=county)
    RoleGrantFactory(user=auditor, role=Role.AUDIT_ADMIN, unit=province)
    assert otp_required(city_org) and otp_required(auditor)
    assert not otp_required(county_org) and not otp_required(trainee)


def test_trainee_signs_in_with_the_password_alone():
    trainee = UserFactory()
    assert signed_in(trainee).get(reverse("home")).status_code == 200


def test_not_enforced_outside_production_by_default(admin, settings):
    settings.LECTERN_OTP_ENFORCED = False
    assert signed_in(admin).get(reverse("home")).status_code == 200


def test_codes_expire_with_time(admin):
    client = signed_in(admin)
    device, _ = enrol(client, admin)
    stale = f"{totp(device.bin_key, device.step, device.t0, device.digits, -10):06d}"
    later = signed_in(admin)
    assert later.post(reverse("accounts:otp_verify"), {"token": stale}).status_code == 200


def test_security_admin_resets_a_lost_phone(admin, province):
    client = signed_in(admin)
    enrol(client, admin)
    sec = UserFactory(username="otp_sec")
    RoleGrantFactory(user=sec, role=Role.SECURITY_ADMIN, unit=province)
    sec_client = Client()
    sec_client.force_login(sec)  # the session is not OTP-verified: the code step comes first
    assert sec_client.post(reverse("accounts:security_otp_reset"), {"username": admin.username})[
        "Location"
    ].startswith(reverse("accounts:otp_setup"))
    assert TOTPDevice.objects.filter(user=admin, confirmed=True).exists()
    from accounts.otp import otp_reset

    otp_reset(user=admin, by=sec)
    assert not TOTPDevice.objects.filter(user=admin).exists()
    assert AuditLog.objects.filter(action="otp.reset", actor=sec).exists()
    again = signed_in(admin)
    assert again.get(reverse("home"))["Location"].startswith(reverse("accounts:otp_setup"))


def test_security_admin_reset_page(admin, province, settings):
    settings.LECTERN_OTP_ENFORCED = False
    sec = UserFactory(username="otp_sec2")
    RoleGrantFactory(user=sec, role=Role.SECURITY_ADMIN, unit=province)
    TOTPDevice.objects.create(user=admin, name="a", confirmed=True)
    client = Client()
    client.force_login(sec)
    response = client.post(reverse("accounts:security_otp_reset"), {"username": admin.username})
    assert response.status_code == 302
    assert not TOTPDevice.objects.filter(user=admin).exists()
