import pytest

from accounts.models import OrgUnit
from accounts.scoping import can_organize_unit, organizer_scope_q, roles_of
from programs.models import Program
from tests.factories import OrgUnitFactory, ProgramFactory

pytestmark = pytest.mark.django_db


def test_subtree_is_a_prefix_query_over_paths(world):
    township = OrgUnitFactory(parent=world.county_a, kind=OrgUnit.Kind.TOWNSHIP)
    subtree = set(world.city_a.subtree().values_list("pk", flat=True))
    assert {world.city_a.pk, world.county_a.pk, township.pk} <= subtree
    assert world.city_b.pk not in subtree
    assert township.depth == 3
    assert list(township.ancestors()) == [world.province, world.city_a, world.county_a, township]


def test_organizer_sees_programs_of_own_subtree_only(world):
    county_program = ProgramFactory(organizing_unit=world.county_a)
    other_city_program = ProgramFactory(organizing_unit=world.city_b)
    visible = set(Program.objects.filter(organizer_scope_q(world.organizer)))
    assert world.program in visible
    assert county_program in visible
    assert other_city_program not in visible


def test_admin_scope_is_everything(world):
    other_city_program = ProgramFactory(organizing_unit=world.city_b)
    visible = set(Program.objects.filter(organizer_scope_q(world.admin)))
    assert {world.program, other_city_program} <= visible


def test_roles_are_read_once_and_cached(world, django_assert_num_queries):
    user = world.organizer
    with django_assert_num_queries(1):
        roles_of(user)
        roles_of(user)
    assert roles_of(user).is_organizer and not roles_of(user).is_admin
    assert can_organize_unit(user, world.county_a)
    assert not can_organize_unit(user, world.city_b)
    assert not roles_of(world.trainee).is_organizer
