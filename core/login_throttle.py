"""Slow down password guessing across many accounts from one address, without locking anyone out.

django-axes locks a (username, address) pair after a few failures, so one person in a lecture
hall that shares a NAT address never locks out the hall. That leaves one gap: a single address
trying a few passwords on *each of many* accounts. Here every failed login counts against the
client address (core.clientip) in the cache; once an address has had
``LECTERN_LOGIN_IP_FAILURES`` failures within ``LECTERN_LOGIN_IP_WINDOW`` seconds, logins from it
are *spaced*: one attempt per ``LECTERN_LOGIN_IP_GAP`` seconds, any attempt sooner is refused
with a message saying how long to wait. Nobody is locked out (a trainee in the hall waits a few
seconds), while a guesser is held to a handful of tries a minute for the whole address.

:class:`LoginForm` applies it (config/urls.py gives it to the login view).
"""

from __future__ import annotations

import time

from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from core.clientip import client_ip


def _limits() -> tuple[int, int, int]:
    return (
        int(getattr(settings, "LECTERN_LOGIN_IP_FAILURES", 30)),
        int(getattr(settings, "LECTERN_LOGIN_IP_WINDOW", 600)),
        int(getattr(settings, "LECTERN_LOGIN_IP_GAP", 5)),
    )


def _window_key(address: str, window: int) -> str:
    return f"login-ip:fail:{address}:{int(time.time()) // window}"


def _gap_key(address: str) -> str:
    return f"login-ip:gap:{address}"


def failures(address: str) -> int:
    _, window, _gap = _limits()
    return int(cache.get(_window_key(address, window), 0) or 0)


def record_failure(address: str) -> int:
    """Count one failed login from `address`; returns the count in the current window."""
    _, window, _gap = _limits()
    key = _window_key(address, window)
    cache.add(key, 0, window + 5)
    try:
        return cache.incr(key)
    except ValueError:  # evicted between add and incr
        cache.set(key, 1, window + 5)
        return 1


def wait_seconds(address: str) -> int:
    """0 when a login attempt from `address` may go ahead now (and, when the address is being
    slowed down, claim its slot); otherwise how many seconds it must wait."""
    limit, _window, gap = _limits()
    if not address or failures(address) < limit:
        return 0
    if cache.add(_gap_key(address), time.time() + gap, gap):
        return 0  # the first attempt in this gap: let it through
    until = cache.get(_gap_key(address)) or 0
    return max(1, int(round(until - time.time())))


class LoginForm(AuthenticationForm):
    """The login form, with the per-address slowdown in front of the password check."""

    error_messages = {
        **AuthenticationForm.error_messages,
        "slowed_down": _(
            "此网络地址近期登录失败次数过多,为保护账号,登录已放慢。请 %(seconds)s 秒后再试;"
            "如忘记密码,请联系本单位管理员。"
        ),
    }

    def clean(self):
        address = client_ip(self.request) if self.request is not None else ""
        seconds = wait_seconds(address)
        if seconds:
            raise ValidationError(
                self.error_messages["slowed_down"],
                code="slowed_down",
                params={"seconds": seconds},
            )
        try:
            return super().clean()
        except ValidationError:
            if address:
                record_failure(address)
            raise
