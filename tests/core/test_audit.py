"""The audit trail: one entry or many in one INSERT, written the same way."""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.db import connection
from django.test.utils import CaptureQueriesContext

from core.models import AuditLog
from core.services import AuditEntry, audit_log, audit_log_many, audit_trail_for
from tests.factories import ProgramFactory, UserFactory

pytestmark = pytest.mark.django_db

FIELDS = ("actor_id", "action", "target_type", "target_id", "before", "after", "reason")


def test_many_entries_are_one_insert_and_read_like_single_ones():
    actor = UserFactory()
    programs = [ProgramFactory() for _ in range(3)]
    single = audit_log(
        actor=actor, action="program.edit", target=programs[0], before={"a": 1}, after={"a": 2}
    )
    with CaptureQueriesContext(connection) as ctx:
        many = audit_log_many(
            AuditEntry(
                actor=actor, action="program.edit", target=p, before={"a": 1}, after={"a": 2}
            )
            for p in programs
        )
    # the chain's last hash, then one INSERT for all (the actor's roles are read once)
    assert [q["sql"].split()[0] for q in ctx.captured_queries][-2:] == ["SELECT", "INSERT"]
    assert len(ctx.captured_queries) <= 4
    assert len(many) == 3
    stored = AuditLog.objects.filter(target_id=str(programs[0].pk)).order_by("pk")
    first, bulk = stored
    assert first.pk == single.pk
    assert [getattr(first, f) for f in FIELDS] == [getattr(bulk, f) for f in FIELDS]
    assert [e.action for e in audit_trail_for(programs[2])] == ["program.edit"]


def test_an_anonymous_actor_is_stored_as_no_actor_and_a_missing_reason_as_blank():
    program = ProgramFactory()
    audit_log_many([AuditEntry(actor=AnonymousUser(), action="x.y", target=program, reason=None)])
    entry = AuditLog.objects.get(action="x.y")
    assert entry.actor_id is None and entry.reason == ""
