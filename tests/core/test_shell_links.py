import pytest
from django.http import HttpResponse
from django.test import RequestFactory
from django.urls import path

from core.links import absolute_url, current_base, using_base

pytestmark = pytest.mark.django_db


def _link_view(request):
    # a service called from a view, with no request passed down
    return HttpResponse(absolute_url("/evaluation/verify/ABC/"))


urlpatterns = [path("link/", _link_view)]


@pytest.fixture
def link_urls(settings):
    settings.ROOT_URLCONF = __name__


def test_without_site_url_a_link_built_during_a_request_points_where_the_user_is(
    client, settings, link_urls
):
    settings.SITE_URL = ""
    response = client.get("/link/", HTTP_HOST="10.1.2.3:8123")
    assert response.content.decode() == "http://10.1.2.3:8123/evaluation/verify/ABC/"


def test_site_url_wins_when_set(client, settings, link_urls):
    settings.SITE_URL = "https://peixun.example.gov.cn/"
    response = client.get("/link/", HTTP_HOST="10.1.2.3:8123")
    assert response.content.decode() == "https://peixun.example.gov.cn/evaluation/verify/ABC/"


def test_an_explicit_request_gives_its_scheme_and_host(settings):
    settings.SITE_URL = ""
    request = RequestFactory().get("/", HTTP_HOST="10.1.2.3:8123", secure=True)
    assert absolute_url("/x/", request) == "https://10.1.2.3:8123/x/"


def test_a_job_reenters_the_base_it_was_queued_with(settings):
    settings.SITE_URL = ""
    with using_base("http://192.168.0.9:8000/"):
        assert current_base() == "http://192.168.0.9:8000"
        assert absolute_url("/a/") == "http://192.168.0.9:8000/a/"
    assert absolute_url("/a/", base="http://h:1") == "http://h:1/a/"
    assert absolute_url("https://other/x") == "https://other/x"


def test_the_base_does_not_outlive_its_request(client, settings, link_urls):
    settings.SITE_URL = ""
    client.get("/link/", HTTP_HOST="10.1.2.3:8123")
    assert current_base() == ""
