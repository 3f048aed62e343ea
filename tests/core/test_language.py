import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_chinese_by_default_even_for_an_english_browser(client):
    response = client.get(reverse("login"), headers={"accept-language": "en-US,en;q=0.9"})
    assert response["Content-Language"] == "zh-hans"
    assert "登录讲台" in response.content.decode()


def test_language_switch_turns_english_on_and_back(client):
    client.post(reverse("set_language"), {"language": "en", "next": "/accounts/login/"})
    english = client.get(reverse("login"))
    assert english["Content-Language"] == "en"
    assert "Sign in to Lectern" in english.content.decode()
    client.post(reverse("set_language"), {"language": "zh-hans", "next": "/"})
    assert "登录讲台" in client.get(reverse("login")).content.decode()


def test_only_the_closest_nav_entry_is_marked_active():
    from core.context_processors import active_nav_url
    from core.registry import NavItem

    items = [
        NavItem("首页", "/", "home"),
        NavItem("项目", "/programs/", "p"),
        NavItem("日程", "/programs/my/", "s"),
    ]
    assert active_nav_url("/programs/my/", items) == "/programs/my/"
    assert active_nav_url("/programs/12/", items) == "/programs/"
    assert active_nav_url("/", items) == "/"
    assert active_nav_url("/inbox/", items) == ""


def test_an_english_request_does_not_leave_english_on_in_the_thread(client):
    from django.utils import translation

    client.cookies["django_language"] = "en"
    assert client.get(reverse("login"))["Content-Language"] == "en"
    assert translation.get_language() == "zh-hans"
