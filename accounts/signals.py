"""Identity events audited through core.services.audit_log (signals keep the audit decoupled
from Django's and axes' login views): sign-in success and failure, sign-out, lockout, a
superuser's break-glass sign-in; and session bookkeeping at sign-in (limits, one session per
administrator account, the "我的登录会话" rows)."""

from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver


@receiver(user_logged_in, dispatch_uid="accounts.logged_in")
def on_logged_in(sender, request, user, **kwargs):
    from accounts import sessions
    from accounts.models import UserSession
    from accounts.services import client_facts, password_expired, session_end
    from core.services import audit_log

    facts = client_facts(request)
    kind = sessions.stamp(request.session, user)
    if password_expired(user):
        request.session[sessions.PW_EXPIRED] = True
    from accounts.otp import otp_required

    if otp_required(user):
        request.session[sessions.OTP_REQUIRED] = True
    if not request.session.session_key:
        request.session.save()
    key = request.session.session_key
    if kind == "admin":  # one active session per administrator account
        for old in UserSession.objects.filter(user=user).exclude(session_key=key):
            session_end(session=old, by=user, why="replaced")
    UserSession.objects.update_or_create(
        session_key=key,
        defaults={"user": user, "ip": facts["ip"][:45], "user_agent": facts["user_agent"]},
    )
    audit_log(actor=user, action="login.success", target=user, after=facts)
    if user.is_superuser:
        audit_log(actor=user, action="login.superuser", target=user, after=facts)


@receiver(user_logged_out, dispatch_uid="accounts.logged_out")
def on_logged_out(sender, request, user, **kwargs):
    from accounts.models import UserSession
    from accounts.services import client_facts
    from core.services import audit_log

    key = getattr(getattr(request, "session", None), "session_key", None)
    if key:
        UserSession.objects.filter(session_key=key).delete()
    if user is not None and user.is_authenticated:
        audit_log(actor=user, action="logout", target=user, after=client_facts(request))


def _user_named(username):
    from accounts.models import User

    return User.objects.filter(username=username or "").first()


@receiver(user_login_failed, dispatch_uid="accounts.login_failed")
def on_login_failed(sender, credentials, request=None, **kwargs):
    from accounts.models import User
    from accounts.services import client_facts
    from core.services import audit_log

    username = (credentials or {}).get("username", "")
    user = _user_named(username)
    facts = {**client_facts(request), "username": str(username)[:150]}
    # an unknown name is logged against no stored account (target id "None")
    audit_log(actor=None, action="login.failure", target=user or User(), after=facts)


def on_locked_out(sender, request=None, username=None, ip_address=None, **kwargs):
    from accounts.models import User
    from accounts.services import client_facts
    from core.services import audit_log

    user = _user_named(username)
    facts = {**client_facts(request), "username": str(username or "")[:150]}
    if ip_address:
        facts["ip"] = ip_address
    audit_log(actor=None, action="login.lockout", target=user or User(), after=facts)


def connect():
    from axes.signals import user_locked_out

    user_locked_out.connect(on_locked_out, dispatch_uid="accounts.locked_out")
