"""Styled error pages in the reader's language, each with a way back; never Django's bare ones."""

import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.test import Client
from django.urls import path, reverse

from config.urls import urlpatterns as project_urls
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def _forbidden(request):
    raise PermissionDenied


def _missing(request):
    raise Http404


def _broken(request):
    raise RuntimeError("boom")


urlpatterns = [
    path("t/forbidden/", _forbidden),
    path("t/missing/", _missing),
    path("t/broken/", _broken),
    *project_urls,
]


@pytest.fixture(autouse=True)
def error_urls(settings):
    settings.ROOT_URLCONF = __name__
    settings.DEBUG = False


def _page(client, url, language):
    client.cookies["django_language"] = language
    return client.get(url)


@pytest.mark.parametrize(
    ("url", "status", "zh", "en"),
    [
        (
            "/t/forbidden/",
            403,
            "没有权限访问此页面",
            "You do not have permission to open this page",
        ),
        ("/t/missing/", 404, "找不到这个页面", "This page could not be found"),
        ("/no/such/page/", 404, "找不到这个页面", "This page could not be found"),
    ],
)
def test_error_pages_in_both_languages_with_a_way_home(client, url, status, zh, en):
    chinese = _page(client, url, "zh-hans")
    assert chinese.status_code == status
    text = chinese.content.decode()
    assert zh in text and "返回首页" in text and 'href="/"' in text
    assert "Forbidden" not in text and "Not Found" not in text
    english = _page(client, url, "en")
    text = english.content.decode()
    assert en in text and "Back to the home page" in text
    assert zh not in text


def test_403_offers_sign_in_to_a_visitor_and_the_inbox_to_a_user(client):
    assert reverse("login") in _page(client, "/t/forbidden/", "zh-hans").content.decode()
    client.force_login(UserFactory())
    assert reverse("inbox") in _page(client, "/t/forbidden/", "zh-hans").content.decode()


def test_500_page_is_styled_in_the_readers_language():
    client = Client(raise_request_exception=False)
    for language, expected in (("zh-hans", "系统暂时出了问题"), ("en", "Something went wrong")):
        client.cookies["django_language"] = language
        response = client.get("/t/broken/")
        assert response.status_code == 500
        text = response.content.decode()
        assert expected in text and 'href="/"' in text
        assert "Server Error" not in text


def test_500_template_renders_without_a_request():
    from django.template import loader

    html = loader.get_template("500.html").render()
    assert "500" in html and "lectern" in html  # the stylesheet


def test_expired_form_is_explained_not_a_bare_csrf_403():
    client = Client(enforce_csrf_checks=True)
    client.cookies["django_language"] = "zh-hans"
    response = client.post(reverse("set_language"), {"language": "en"})
    assert response.status_code == 403
    text = response.content.decode()
    assert "页面已过期" in text and "返回首页" in text
    assert "CSRF verification failed" not in text


def test_every_page_can_say_that_an_htmx_request_failed(client):
    client.force_login(UserFactory())
    response = client.get(reverse("inbox"))
    page = response.content.decode()
    assert 'id="htmx-error"' in page and "htmx:responseError" in page
    assert "没有权限执行此操作" in page
    nonce = page.split('<script nonce="', 1)[1].split('"', 1)[0]
    assert nonce and f"'nonce-{nonce}'" in response["Content-Security-Policy"]
    client.cookies["django_language"] = "en"
    assert "You may not do this" in client.get(reverse("inbox")).content.decode()
