"""Concurrent writers on PostgreSQL append to one audit chain (the advisory lock)."""

import threading

import pytest
from django.db import close_old_connections, connection

from core import audit
from core.models import AuditLog
from core.services import AuditEntry, audit_log, audit_log_many
from tests.factories import ProgramFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_concurrent_writers_keep_one_chain():
    assert connection.vendor == "postgresql"
    program = ProgramFactory()
    start = threading.Barrier(6)
    errors = []

    def writer(n):
        try:
            start.wait()
            for i in range(10):
                if i % 3 == 0:
                    audit_log_many(
                        AuditEntry(actor=None, action=f"t{n}.many", target=program)
                        for _ in range(3)
                    )
                else:
                    audit_log(actor=None, action=f"t{n}.one", target=program)
        except Exception as exc:  # noqa: BLE001
            errors.append(exc)
        finally:
            close_old_connections()
            connection.close()

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert AuditLog.objects.count() == 6 * (4 * 3 + 6)
    result = audit.verify()
    assert result.ok, result
