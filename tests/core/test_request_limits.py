"""Oversized request bodies are refused with 413 before they are read (issue 12 item 7)."""

import io

import pytest
from django.conf import settings as django_settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.http import HttpResponse
from django.test import RequestFactory
from django.urls import reverse

from core.middleware_limits import RequestSizeLimitMiddleware, request_ceiling

MB = 1024 * 1024


class ExplodingInput:
    """A wsgi.input that fails the test if anything reads it."""

    def read(self, *args):
        raise AssertionError("the body was read")

    readline = read


def _echo(request):
    files = {name: f.size for name, f in request.FILES.items()}
    return HttpResponse(f"{dict(request.POST)}|{files}")


def test_the_settings_hold_the_documented_limits():
    assert django_settings.LECTERN_UPLOAD_MAX_BYTES == 10 * MB
    assert django_settings.LECTERN_REQUEST_MAX_BYTES == 11 * MB
    assert django_settings.DATA_UPLOAD_MAX_MEMORY_SIZE <= 2_621_440
    assert django_settings.FILE_UPLOAD_MAX_MEMORY_SIZE <= 2_621_440
    middleware = django_settings.MIDDLEWARE
    assert middleware.index("core.middleware_limits.RequestSizeLimitMiddleware") < min(
        middleware.index("django.contrib.sessions.middleware.SessionMiddleware"),
        middleware.index("django.middleware.csrf.CsrfViewMiddleware"),
    )


def test_a_declared_length_over_the_ceiling_is_refused_without_reading_the_body(settings):
    settings.LECTERN_REQUEST_MAX_BYTES = 1000
    request = RequestFactory().post("/x/", data=b"", content_type="application/octet-stream")
    request.META["CONTENT_LENGTH"] = str(50 * MB)
    request.META["wsgi.input"] = ExplodingInput()
    request._stream = ExplodingInput()
    response = RequestSizeLimitMiddleware(_echo)(request)
    assert response.status_code == 413
    assert "过大" in response.content.decode() and "413" in response.content.decode()


def test_the_413_page_is_in_the_readers_language(settings):
    settings.LECTERN_REQUEST_MAX_BYTES = 1000
    request = RequestFactory().post("/x/", data=b"", content_type="application/octet-stream")
    request.META["CONTENT_LENGTH"] = str(5 * MB)
    request.COOKIES[settings.LANGUAGE_COOKIE_NAME] = "en"
    response = RequestSizeLimitMiddleware(_echo)(request)
    assert response.status_code == 413
    assert '<html lang="en">' in response.content.decode()


def test_a_body_within_the_ceiling_goes_through(settings):
    settings.LECTERN_REQUEST_MAX_BYTES = 10_000
    request = RequestFactory().post("/x/", data={"a": "1"})
    response = RequestSizeLimitMiddleware(_echo)(request)
    assert response.status_code == 200 and "'a': ['1']" in response.content.decode()


def test_an_invalid_length_is_a_400(settings):
    request = RequestFactory().post("/x/", data=b"x", content_type="text/plain")
    request.META["CONTENT_LENGTH"] = "lots"
    assert RequestSizeLimitMiddleware(_echo)(request).status_code == 400


def _chunked(body: bytes, content_type="application/x-www-form-urlencoded"):
    request = RequestFactory().generic("POST", "/x/", data=b"-", content_type=content_type)
    request.META.pop("CONTENT_LENGTH", None)
    request.META["HTTP_TRANSFER_ENCODING"] = "chunked"
    request.META["wsgi.input"] = io.BytesIO(body)
    return request


def test_a_chunked_body_is_counted_as_it_streams_and_refused_past_the_ceiling(settings):
    settings.LECTERN_REQUEST_MAX_BYTES = 100_000
    stream = io.BytesIO(b"a=" + b"x" * 5 * MB)
    request = _chunked(b"")
    request.META["wsgi.input"] = stream
    response = RequestSizeLimitMiddleware(_echo)(request)
    assert response.status_code == 413
    # it stopped reading soon after the ceiling, not at the end of the 5 MB
    assert stream.tell() <= 100_000 + 64 * 1024


def test_a_chunked_body_within_the_ceiling_is_parsed_as_usual(settings):
    settings.LECTERN_REQUEST_MAX_BYTES = 100_000
    response = RequestSizeLimitMiddleware(_echo)(_chunked(b"name=%E5%BC%A0&n=2"))
    assert response.status_code == 200
    assert "'name': ['张']" in response.content.decode()


def test_through_the_whole_stack_an_oversized_upload_is_413_and_a_normal_one_is_not(
    world, client_for, settings
):
    """The full middleware chain: the big request never reaches CSRF, sessions or the view."""
    settings.LECTERN_REQUEST_MAX_BYTES = 200_000
    client = client_for(world.manager)
    big = SimpleUploadedFile("big.pdf", b"%PDF-1.4\n" + b"0" * 300_000)
    response = client.post(reverse("inbox_mark_read"), {"file": big})
    assert response.status_code == 413
    small = SimpleUploadedFile("small.pdf", b"%PDF-1.4\n")
    assert client.post(reverse("inbox_mark_read"), {"file": small}).status_code == 302


def test_the_default_ceiling_is_the_upload_limit_plus_room_for_the_form(settings):
    del settings.LECTERN_REQUEST_MAX_BYTES
    settings.LECTERN_UPLOAD_MAX_BYTES = 5 * MB
    assert request_ceiling() == 6 * MB


@pytest.mark.parametrize("size, status", [(2_000_000, 200), (3_000_000, 400)])
def test_form_fields_beyond_data_upload_max_memory_size_are_refused(
    world, client_for, size, status
):
    """Django's own limit for the non-file part of a form (a 400, never a 500)."""
    response = client_for(world.manager).post(
        reverse("inbox_mark_read"), {"note": "x" * size}, follow=False
    )
    assert (response.status_code == 400) == (status == 400)


def test_the_readme_deployment_section_states_the_limits():
    from pathlib import Path

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Deployment", 1)[1].split("\n## ", 1)[0]
    for name in (
        "LECTERN_PROXY_COUNT",
        "LECTERN_UPLOAD_MAX_BYTES",
        "LECTERN_REQUEST_MAX_BYTES",
        "DATA_UPLOAD_MAX_MEMORY_SIZE",
        "AXES_FAILURE_LIMIT",
        "LECTERN_LOGIN_IP_FAILURES",
        "X-Forwarded-For",
        "limit_req",
    ):
        assert name in section, name
    ceiling_mb = django_settings.LECTERN_REQUEST_MAX_BYTES // MB
    assert f"client_max_body_size {ceiling_mb}m;" in section
