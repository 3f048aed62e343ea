import random
from collections import Counter
from types import SimpleNamespace

import pytest

from accounts.models import Rank
from core.errors import DomainError
from enrollment import selectors, services
from enrollment.models import DiscussionGroup, Enrollment
from tests.factories import EnrollmentFactory, OrgUnitFactory, ProgramFactory, UserFactory


def cohort(seed=7, size=71, units=14):
    rng = random.Random(seed)
    ranks = [Rank.COUNTY] * 8 + [Rank.SECTION] * 45 + [Rank.STAFF] * 18
    return [
        SimpleNamespace(unit_id=rng.randrange(units), rank=ranks[i % len(ranks)], sort_name=f"p{i}")
        for i in range(size)
    ]


def spread(groups, attr):
    """For each value of attr, max minus min count over the groups."""
    values = {getattr(p, attr) for g in groups for p in g}
    counts = [Counter(getattr(p, attr) for p in g) for g in groups]
    return max(max(c[v] for c in counts) - min(c[v] for c in counts) for v in values)


@pytest.mark.parametrize("seed", [1, 2, 3, 7, 11])
def test_groups_are_balanced_by_size_unit_and_rank(seed):
    groups = services.balance_into_groups(cohort(seed), 6)
    sizes = [len(g) for g in groups]
    assert sum(sizes) == 71 and max(sizes) - min(sizes) <= 1
    assert spread(groups, "rank") <= 1
    assert spread(groups, "unit_id") <= 1


def test_each_group_starts_with_its_highest_rank():
    groups = services.balance_into_groups(cohort(), 6)
    assert all(g[0].rank == Rank.COUNTY for g in groups)


def test_zero_groups_is_refused():
    with pytest.raises(DomainError):
        services.balance_into_groups(cohort(), 0)


@pytest.fixture
def class_of_24(db):
    root = OrgUnitFactory()
    units = [OrgUnitFactory(parent=root) for _ in range(4)]
    program = ProgramFactory(organizing_unit=root, capacity=30)
    for i in range(24):
        rank = Rank.COUNTY if i % 6 == 0 else Rank.SECTION
        EnrollmentFactory(program=program, user=UserFactory(unit=units[i % 4], rank=rank))
    return program


def test_generate_assigns_everyone_sets_leaders_and_rooms(class_of_24):
    organizer = UserFactory()
    groups = services.groups_generate(
        program=class_of_24, count=4, by=organizer, rooms=["研讨室一", "研讨室二"]
    )
    assert [g.room for g in groups] == ["研讨室一", "研讨室二", "", ""]
    assert not Enrollment.objects.filter(program=class_of_24, group__isnull=True).exists()
    for g in DiscussionGroup.objects.filter(program=class_of_24):
        members = Enrollment.objects.filter(group=g)
        assert members.count() == 6
        assert g.leader.rank == Rank.COUNTY and members.filter(user=g.leader).exists()
        assert members.values("unit").distinct().count() == 4


def test_regenerating_replaces_groups_and_keeps_rooms(class_of_24):
    organizer = UserFactory()
    services.groups_generate(program=class_of_24, count=3, by=organizer, rooms=["A", "B", "C"])
    groups = services.groups_generate(program=class_of_24, count=3, by=organizer)
    assert DiscussionGroup.objects.filter(program=class_of_24).count() == 3
    assert [g.room for g in groups] == ["A", "B", "C"]


def test_move_and_leader_edit(class_of_24):
    organizer = UserFactory()
    g1, g2 = services.groups_generate(program=class_of_24, count=2, by=organizer)
    leader = g1.leader
    e = Enrollment.objects.get(program=class_of_24, user=leader)
    services.group_move(enrollment=e, group=g2, by=organizer)
    g1.refresh_from_db()
    e.refresh_from_db()
    assert g1.leader is None  # a leader who moves away is no longer leader
    assert e.group == g2
    with pytest.raises(DomainError, match="本组"):
        services.group_update(group=g1, by=organizer, name="第一组", room="301", leader=leader)
    services.group_update(group=g2, by=organizer, name="第二组", room="302", leader=leader)
    g2.refresh_from_db()
    assert g2.leader == leader and g2.room == "302"


def test_move_to_a_group_of_another_program_is_refused(class_of_24):
    organizer = UserFactory()
    services.groups_generate(program=class_of_24, count=2, by=organizer)
    other = ProgramFactory()
    foreign = DiscussionGroup.objects.create(program=other, number=1, name="第1组")
    e = Enrollment.objects.filter(program=class_of_24).first()
    with pytest.raises(DomainError):
        services.group_move(enrollment=e, group=foreign, by=organizer)


def test_groups_with_members_lists_each_group(class_of_24):
    services.groups_generate(program=class_of_24, count=3, by=UserFactory())
    groups, ungrouped = selectors.groups_with_members(class_of_24)
    assert [len(g.roster) for g in groups] == [8, 8, 8] and ungrouped == []
