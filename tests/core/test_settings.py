"""Each environment switch picks what it says; a bad value fails loudly. Settings are imported in
a fresh interpreter per case so the running test process is untouched."""

import json
import os
import subprocess
import sys

import pytest

PROBE = (
    "import json, django; from django.conf import settings; django.setup();"
    "print(json.dumps({'engine': settings.DATABASES['default']['ENGINE'],"
    " 'pool': 'pool' in settings.DATABASES['default'].get('OPTIONS', {}),"
    " 'eager': settings.CELERY_TASK_ALWAYS_EAGER, 'broker': settings.CELERY_BROKER_URL,"
    " 'cache': settings.CACHES['default']['BACKEND'], 'debug': settings.DEBUG,"
    " 'lang': settings.LANGUAGE_CODE, 'tz': settings.TIME_ZONE, 'use_tz': settings.USE_TZ,"
    " 'secure_cookie': settings.SESSION_COOKIE_SECURE, 'hsts': settings.SECURE_HSTS_SECONDS}))"
)

BASE_ENV = {
    k: v
    for k, v in os.environ.items()
    if k not in {"DATABASE_URL", "REDIS_URL", "LECTERN_ENV", "DEBUG", "SECRET_KEY", "ALLOWED_HOSTS"}
}
BASE_ENV["DJANGO_SETTINGS_MODULE"] = "config.settings"
PROD = {
    "LECTERN_ENV": "production",
    "SECRET_KEY": "q7-Lk2#vR9pZ!mW4tX8@bN3cJ6+hF1sD5gY0uE" * 2,
    "ALLOWED_HOSTS": "lectern.example.cn",
    # field encryption of ID and phone numbers: production refuses to run without its keys
    "LECTERN_PII_KEYS": "0Jm0sU5I1YkqQmSg3a0Ckp0Vd7l1hN7f0uX0bqS4M2E=",
    "LECTERN_PII_INDEX_KEY": "v8#Qe2!rT6yU1iO4pA7sD0fG3hJ5kL9zX",
}


def load(**env):
    result = subprocess.run(
        [sys.executable, "-c", PROBE],
        env={**BASE_ENV, **env},
        capture_output=True,
        text=True,
        cwd=os.path.dirname(os.path.dirname(os.path.dirname(__file__))),
        timeout=60,
    )
    return result


def settings_for(**env) -> dict:
    result = load(**env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_defaults_are_sqlite_eager_celery_chinese_shanghai():
    s = settings_for()
    assert s["engine"] == "django.db.backends.sqlite3"
    assert s["eager"] is True and s["broker"] == "memory://"
    assert s["cache"].endswith("LocMemCache")
    assert (s["lang"], s["tz"], s["use_tz"]) == ("zh-hans", "Asia/Shanghai", True)
    assert s["debug"] is True


def test_database_url_selects_postgresql_with_a_pool():
    s = settings_for(DATABASE_URL="postgres://u:p@db.example:5432/lectern")
    assert s["engine"] == "django.db.backends.postgresql"
    assert s["pool"] is True
    assert settings_for(DATABASE_URL="postgres://u@h/db", DB_POOL="0")["pool"] is False


def test_redis_url_selects_real_broker_and_redis_cache():
    s = settings_for(REDIS_URL="redis://127.0.0.1:6379/9")
    assert s["eager"] is False
    assert s["broker"] == "redis://127.0.0.1:6379/9"
    assert s["cache"].endswith("RedisCache")


def test_production_turns_debug_off_and_cookies_secure():
    s = settings_for(**PROD)
    assert s["debug"] is False
    assert s["secure_cookie"] is True
    assert s["hsts"] >= 31_536_000


@pytest.mark.parametrize(
    "env, message",
    [
        ({"LECTERN_ENV": "staging"}, "LECTERN_ENV"),
        ({"DEBUG": "maybe"}, "DEBUG"),
        ({"DATABASE_URL": "mysql://x/y"}, "DATABASE_URL"),
        ({"REDIS_URL": "http://x"}, "REDIS_URL"),
        ({"DB_POOL_MAX": "ten", "DATABASE_URL": "postgres://u@h/d"}, "DB_POOL_MAX"),
        ({"LECTERN_ENV": "production", "ALLOWED_HOSTS": "x"}, "SECRET_KEY"),
        ({"LECTERN_ENV": "production", "SECRET_KEY": "x" * 60}, "ALLOWED_HOSTS"),
        ({**PROD, "DEBUG": "1"}, "DEBUG"),
    ],
)
def test_bad_values_fail_loudly(env, message):
    result = load(**env)
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert message in result.stderr


def test_check_deploy_is_clean_with_production_settings():
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        env={**BASE_ENV, **PROD},
        capture_output=True,
        text=True,
        timeout=120,
        cwd=os.path.dirname(os.path.dirname(os.path.dirname(__file__))),
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


@pytest.mark.parametrize(("timeout", "interval"), [("3600", 10), ("3", 1), ("12", 4)])
def test_orphaned_tasks_are_looked_for_well_within_the_visibility_timeout(timeout, interval):
    """kombu on its own scans for unacknowledged tasks only every tenth tick (100 s), so a job
    whose worker died could wait far longer than the configured timeout."""
    probe = (
        "import json, django; from django.conf import settings; django.setup();"
        "print(json.dumps(settings.CELERY_BROKER_TRANSPORT_OPTIONS))"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe],
        env={**BASE_ENV, "CELERY_VISIBILITY_TIMEOUT": timeout},
        capture_output=True,
        text=True,
        cwd=os.path.dirname(os.path.dirname(os.path.dirname(__file__))),
        check=True,
    )
    options = json.loads(result.stdout)
    assert options["visibility_timeout"] == int(timeout)
    assert options["unacked_restore_interval"] == interval
    assert options["unacked_restore_throttle"] == 1


def test_tests_keep_their_files_out_of_the_project_media_directory(settings):
    from pathlib import Path

    from django.core.files.base import ContentFile
    from django.core.files.storage import default_storage

    project_media = Path(__file__).resolve().parents[2] / "media"
    assert Path(settings.MEDIA_ROOT).resolve() != project_media
    name = default_storage.save("probe/written-by-a-test.txt", ContentFile(b"x"))
    assert Path(default_storage.path(name)).is_relative_to(Path(settings.MEDIA_ROOT))
    default_storage.delete(name)
