import pytest
from django.urls import reverse

from tests.factories import TEST_PASSWORD, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def axes_on(settings):
    settings.AXES_ENABLED = True
    settings.AXES_FAILURE_LIMIT = 3
    from axes.models import AccessAttempt

    AccessAttempt.objects.all().delete()
    yield


def attempt(client, username, password, ip):
    return client.post(
        reverse("login"), {"username": username, "password": password}, REMOTE_ADDR=ip
    )


def test_repeated_failures_lock_that_account_from_that_address(client, axes_on):
    user = UserFactory(username="zhangsan")
    for _ in range(3):
        attempt(client, user.username, "wrong", "10.0.0.7")
    locked = attempt(client, user.username, TEST_PASSWORD, "10.0.0.7")
    assert locked.status_code == 429
    assert "登录尝试过多" in locked.content.decode()


def test_a_shared_hall_address_is_not_locked_for_other_trainees(client, axes_on):
    victim = UserFactory(username="lisi")
    classmate = UserFactory(username="wangwu")
    for _ in range(5):
        attempt(client, victim.username, "wrong", "10.0.0.7")
    ok = attempt(client, classmate.username, TEST_PASSWORD, "10.0.0.7")
    assert ok.status_code == 302


def test_the_same_account_still_signs_in_from_another_address(client, axes_on):
    user = UserFactory(username="zhaoliu")
    for _ in range(5):
        attempt(client, user.username, "wrong", "10.0.0.7")
    ok = attempt(client, user.username, TEST_PASSWORD, "10.0.0.8")
    assert ok.status_code == 302


def test_wrong_password_shows_a_clear_message(client, axes_on):
    user = UserFactory(username="sunqi")
    response = attempt(client, user.username, "wrong", "10.0.0.9")
    assert response.status_code == 200
    assert "请输入一个正确的" in response.content.decode()
