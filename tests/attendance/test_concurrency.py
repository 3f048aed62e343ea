"""200 concurrent identical check-ins on PostgreSQL with real threads: exactly one record."""

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection
from django.utils import timezone

from attendance import services, tokens
from attendance.models import AttendanceRecord
from tests.attendance.conftest import retime

N = 200


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_200_concurrent_identical_checkins_make_one_record(world):
    retime(world.session, start_offset_min=-1)
    scan = tokens.read(
        tokens.issue(session_id=world.session.pk, venue_id=world.venue.pk, purpose="i")
    )
    barrier = threading.Barrier(N, timeout=60)
    user = world.trainee

    def tap(_):
        try:
            barrier.wait()
            return services.checkin_scan(
                user=user, scan=scan, at=timezone.now(), device_id="phone-1"
            ).outcome
        except Exception as exc:  # every error counts against the test
            return f"error: {exc!r}"
        finally:
            connection.close()

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=N) as pool:
        outcomes = list(pool.map(tap, range(N)))
    assert time.perf_counter() - started < 60
    errors = [o for o in outcomes if o.startswith("error")]
    assert not errors, errors[:3]
    assert outcomes.count(services.Outcome.ON_TIME) == 1
    assert outcomes.count(services.Outcome.ALREADY_IN) == N - 1
    assert AttendanceRecord.objects.filter(session=world.session, user=user).count() == 1
    assert not AttendanceRecord.objects.get().flagged  # the same trainee is no proxy
