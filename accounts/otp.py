"""Second factor (issue 17 item 3) with django-otp: a TOTP device (an authenticator app) and ten
single-use recovery codes (a static device). Required, when LECTERN_OTP_ENFORCED, for the business
admin, the three administrators and organizers of units at depth <= LECTERN_OTP_ORGANIZER_MAX_DEPTH;
accounts.middleware sends such a person, once signed in with the password, to enrolment or to the
code step before any other page."""

import base64

import segno
from django.conf import settings
from django.db import transaction
from django_otp import devices_for_user, match_token
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from core.services import audit_log

RECOVERY_CODES = 10


def otp_required(user) -> bool:
    from accounts.scoping import roles_of

    if not getattr(settings, "LECTERN_OTP_ENFORCED", False):
        return False
    roles = roles_of(user)
    if roles.is_any_admin or user.is_superuser:
        return True
    max_depth = int(getattr(settings, "LECTERN_OTP_ORGANIZER_MAX_DEPTH", 1))
    return roles.organizer_min_depth is not None and roles.organizer_min_depth <= max_depth


def has_device(user) -> bool:
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def pending_device(user) -> TOTPDevice:
    """The unconfirmed authenticator being enrolled (made on first call)."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="authenticator", confirmed=False)
    return device


def qr_data_uri(device: TOTPDevice) -> str:
    """The otpauth:// QR as an SVG data URI (CSP allows data: images)."""
    return segno.make(device.config_url, error="m").svg_data_uri(scale=4, border=2)


def secret_text(device: TOTPDevice) -> str:
    """The key in groups of four (authenticator apps ignore the spaces)."""
    key = base64.b32encode(device.bin_key).decode().rstrip("=")
    return " ".join(key[i : i + 4] for i in range(0, len(key), 4))


@transaction.atomic
def otp_enrol_confirm(*, user, device: TOTPDevice, token: str, facts: dict) -> list[str] | None:
    """Confirm the pending authenticator with a code from it: the old authenticator and recovery
    codes are replaced, and the new recovery codes returned (shown once). None: wrong code."""
    if not device.verify_token(token.strip()):
        audit_log(actor=user, action="otp.enrol_failed", target=user, after=facts)
        return None
    TOTPDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    codes = recovery_codes_renew(user=user)
    audit_log(actor=user, action="otp.enrol", target=user, after=facts)
    return codes


@transaction.atomic
def recovery_codes_renew(*, user) -> list[str]:
    StaticDevice.objects.filter(user=user).delete()
    static = StaticDevice.objects.create(user=user, name="recovery", confirmed=True)
    codes = [StaticToken.random_token() for _ in range(RECOVERY_CODES)]
    StaticToken.objects.bulk_create([StaticToken(device=static, token=c) for c in codes])
    return codes


def otp_verify(*, user, token: str, facts: dict):
    """The device a code (TOTP or a recovery code, each used once) belongs to, or None."""
    device = match_token(user, token.strip().replace(" ", ""))
    kind = "recovery" if isinstance(device, StaticDevice) else "totp"
    audit_log(
        actor=user,
        action="otp.verify" if device else "otp.verify_failed",
        target=user,
        after={**facts, **({"method": kind} if device else {})},
    )
    return device


@transaction.atomic
def otp_reset(*, user, by) -> None:
    """Remove a person's second factor (lost phone): they enrol again at the next sign-in."""
    n = len(list(devices_for_user(user, confirmed=None)))
    TOTPDevice.objects.filter(user=user).delete()
    StaticDevice.objects.filter(user=user).delete()
    audit_log(actor=by, action="otp.reset", target=user, before={"devices": n})
