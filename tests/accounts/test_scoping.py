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


def test_admin_scope_stays_everything_when_ored_with_another_condition(world, client_for):
    """`Q(a) | Q()` is `Q(a)` in Django: an empty Q for admins used to shrink their scope to
    the other condition (the enrolment review page listed none of the programs for admins)."""
    from django.db.models import Q
    from django.urls import reverse

    from enrollment.selectors import managed_programs
    from tests.factories import EnrollmentFactory, UserFactory

    other_city_program = ProgramFactory(organizing_unit=world.city_b)
    ored = set(Program.objects.filter(Q(code="none") | organizer_scope_q(world.admin)))
    assert {world.program, other_city_program} <= ored
    assert other_city_program in set(managed_programs(world.admin))
    EnrollmentFactory(program=other_city_program, user=UserFactory(), status="applied")
    page = client_for(world.admin).get(reverse("enrollment:reviews")).content.decode()
    assert other_city_program.title in page


def test_roles_are_read_once_and_cached(world, django_assert_num_queries):
    user = world.organizer
    with django_assert_num_queries(1):
        roles_of(user)
        roles_of(user)
    assert roles_of(user).is_organizer and not roles_of(user).is_admin
    assert can_organize_unit(user, world.county_a)
    assert not can_organize_unit(user, world.city_b)
    assert not roles_of(world.trainee).is_organizer


def test_moving_a_unit_in_the_admin_moves_its_subtree_and_the_scope_follows(world, client):
    """The admin's change form used to save the unit alone: its subtree kept the old paths, so
    the organizers above the new place could not see the township's programs."""
    from django.urls import reverse

    from core.models import AuditLog
    from tests.factories import UserFactory

    township = OrgUnitFactory(parent=world.county_a, kind=OrgUnit.Kind.TOWNSHIP)
    village_program = ProgramFactory(organizing_unit=township)
    root = UserFactory(is_superuser=True, is_staff=True)
    client.force_login(root)
    url = reverse("admin:accounts_orgunit_change", args=[world.county_a.pk])
    data = {
        "name": world.county_a.name,
        "code": world.county_a.code,
        "kind": world.county_a.kind,
        "parent": world.city_b.pk,
    }
    assert client.post(url, data).status_code == 302
    world.county_a.refresh_from_db()
    township.refresh_from_db()
    assert world.county_a.path.startswith(world.city_b.path)
    assert township.path.startswith(world.county_a.path) and township.depth == 3
    assert AuditLog.objects.filter(action="orgunit.move").exists()
    assert village_program not in set(Program.objects.filter(organizer_scope_q(world.organizer)))

    # and not into its own subtree
    back = {**data, "parent": township.pk}
    response = client.post(url, back)
    assert response.status_code == 200 and "不能把单位移到" in response.content.decode()
