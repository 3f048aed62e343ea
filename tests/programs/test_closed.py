"""Contract 7: completed and archived programs are read-only unless an admin reopens them."""

import datetime as dt

import pytest
from django.utils import timezone

from core.errors import DomainError
from core.models import AuditLog
from programs import services
from programs.access import ensure_program_open, program_is_open
from programs.models import Program

pytestmark = pytest.mark.django_db
S = Program.Status


@pytest.mark.parametrize("status", [S.DRAFT, S.PUBLISHED, S.RUNNING])
def test_open_states_pass(world, status):
    world.program.status = status
    ensure_program_open(world.program)


@pytest.mark.parametrize(("status", "word"), [(S.COMPLETED, "已结束"), (S.ARCHIVED, "已归档")])
def test_closed_states_are_refused_with_a_message(world, status, word):
    world.program.status = status
    with pytest.raises(DomainError, match=word) as err:
        ensure_program_open(world.program)
    assert err.value.code == "program_closed"
    assert "管理员" in err.value.message


def test_admin_reopens_for_a_limited_time_with_an_audit_entry(world):
    p = world.program
    Program.objects.filter(pk=p.pk).update(status=S.ARCHIVED)
    p.refresh_from_db()
    reopened = services.program_reopen(program=p, by=world.admin, reason="补录两名学员")
    ensure_program_open(reopened)
    assert reopened.reopened_until > timezone.now() + dt.timedelta(days=6)
    entry = AuditLog.objects.get(action="program.reopen", target_id=str(p.pk))
    assert entry.after["reason"] == "补录两名学员"
    # Time runs out: closed again.
    Program.objects.filter(pk=p.pk).update(reopened_until=timezone.now() - dt.timedelta(seconds=1))
    p.refresh_from_db()
    assert not program_is_open(p)
    with pytest.raises(DomainError):
        ensure_program_open(p)


def test_admin_can_close_a_reopened_program_early(world):
    p = world.program
    Program.objects.filter(pk=p.pk).update(status=S.COMPLETED)
    p.refresh_from_db()
    services.program_reopen(program=p, by=world.admin, reason="更正课表")
    p = services.program_reopen_end(program=p, by=world.admin)
    assert not program_is_open(p)
    assert AuditLog.objects.filter(action="program.reopen_end", target_id=str(p.pk)).exists()


def test_moving_on_closes_a_reopening(world):
    p = world.program
    Program.objects.filter(pk=p.pk).update(status=S.COMPLETED)
    p.refresh_from_db()
    services.program_reopen(program=p, by=world.admin, reason="更正课表")
    p = services.program_transition(program=p, to=S.ARCHIVED, by=world.admin)
    assert not program_is_open(p)


def test_only_admins_reopen_and_a_reason_is_required(world):
    p = world.program
    Program.objects.filter(pk=p.pk).update(status=S.COMPLETED)
    p.refresh_from_db()
    with pytest.raises(DomainError, match="管理员"):
        services.program_reopen(program=p, by=world.organizer, reason="想改")
    with pytest.raises(DomainError, match="原因"):
        services.program_reopen(program=p, by=world.admin, reason="  ")
    p.refresh_from_db()
    assert not program_is_open(p)
    assert not AuditLog.objects.filter(action="program.reopen").exists()


def test_reopening_an_open_program_is_refused(world):
    with pytest.raises(DomainError, match="无需"):
        services.program_reopen(program=world.program, by=world.admin, reason="x")


def test_reopened_program_timetable_can_change(world):
    p = world.program
    Program.objects.filter(pk=p.pk).update(status=S.COMPLETED)
    p.refresh_from_db()
    with pytest.raises(DomainError, match="已结束"):
        services.program_update(program=p, by=world.organizer, data={"title": "改名"})
    services.program_reopen(program=p, by=world.admin, reason="更正名称")
    services.program_update(program=p, by=world.organizer, data={"title": "改名"})
    p.refresh_from_db()
    assert p.title == "改名"
