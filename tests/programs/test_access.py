import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404

from programs.access import Access, program_access, program_get, session_get
from programs.models import Program

pytestmark = pytest.mark.django_db


def test_access_levels_follow_roles(world):
    p = world.program
    assert program_access(world.admin, p) == Access.MANAGE
    assert program_access(world.organizer, p) == Access.MANAGE
    assert program_access(world.manager, p) == Access.MANAGE
    assert program_access(world.assistant, p) == Access.MANAGE
    assert program_access(world.trainee, p) == Access.INVOLVED
    assert program_access(world.lecturer_user, p) == Access.INVOLVED
    assert program_access(world.venue_manager, p) == Access.INVOLVED
    assert program_access(world.outsider, p) == Access.NONE
    assert program_access(world.other_trainee, p) == Access.NONE


def test_liaison_in_the_city_sees_published_program_as_audience(world):
    assert program_access(world.liaison, world.program) == Access.AUDIENCE
    world.program.status = Program.Status.DRAFT
    world.program.save(update_fields=["status"])
    assert program_access(world.liaison, world.program) == Access.NONE


def test_outsider_gets_404_and_trainee_403_for_management(world):
    with pytest.raises(Http404):
        program_get(user=world.outsider, pk=world.program.pk, need=Access.MANAGE)
    with pytest.raises(PermissionDenied):
        program_get(user=world.trainee, pk=world.program.pk, need=Access.MANAGE)
    assert program_get(user=world.organizer, pk=world.program.pk, need=Access.MANAGE).access == 3


def test_venue_manager_manages_the_session_but_not_the_program(world):
    assert session_get(user=world.venue_manager, pk=world.session.pk).access == Access.MANAGE
    with pytest.raises(PermissionDenied):
        program_get(user=world.venue_manager, pk=world.program.pk, need=Access.MANAGE)
    with pytest.raises(Http404):
        session_get(user=world.outsider, pk=world.session.pk)
