"""Passwords (issue 17 item 1): own change, reset by e-mail (single use, the user's language),
the policy, the forced change after an issued password, the administrators' expiry."""

import re
from datetime import timedelta

import pytest
from django.contrib.auth import password_validation
from django.core import mail
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from accounts.models import PasswordHistory, Role
from accounts.services import user_issue_password
from core.models import AuditLog
from tests.factories import TEST_PASSWORD, OrgUnitFactory, RoleGrantFactory, UserFactory

pytestmark = pytest.mark.django_db
GOOD = "Qinghu-2027x"


def login(client, user, password=TEST_PASSWORD):
    return client.post(reverse("login"), {"username": user.username, "password": password})


def change(client, old, new):
    return client.post(
        reverse("accounts:password_change"),
        {"old_password": old, "new_password1": new, "new_password2": new},
    )


@pytest.mark.parametrize(
    "password",
    ["Ab1!x", "abcdefgh12", "ABCDEFGH!!", "zhangsan2027A"],
    ids=["short", "two-classes", "two-classes-upper", "like-username"],
)
def test_policy_refuses_weak_passwords(password):
    user = UserFactory(username="zhangsan2027", full_name="张三")
    with pytest.raises(ValidationError):
        password_validation.validate_password(password, user)


def test_policy_accepts_three_classes_of_eight():
    user = UserFactory(username="zhangsan")
    password_validation.validate_password(GOOD, user)


def test_none_of_the_last_five_passwords_again(client):
    user = UserFactory(username="lisi")
    client.force_login(user)
    passwords = [TEST_PASSWORD] + [f"Yunjiang-{i}a!" for i in range(6)]
    for old, new in zip(passwords, passwords[1:], strict=False):
        assert change(client, old, new).status_code == 302, new
    # the current one and four before it are refused; the sixth-last is allowed again
    for reused in passwords[-5:]:
        response = change(client, passwords[-1], reused)
        assert response.status_code == 200
        assert "最近 5 次" in response.content.decode()
    assert PasswordHistory.objects.filter(user=user).count() == 5
    assert change(client, passwords[-1], passwords[1]).status_code == 302


def test_change_own_password_ends_other_sessions_and_is_audited(client, client_for):
    user = UserFactory(username="wangwu")
    other_device = client_for(user)
    assert other_device.get(reverse("accounts:profile")).status_code == 200
    client.force_login(user)
    assert (
        reverse("accounts:password_change")
        in client.get(reverse("accounts:profile")).content.decode()
    )
    response = change(client, TEST_PASSWORD, GOOD)
    assert response.status_code == 302
    # this device stays signed in, the other one is signed out (Django's session hash)
    assert client.get(reverse("accounts:profile")).status_code == 200
    assert reverse("login") in other_device.get(reverse("accounts:profile"))["Location"]
    user.refresh_from_db()
    assert user.check_password(GOOD)
    entry = AuditLog.objects.get(action="password.change", target_id=str(user.pk))
    assert "ip" in entry.after and "user_agent" in entry.after


def test_change_refuses_a_wrong_old_password(client):
    user = UserFactory(username="zhaoliu")
    client.force_login(user)
    response = change(client, "wrong-old", GOOD)
    assert response.status_code == 200
    user.refresh_from_db()
    assert user.check_password(TEST_PASSWORD)


def test_reset_by_email_link_is_single_use_and_in_the_users_language(client):
    user = UserFactory(username="sunqi", email="sunqi@example.cn", language="en")
    response = client.post(reverse("accounts:password_reset"), {"email": "sunqi@example.cn"})
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["sunqi@example.cn"]
    assert "password" in message.subject.lower()
    link = re.search(r"https?://\S+/password/reset/\S+/\S+/", message.body).group(0)
    path = link.split("://", 1)[1].split("/", 1)[1]
    response = client.get("/" + path, follow=True)
    set_url = response.redirect_chain[-1][0]
    done = client.post(set_url, {"new_password1": GOOD, "new_password2": GOOD})
    assert done.status_code == 302
    user.refresh_from_db()
    assert user.check_password(GOOD)
    assert AuditLog.objects.filter(action="password.reset", target_id=str(user.pk)).exists()
    # the same link again: refused
    again = client.get("/" + path, follow=True)
    assert again.context["validlink"] is False


def test_reset_mail_in_chinese_for_a_chinese_user(client):
    UserFactory(username="zhouba", email="zhouba@example.cn", language="")
    client.post(reverse("accounts:password_reset"), {"email": "zhouba@example.cn"})
    assert "重设密码" in mail.outbox[0].subject


def test_reset_link_expires(client, settings):
    from django.contrib.auth.tokens import PasswordResetTokenGenerator

    user = UserFactory(username="wujiu")
    generator = PasswordResetTokenGenerator()
    token = generator.make_token(user)
    assert generator.check_token(user, token)
    later = generator._now() + timedelta(seconds=settings.PASSWORD_RESET_TIMEOUT + 5)
    generator._now = lambda: later
    assert settings.PASSWORD_RESET_TIMEOUT <= 24 * 3600
    assert not generator.check_token(user, token)


def test_an_issued_password_forces_a_change_before_anything_else(client):
    user = UserFactory(username="zhengshi")
    user_issue_password(user=user, password="Chushi-2026!", by=None)
    assert login(client, user, "Chushi-2026!").status_code == 302
    home = client.get(reverse("home"))
    assert home.status_code == 302 and home["Location"] == reverse("accounts:password_change")
    page = client.get(reverse("accounts:password_change"))
    assert "初始密码" in page.content.decode()
    # logout stays reachable
    assert client.post(reverse("logout")).status_code == 302
    login(client, user, "Chushi-2026!")
    assert change(client, "Chushi-2026!", GOOD).status_code == 302
    user.refresh_from_db()
    assert not user.must_change_password
    assert client.get(reverse("home")).status_code == 200


def test_issuing_a_weak_password_is_refused():
    user = UserFactory(username="qianyi")
    with pytest.raises(ValidationError):
        user_issue_password(user=user, password="lectern2026", by=None)


def test_demo_style_password_still_signs_in_without_a_forced_change(client):
    """Existing passwords are never validated at sign-in (the demo's lectern2026)."""
    user = UserFactory(username="demo_trainee")
    user.set_password("lectern2026")
    user.save()
    assert login(client, user, "lectern2026").status_code == 302
    assert client.get(reverse("home")).status_code == 200


def test_admin_password_expires_after_the_configured_days(client, settings):
    settings.LECTERN_ADMIN_PASSWORD_MAX_AGE_DAYS = 90
    unit = OrgUnitFactory()
    admin = UserFactory(username="old_admin")
    RoleGrantFactory(user=admin, role=Role.ADMIN, unit=unit)
    trainee = UserFactory(username="old_trainee")
    long_ago = timezone.now() - timedelta(days=91)
    type(admin).objects.filter(pk__in=[admin.pk, trainee.pk]).update(password_changed_at=long_ago)
    login(client, admin)
    response = client.get(reverse("home"))
    assert response["Location"] == reverse("accounts:password_change")
    assert "到期" in client.get(reverse("accounts:password_change")).content.decode()
    change(client, TEST_PASSWORD, GOOD)
    assert client.get(reverse("home")).status_code == 200
    # a trainee's old password does not expire
    other = type(client)()
    login(other, trainee)
    assert other.get(reverse("home")).status_code == 200
