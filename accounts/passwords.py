"""The password policy (AUTH_PASSWORD_VALIDATORS in config/settings.py): at least 8 characters,
three of the four character classes, not like the username, not one of the last five.

Only new passwords are checked (changing, resetting, issuing); a password already set, such as
the demo accounts', still signs in."""

from django.conf import settings
from django.contrib.auth.hashers import check_password
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _


def _classes(password: str) -> int:
    return sum(
        (
            any(c.islower() for c in password),
            any(c.isupper() for c in password),
            any(c.isdigit() for c in password),
            any(not c.isalnum() for c in password),
        )
    )


class CharacterClassesValidator:
    """At least `min_classes` of: lower-case letters, upper-case letters, digits, symbols."""

    def __init__(self, min_classes: int = 3):
        self.min_classes = min_classes

    def validate(self, password, user=None):
        if _classes(password) < self.min_classes:
            raise ValidationError(
                _("密码须包含大写字母、小写字母、数字、符号四类中的至少 %(n)d 类。"),
                code="password_too_simple",
                params={"n": self.min_classes},
            )

    def get_help_text(self):
        return _("密码须包含大写字母、小写字母、数字、符号四类中的至少 %(n)d 类。") % {
            "n": self.min_classes
        }


def history_size() -> int:
    return int(getattr(settings, "LECTERN_PASSWORD_HISTORY", 5))


class PasswordHistoryValidator:
    """Not the current password nor one of the last `history_size()` ones; every new password is
    remembered (as its hash) when it is saved."""

    def validate(self, password, user=None):
        if user is None or not getattr(user, "pk", None):
            return
        from accounts.models import PasswordHistory

        n = history_size()
        encoded = list(
            PasswordHistory.objects.filter(user=user).values_list("password", flat=True)[:n]
        )
        if user.password:
            encoded.append(user.password)
        if any(check_password(password, e) for e in encoded if e):
            raise ValidationError(
                _("新密码不能与最近 %(n)d 次使用过的密码相同。"),
                code="password_reused",
                params={"n": n},
            )

    def password_changed(self, password, user=None):
        if user is None or not user.pk or not user.password:
            return
        from django.utils import timezone

        from accounts.models import PasswordHistory, User

        PasswordHistory.objects.create(user=user, password=user.password)
        keep = PasswordHistory.objects.filter(user=user).values_list("pk", flat=True)[
            : history_size()
        ]
        PasswordHistory.objects.filter(user=user).exclude(pk__in=list(keep)).delete()
        now = timezone.now()
        User.objects.filter(pk=user.pk).update(password_changed_at=now)
        user.password_changed_at = now

    def get_help_text(self):
        return _("新密码不能与最近 %(n)d 次使用过的密码相同。") % {"n": history_size()}
