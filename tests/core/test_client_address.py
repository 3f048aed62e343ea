"""Client addresses behind LECTERN_PROXY_COUNT proxies; axes keyed by username + address; many
failures from one address slowed, never a lockout of a shared NAT (issue 12 item 14)."""

import pytest
from django.conf import settings as django_settings
from django.core.cache import cache
from django.test import Client, RequestFactory
from django.urls import reverse

from core.clientip import ClientAddressMiddleware, client_ip, resolve

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse 2026"


@pytest.fixture(autouse=True)
def _clean_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def axes_on(settings):
    settings.AXES_ENABLED = True
    settings.AXES_FAILURE_LIMIT = 3
    from axes.models import AccessAttempt

    AccessAttempt.objects.all().delete()
    return settings


def _meta(xff=None, remote="10.0.0.1"):
    meta = {"REMOTE_ADDR": remote}
    if xff is not None:
        meta["HTTP_X_FORWARDED_FOR"] = xff
    return meta


def test_the_default_is_no_proxy_and_axes_uses_our_resolver():
    assert django_settings.LECTERN_PROXY_COUNT == 0
    assert django_settings.AXES_CLIENT_IP_CALLABLE == "core.clientip.client_ip"
    assert django_settings.AXES_LOCKOUT_PARAMETERS == [["username", "ip_address"]]
    assert django_settings.MIDDLEWARE[0] == "core.clientip.ClientAddressMiddleware"


@pytest.mark.parametrize(
    "xff", [None, "", "203.0.113.9", "6.6.6.6, 203.0.113.9", "not-an-ip", "1.1.1.1, 2.2.2.2"]
)
def test_with_no_proxy_x_forwarded_for_is_ignored(xff):
    assert resolve(_meta(xff, remote="198.51.100.7"), count=0) == "198.51.100.7"


@pytest.mark.parametrize(
    "xff, expected",
    [
        ("203.0.113.9", "203.0.113.9"),  # an honest client behind one proxy
        ("6.6.6.6, 203.0.113.9", "203.0.113.9"),  # a forged entry on the left is ignored
        ("6.6.6.6, 7.7.7.7, 203.0.113.9", "203.0.113.9"),
        (" 203.0.113.9 ", "203.0.113.9"),
        ("203.0.113.9:51234", "203.0.113.9"),  # a port some proxies add
        ("2001:db8::7", "2001:db8::7"),
        ("[2001:db8::7]:443", "2001:db8::7"),
        ("", "10.0.0.1"),  # did not come through the proxy: its own address
        (None, "10.0.0.1"),
        ("garbage", "10.0.0.1"),
    ],
)
def test_with_one_proxy_the_right_most_entry_is_the_client(xff, expected):
    assert resolve(_meta(xff), count=1) == expected


def test_with_two_proxies_the_second_entry_from_the_right_is_the_client():
    assert resolve(_meta("6.6.6.6, 203.0.113.9, 10.0.0.5"), count=2) == "203.0.113.9"
    assert resolve(_meta("203.0.113.9"), count=2) == "10.0.0.1"  # too short: not trusted


def test_the_middleware_puts_the_client_in_remote_addr(settings):
    settings.LECTERN_PROXY_COUNT = 1
    seen = {}

    def view(request):
        seen["remote"] = request.META["REMOTE_ADDR"]
        seen["resolved"] = client_ip(request)
        return None

    request = RequestFactory().get(
        "/", REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="6.6.6.6, 203.0.113.9"
    )
    ClientAddressMiddleware(view)(request)
    assert seen == {"remote": "203.0.113.9", "resolved": "203.0.113.9"}
    assert request.META["LECTERN_PROXY_ADDR"] == "10.0.0.1"


def _login(client, username, password, **extra):
    return client.post(reverse("login"), {"username": username, "password": password}, **extra)


def _user(username):
    from tests.factories import UserFactory

    user = UserFactory(username=username)
    user.set_password(PASSWORD)
    user.save()
    return user


def _attempt_addresses():
    from axes.models import AccessAttempt

    return set(AccessAttempt.objects.values_list("ip_address", flat=True))


def test_no_proxy_axes_records_the_socket_address_whatever_the_header_says(axes_on):
    axes_on.LECTERN_PROXY_COUNT = 0
    _user("zhangsan")
    client = Client(REMOTE_ADDR="198.51.100.7")
    _login(client, "zhangsan", "wrong", HTTP_X_FORWARDED_FOR="1.2.3.4")
    assert _attempt_addresses() == {"198.51.100.7"}


def test_behind_one_proxy_axes_records_the_real_client(axes_on):
    axes_on.LECTERN_PROXY_COUNT = 1
    _user("zhangsan")
    client = Client(REMOTE_ADDR="10.0.0.1")  # every request arrives from the proxy
    _login(client, "zhangsan", "wrong", HTTP_X_FORWARDED_FOR="6.6.6.6, 203.0.113.9")
    assert _attempt_addresses() == {"203.0.113.9"}


def test_behind_a_proxy_one_client_cannot_lock_out_another_address(axes_on):
    """Lockout is per username + real address: an attacker locking 'zhangsan' from their own
    address leaves zhangsan free to log in from theirs (before, all shared the proxy's)."""
    axes_on.LECTERN_PROXY_COUNT = 1
    _user("zhangsan")
    attacker = Client(REMOTE_ADDR="10.0.0.1")
    for _ in range(5):
        _login(attacker, "zhangsan", "wrong", HTTP_X_FORWARDED_FOR="198.51.100.66")
    locked = _login(attacker, "zhangsan", PASSWORD, HTTP_X_FORWARDED_FOR="198.51.100.66")
    assert locked.status_code in (403, 429)
    owner = Client(REMOTE_ADDR="10.0.0.1")
    response = _login(owner, "zhangsan", PASSWORD, HTTP_X_FORWARDED_FOR="203.0.113.9")
    assert response.status_code == 302


def test_in_a_shared_nat_hall_one_persons_lockout_leaves_the_others_free(axes_on):
    axes_on.LECTERN_PROXY_COUNT = 0
    _user("zhangsan")
    _user("lisi")
    hall = "203.0.113.50"
    for _ in range(5):
        _login(Client(REMOTE_ADDR=hall), "zhangsan", "wrong")
    assert _login(Client(REMOTE_ADDR=hall), "zhangsan", PASSWORD).status_code in (403, 429)
    assert _login(Client(REMOTE_ADDR=hall), "lisi", PASSWORD).status_code == 302


def test_many_failures_across_many_accounts_from_one_address_are_slowed(settings):
    settings.LECTERN_LOGIN_IP_FAILURES = 30
    settings.LECTERN_LOGIN_IP_WINDOW = 600
    settings.LECTERN_LOGIN_IP_GAP = 60
    _user("target")
    guesser = Client(REMOTE_ADDR="198.51.100.66")
    for i in range(30):  # a few guesses on each of many accounts: axes never locks a pair
        response = _login(guesser, f"account{i % 10}", f"guess{i}")
        assert response.status_code == 200
    # the next attempt goes through (one per gap)...
    first = _login(guesser, "target", "guess-again")
    assert "放慢" not in first.content.decode()
    # ...and the one right after it is refused with a clear message, without checking the password
    second = _login(guesser, "target", PASSWORD)
    assert second.status_code == 200
    text = second.content.decode()
    assert "登录已放慢" in text and "秒后再试" in text
    assert "_auth_user_id" not in guesser.session


def test_the_slowdown_is_per_address_and_never_locks_others_out(settings):
    settings.LECTERN_LOGIN_IP_FAILURES = 5
    settings.LECTERN_LOGIN_IP_GAP = 60
    _user("lisi")
    guesser = Client(REMOTE_ADDR="198.51.100.66")
    for i in range(7):
        _login(guesser, f"account{i}", "guess")
    # another address is not affected at all
    assert _login(Client(REMOTE_ADDR="203.0.113.9"), "lisi", PASSWORD).status_code == 302
    # and on the slowed address a person still gets in once the gap has passed
    cache.delete("login-ip:gap:198.51.100.66")  # the gap elapsed
    assert _login(Client(REMOTE_ADDR="198.51.100.66"), "lisi", PASSWORD).status_code == 302


def test_the_slowdown_counts_the_real_client_behind_a_proxy(settings):
    settings.LECTERN_PROXY_COUNT = 1
    settings.LECTERN_LOGIN_IP_FAILURES = 3
    settings.LECTERN_LOGIN_IP_GAP = 60
    _user("lisi")
    for i in range(4):
        _login(Client(REMOTE_ADDR="10.0.0.1"), f"a{i}", "x", HTTP_X_FORWARDED_FOR="198.51.100.66")
    # another client behind the same proxy logs in at once
    ok = _login(
        Client(REMOTE_ADDR="10.0.0.1"), "lisi", PASSWORD, HTTP_X_FORWARDED_FOR="203.0.113.9"
    )
    assert ok.status_code == 302
