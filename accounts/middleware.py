"""Identity middleware (after AuthenticationMiddleware and MessageMiddleware):

- SessionPolicyMiddleware ends a session that has been idle too long or has passed its absolute
  lifetime (accounts.sessions), and leads a person whose password was issued by an
  administrator, or whose administrator password has expired, to the password change page
  before anything else.
"""

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth import logout
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts import sessions


def _exempt(path: str, *, otp: bool = False) -> bool:
    from django.conf import settings

    allowed = [
        reverse("accounts:otp_setup") if otp else reverse("accounts:password_change"),
        reverse("accounts:otp_verify"),
        reverse("logout"),
        reverse("login"),
        "/i18n/",
        settings.STATIC_URL,
    ]
    return any(path.startswith(p) for p in allowed)


class SessionPolicyMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            why = sessions.expired(request.session)
            if why:
                from accounts.models import UserSession
                from core.services import audit_log

                key = request.session.session_key
                audit_log(actor=user, action=f"session.timeout.{why}", target=user)
                UserSession.objects.filter(session_key=key).delete()
                logout(request)
                messages.info(request, _("您长时间未操作或登录已超过时限,请重新登录。"))
                return redirect(f"{reverse('login')}?{urlencode({'next': request.path})}")
            if sessions.touch(request.session) and request.session.session_key:
                from accounts.models import UserSession

                UserSession.objects.filter(session_key=request.session.session_key).update(
                    last_seen=timezone.now()
                )
            if (
                request.session.get(sessions.OTP_REQUIRED)
                and not user.is_verified()
                and not _exempt(request.path, otp=True)
            ):
                from accounts.otp import has_device

                target = "accounts:otp_verify" if has_device(user) else "accounts:otp_setup"
                return redirect(f"{reverse(target)}?{urlencode({'next': request.path})}")
            if (
                user.must_change_password or request.session.get(sessions.PW_EXPIRED)
            ) and not _exempt(request.path):
                return redirect("accounts:password_change")
        return self.get_response(request)
