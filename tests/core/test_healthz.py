import pytest
from django.db import connection
from django.test import override_settings

pytestmark = pytest.mark.django_db


def test_healthz_ok_with_database_up(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json()["checks"]["database"] == "ok"


def test_healthz_503_when_database_unreachable(client, monkeypatch):
    def broken_cursor(*args, **kwargs):
        from django.db.utils import OperationalError

        raise OperationalError("connection refused")

    # Simulate an unreachable server at the connection level (no server to stop in a unit test).
    monkeypatch.setattr(connection, "cursor", broken_cursor)
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["status"] == "unavailable"
    assert "OperationalError" in response.json()["checks"]["database"]


@override_settings(REDIS_URL="redis://127.0.0.1:1/0")
def test_healthz_503_when_configured_redis_is_down(client):
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["checks"]["redis"].startswith("error")


@pytest.mark.postgres
def test_healthz_503_against_a_real_unreachable_postgres(client, settings):
    """A second connection alias pointed at a closed port: the real driver error, not a stub."""
    import subprocess
    import sys

    env_code = (
        "import django, os; os.environ['DATABASE_URL']='postgres://postgres@127.0.0.1:1/none';"
        "os.environ['DB_POOL']='0'; django.setup();"
        "from django.test import Client; r = Client().get('/healthz');"
        "print(r.status_code)"
    )
    import os

    env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL",)}
    env["DJANGO_SETTINGS_MODULE"] = "config.settings"
    env["ALLOWED_HOSTS"] = "testserver"
    out = subprocess.run(
        [sys.executable, "-c", env_code], env=env, capture_output=True, text=True, timeout=60
    )
    assert out.stdout.strip().splitlines()[-1] == "503", out.stderr
