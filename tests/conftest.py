"""Shared fixtures: a small unit tree, one user per role (an outsider among them), and the
switch that turns a missing PostgreSQL or Redis into a failure when LECTERN_REQUIRE_SERVICES=1."""

import contextlib
import hashlib
import os
import sqlite3
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.conf import settings
from django.db import DatabaseError, connection

from accounts.models import OrgUnit, Role
from programs.models import ProgramStaff
from tests.factories import (
    EnrollmentFactory,
    LecturerFactory,
    OrgUnitFactory,
    ProgramFactory,
    RoleGrantFactory,
    SessionFactory,
    UserFactory,
    VenueFactory,
)

REQUIRE_SERVICES = os.environ.get("LECTERN_REQUIRE_SERVICES", "") in ("1", "true", "yes")


def _missing(reason: str):
    if REQUIRE_SERVICES:
        pytest.fail(f"required service missing: {reason}", pytrace=False)
    pytest.skip(f"service not configured: {reason} (set LECTERN_REQUIRE_SERVICES=1 to fail)")


def redis_available() -> bool:
    if not settings.REDIS_URL:
        return False
    import redis

    try:
        redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=1).ping()
        return True
    except redis.exceptions.RedisError:
        return False


# --- A cached schema ----------------------------------------------------------------------------
# Running every migration took most of a test run's fixed cost. The migrated schema is kept keyed
# by a hash of every installed app's migration files (and the Django version): SQLite copies a
# cached file into its in-memory test database, PostgreSQL creates the test database (one per
# xdist worker) from a template database. A changed or new migration gives a new key, so the
# schema is rebuilt by running the migrations once. LECTERN_TEST_SCHEMA_CACHE=0 turns it off.


def _schema_key(vendor: str) -> str:
    import django
    from django.apps import apps

    digest = hashlib.sha256(f"{vendor} {django.__version__}".encode())
    for config in sorted(apps.get_app_configs(), key=lambda c: c.label):
        folder = Path(config.path) / "migrations"
        for path in sorted(folder.glob("*.py")) if folder.is_dir() else ():
            digest.update(f"{config.label}/{path.name}".encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def _create_test_db_from_cached_schema(original):
    def create_test_db(self, verbosity=1, autoclobber=False, serialize=None, keepdb=False):
        vendor = self.connection.vendor
        if os.environ.get("LECTERN_TEST_SCHEMA_CACHE", "1") == "0" or keepdb:
            return original(self, verbosity, autoclobber, serialize, keepdb)
        if vendor == "sqlite" and self.is_in_memory_db(self._get_test_db_name()):
            return _sqlite_from_cache(self, original, verbosity, autoclobber, serialize)
        if vendor == "postgresql":
            return _postgres_from_template(self, original, verbosity, autoclobber, serialize)
        return original(self, verbosity, autoclobber, serialize, keepdb)

    return create_test_db


def _sqlite_from_cache(creation, original, verbosity, autoclobber, serialize):
    from django.core.management import call_command

    cached = Path(tempfile.gettempdir()) / f"lectern-test-schema-{_schema_key('sqlite')}.sqlite3"
    if not cached.exists():
        name = original(creation, verbosity, autoclobber, serialize, False)
        partial = cached.with_suffix(f".{os.getpid()}.part")
        target = sqlite3.connect(partial)
        creation.connection.ensure_connection()
        creation.connection.connection.backup(target)
        target.close()
        os.replace(partial, cached)
        return name
    name = creation._get_test_db_name()
    creation.connection.close()
    settings.DATABASES[creation.connection.alias]["NAME"] = name
    creation.connection.settings_dict["NAME"] = name
    creation.connection.ensure_connection()
    source = sqlite3.connect(cached)
    source.backup(creation.connection.connection)
    source.close()
    call_command("createcachetable", database=creation.connection.alias)
    return name


def _postgres_from_template(creation, original, verbosity, autoclobber, serialize):
    test = creation.connection.settings_dict["TEST"]
    base = (test.get("NAME") or f"test_{creation.connection.settings_dict['NAME']}").split("_gw")
    template = f"{base[0]}_schema_{_schema_key('postgresql')}"[:63]
    with creation._nodb_cursor() as cursor:
        exists = creation._database_exists(cursor, template)
    if exists:
        test["TEMPLATE"] = template
        try:  # the migrations find nothing left to do
            return original(creation, verbosity, autoclobber, serialize, False)
        finally:
            test.pop("TEMPLATE", None)
    name = original(creation, verbosity, autoclobber, serialize, False)
    creation.connection.close()
    creation.connection.close_pool()
    quote = creation.connection.ops.quote_name
    with creation._nodb_cursor() as cursor:
        cursor.execute(
            "SELECT datname FROM pg_catalog.pg_database WHERE datname LIKE %s",
            [f"{base[0]}_schema_%"],
        )
        for (old,) in cursor.fetchall():  # schemas of older migration states
            # (one another run is creating a database from right now stays until next time)
            with contextlib.suppress(DatabaseError):
                cursor.execute(f"DROP DATABASE IF EXISTS {quote(old)}")
        # (when another worker made it first, that one is used next time)
        with contextlib.suppress(DatabaseError):
            cursor.execute(f"CREATE DATABASE {quote(template)} TEMPLATE {quote(name)}")
    return name


def _install_schema_cache():
    from django.db.backends.base.creation import BaseDatabaseCreation

    if not getattr(BaseDatabaseCreation.create_test_db, "_lectern_cached", False):
        patched = _create_test_db_from_cached_schema(BaseDatabaseCreation.create_test_db)
        patched._lectern_cached = True
        BaseDatabaseCreation.create_test_db = patched


_install_schema_cache()

# --- Parallel workers (pytest-xdist, `bin/test`) ---------------------------------------------
# Each worker has its own test database (pytest-django adds the worker's name); in Redis, which
# they share, each keeps its cache keys and its Celery queues under its own prefix, so a worker
# thread started by one test never takes another worker's task. Tests that start processes of
# their own (tests/faults) are marked `serial` and run in bin/test's second, one-process pass.
XDIST_WORKER = os.environ.get("PYTEST_XDIST_WORKER", "")
if XDIST_WORKER:
    settings.CACHES["default"]["KEY_PREFIX"] = XDIST_WORKER
    from config.celery import app as _celery_app

    _celery_app.conf.broker_transport_options = {
        **(_celery_app.conf.broker_transport_options or {}),
        "global_keyprefix": f"{XDIST_WORKER}:",
    }


SERIAL_HOME = Path(__file__).parent / "faults"


def pytest_collection_modifyitems(config, items):
    """Disruptive tests (restarting a service) run last so nothing else sees the hiccup. Tests
    marked serial or disruptive live in tests/faults/: bin/test's one-process pass collects only
    that folder, so one elsewhere would run in neither pass."""
    misplaced = [
        item.nodeid
        for item in items
        if (item.get_closest_marker("serial") or item.get_closest_marker("disruptive"))
        and SERIAL_HOME not in Path(str(item.fspath)).parents
    ]
    if misplaced:
        raise pytest.UsageError(f"serial/disruptive tests belong in tests/faults/: {misplaced}")
    items.sort(key=lambda item: 1 if item.get_closest_marker("disruptive") else 0)


def pytest_runtest_setup(item):
    if item.get_closest_marker("postgres") and connection.vendor != "postgresql":
        _missing("PostgreSQL (DATABASE_URL is not a postgres:// URL)")
    if item.get_closest_marker("redis") and not redis_available():
        _missing(f"Redis ({settings.REDIS_URL or 'REDIS_URL unset'})")


@pytest.fixture(autouse=True, scope="session")
def _media_in_a_temporary_directory(tmp_path_factory):
    """Uploads and generated files go to a directory of this run, not the project's media/.
    Worker subprocesses are given their own MEDIA_ROOT by the tests that start them."""
    from django.test import override_settings

    with override_settings(MEDIA_ROOT=tmp_path_factory.mktemp("media")):
        yield


@pytest.fixture(autouse=True)
def _eager_celery_by_default(settings):
    """Tests run tasks in-process unless they ask for a real worker (the celery_worker fixture)."""
    from config.celery import app

    previous = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = previous


@pytest.fixture(autouse=True)
def _fast_hashing_and_no_axes(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.AXES_ENABLED = False


@pytest.fixture(scope="module")
def demo_seeded(django_db_setup, django_db_blocker):
    """The demo (`seed_demo`) seeded once for a whole test module instead of once per test:
    it stays in a transaction rolled back when the module ends, and each test's own changes roll
    back to it. Only for tests that use `db` (not `transactional_db`/`live_server`)."""
    from django.core.management import call_command
    from django.db import transaction

    with django_db_blocker.unblock(), transaction.atomic():
        call_command("seed_demo", verbosity=0)
        yield
        transaction.set_rollback(True)


@dataclass
class World:
    """A province with two cities. City A runs a program; city B's organizer is the outsider."""

    province: OrgUnit
    city_a: OrgUnit
    city_b: OrgUnit
    county_a: OrgUnit
    admin: object
    organizer: object
    outsider: object
    liaison: object
    manager: object
    assistant: object
    venue_manager: object
    lecturer_user: object
    trainee: object
    other_trainee: object
    program: object
    session: object
    venue: object
    branch_venue: object
    lecturer: object

    def by_role(self):
        return {
            "admin": self.admin,
            "organizer": self.organizer,
            "outsider": self.outsider,
            "liaison": self.liaison,
            "manager": self.manager,
            "assistant": self.assistant,
            "venue_manager": self.venue_manager,
            "lecturer": self.lecturer_user,
            "trainee": self.trainee,
            "other_trainee": self.other_trainee,
        }


@pytest.fixture
def world(db):
    province = OrgUnitFactory(name="云江省", code="T-YJ", kind=OrgUnit.Kind.PROVINCE)
    city_a = OrgUnitFactory(name="云江市", code="T-A", kind=OrgUnit.Kind.CITY, parent=province)
    city_b = OrgUnitFactory(name="临川市", code="T-B", kind=OrgUnit.Kind.CITY, parent=province)
    county_a = OrgUnitFactory(name="青湖区", code="T-A1", kind=OrgUnit.Kind.COUNTY, parent=city_a)
    dept_a = OrgUnitFactory(name="云江市委组织部", code="T-A-ZZB", parent=city_a)
    dept_b = OrgUnitFactory(name="临川市委组织部", code="T-B-ZZB", parent=city_b)

    admin = UserFactory(username="w_admin", full_name="管理员甲", unit=province)
    RoleGrantFactory(user=admin, role=Role.ADMIN, unit=province)
    organizer = UserFactory(username="w_org", full_name="组织者甲", unit=dept_a)
    RoleGrantFactory(user=organizer, role=Role.ORGANIZER, unit=city_a)
    outsider = UserFactory(username="w_out", full_name="外单位组织者", unit=dept_b)
    RoleGrantFactory(user=outsider, role=Role.ORGANIZER, unit=city_b)
    liaison = UserFactory(username="w_liaison", full_name="联络员甲", unit=county_a)
    RoleGrantFactory(user=liaison, role=Role.LIAISON, unit=county_a)
    manager = UserFactory(username="w_mgr", full_name="班主任甲", unit=dept_a)
    assistant = UserFactory(username="w_asst", full_name="跟班员甲", unit=dept_a)
    venue_manager = UserFactory(username="w_venue", full_name="分课堂管理员", unit=county_a)
    lecturer_user = UserFactory(username="w_lect", full_name="授课人甲", unit=dept_a)
    trainee = UserFactory(username="w_trainee", full_name="学员张三", unit=county_a)
    other_trainee = UserFactory(username="w_trainee2", full_name="学员李四", unit=dept_b)

    program = ProgramFactory(title="云江市乡镇党政正职专题培训班", organizing_unit=dept_a)
    ProgramStaff.objects.create(program=program, user=manager, role=ProgramStaff.Role.CLASS_MANAGER)
    ProgramStaff.objects.create(
        program=program, user=assistant, role=ProgramStaff.Role.CLASS_ASSISTANT
    )
    venue = VenueFactory(name="市委党校报告厅", unit=city_a)
    branch_venue = VenueFactory(name="青湖区分课堂", unit=county_a)
    branch_venue.managers.add(venue_manager)
    lecturer = LecturerFactory(name="授课人甲", user=lecturer_user)
    session = SessionFactory(program=program, venue=venue, topic="新质生产力专题")
    session.branch_venues.add(branch_venue)
    session.lecturers.add(lecturer)
    EnrollmentFactory(program=program, user=trainee)
    return World(
        province=province,
        city_a=city_a,
        city_b=city_b,
        county_a=county_a,
        admin=admin,
        organizer=organizer,
        outsider=outsider,
        liaison=liaison,
        manager=manager,
        assistant=assistant,
        venue_manager=venue_manager,
        lecturer_user=lecturer_user,
        trainee=trainee,
        other_trainee=other_trainee,
        program=program,
        session=session,
        venue=venue,
        branch_venue=branch_venue,
        lecturer=lecturer,
    )


@pytest.fixture
def client_for(client):
    """client_for(user) → a test client logged in as that user (None → anonymous)."""

    def make(user):
        from django.test import Client

        c = Client()
        if user is not None:
            c.force_login(user)
        return c

    return make
