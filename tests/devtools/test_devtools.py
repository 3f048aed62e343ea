"""The development tools stay out of production: not installed, not routed, no bench command."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.urls import reverse

ROOT = Path(__file__).resolve().parents[2]
PROBE = (
    "import json, django; from django.conf import settings; django.setup();"
    "from django.core.management import get_commands; from django.urls import NoReverseMatch, reverse\n"
    "try:\n    url = reverse('devtools:ping')\nexcept NoReverseMatch:\n    url = None\n"
    "print(json.dumps({'installed': 'devtools' in settings.INSTALLED_APPS, 'url': url,"
    " 'bench': 'bench' in get_commands()}))"
)


def probe(**env) -> dict:
    base = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DATABASE_URL", "REDIS_URL", "LECTERN_ENV", "DEBUG", "SECRET_KEY"}
    }
    result = subprocess.run(
        [sys.executable, "-c", PROBE],
        env={**base, "DJANGO_SETTINGS_MODULE": "config.settings", **env},
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_production_has_no_devtools_no_bench_and_no_bare_view():
    prod = probe(
        LECTERN_ENV="production",
        SECRET_KEY="q7-Lk2#vR9pZ!mW4tX8@bN3cJ6+hF1sD5gY0uE" * 2,
        ALLOWED_HOSTS="lectern.example.cn",
    )
    assert prod == {"installed": False, "url": None, "bench": False}


def test_development_has_the_bench_command_and_the_bare_view():
    assert probe(LECTERN_ENV="development") == {
        "installed": True,
        "url": "/dev/ping/",
        "bench": True,
    }


def test_every_benchmark_name_is_registered():
    from devtools.management.commands.bench import registered_benchmarks

    assert set(registered_benchmarks()) == {
        "checkin",
        "duplicates",
        "pdf",
        "stats",
        "reminders",
        "queries",
        "pages",
        "records",
        "exports",
        "polls",
        "rush",
    }


@pytest.mark.django_db
def test_bare_view_answers_a_logged_in_user_in_one_line(client):
    from tests.factories import UserFactory

    user = UserFactory()
    client.force_login(user)
    response = client.get(reverse("devtools:ping"))
    assert response.status_code == 200
    assert response.content == f"ok {user.pk}".encode()
