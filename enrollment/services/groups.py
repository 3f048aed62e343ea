"""Discussion groups (研讨小组): balanced generation, editing, moving members."""

from django.db import transaction
from django.utils.translation import gettext as _

from accounts.models import Rank
from core.errors import DomainError
from core.services import audit_log
from enrollment import selectors
from enrollment.models import (
    DiscussionGroup,
    Enrollment,
)
from enrollment.services._base import (
    _ensure_open,
    _leave_group,
    _lock_enrollment,
    _lock_program,
)

S = Enrollment.Status


RANK_ORDER = {r.value: i for i, r in enumerate(Rank)}  # provincial first, staff last


def balance_into_groups(people, count: int) -> list[list]:
    """Deal people into `count` groups: sizes differ by at most one, each rank is spread as
    evenly as possible (within one), and colleagues of one unit are spread across groups.

    `people` are objects with `unit_id` and `rank`. Ranks are dealt from the highest down (so
    each group's first member is its most senior, the default leader). Within a rank, the groups
    that are smallest so far take the remainder, and each person goes to the allowed group with
    the fewest colleagues of their unit; people of the largest units are placed first.
    """
    if count < 1:
        raise DomainError(_("分组数至少为 1。"), field="count")
    unit_sizes: dict = {}
    blocks: dict = {}
    for p in people:
        unit_sizes[p.unit_id] = unit_sizes.get(p.unit_id, 0) + 1
        blocks.setdefault(RANK_ORDER.get(p.rank, len(RANK_ORDER)), []).append(p)
    groups: list[list] = [[] for _ in range(count)]
    unit_counts = [{} for _ in range(count)]
    for rank_key in sorted(blocks):
        block = sorted(
            blocks[rank_key],
            key=lambda p: (-unit_sizes[p.unit_id], p.unit_id or 0, getattr(p, "sort_name", "")),
        )
        base, extra = divmod(len(block), count)
        by_size = sorted(range(count), key=lambda i: (len(groups[i]), i))
        room = {i: base + (1 if pos < extra else 0) for pos, i in enumerate(by_size)}
        for p in block:
            best = min(
                (i for i in range(count) if room[i] > 0),
                key=lambda i: (unit_counts[i].get(p.unit_id, 0), -room[i], len(groups[i]), i),
            )
            groups[best].append(p)
            room[best] -= 1
            unit_counts[best][p.unit_id] = unit_counts[best].get(p.unit_id, 0) + 1
    _spread_units(groups, unit_counts)
    return groups


def _spread_units(groups, unit_counts, max_rounds: int = 500):
    """Swap same-rank people between groups while that evens out a unit without making any
    other unit less even. Sizes and rank spread are untouched; each swap lowers the sum of
    squared unit counts, so the loop ends."""

    def count(i, unit):
        return unit_counts[i].get(unit, 0)

    for _round in range(max_rounds):
        swapped = False
        for a, ga in enumerate(groups):
            for x in ga:
                for b, gb in enumerate(groups):
                    if count(a, x.unit_id) - count(b, x.unit_id) < 2:
                        continue
                    y = next(
                        (
                            y
                            for y in gb
                            if y.rank == x.rank
                            and y.unit_id != x.unit_id
                            and count(a, y.unit_id) < count(b, y.unit_id)
                        ),
                        None,
                    )
                    if y is None:
                        continue
                    ga[ga.index(x)], gb[gb.index(y)] = y, x
                    for i, gone, came in ((a, x, y), (b, y, x)):
                        unit_counts[i][gone.unit_id] -= 1
                        unit_counts[i][came.unit_id] = count(i, came.unit_id) + 1
                    swapped = True
                    break
                if swapped:
                    break
            if swapped:
                break
        if not swapped:
            return


class _Person:
    __slots__ = ("enrollment", "unit_id", "rank", "sort_name")

    def __init__(self, e):
        self.enrollment = e
        self.unit_id = e.unit_id
        self.rank = e.user.rank
        self.sort_name = e.user.full_name


@transaction.atomic
def groups_generate(*, program, count: int, by, rooms: list[str] | None = None):
    """Replace the program's groups by `count` balanced ones; the highest-ranking member of
    each group becomes its leader."""
    program = _lock_program(program)
    _ensure_open(program)
    members = list(selectors.enrollments_for_program(program))
    if not members:
        raise DomainError(_("还没有已录取的学员,无法分组。"))
    if count < 1 or count > len(members):
        raise DomainError(_("分组数应在 1 到 %(n)d 之间。") % {"n": len(members)}, field="count")
    rooms = rooms or []
    old_rooms = dict(DiscussionGroup.objects.filter(program=program).values_list("number", "room"))
    Enrollment.objects.filter(program=program).update(group=None)
    DiscussionGroup.objects.filter(program=program).delete()
    dealt = balance_into_groups([_Person(e) for e in members], count)
    groups = DiscussionGroup.objects.bulk_create(
        [
            DiscussionGroup(
                program=program,
                number=i + 1,
                name=_("第%(n)d组") % {"n": i + 1},
                room=(rooms[i] if i < len(rooms) else old_rooms.get(i + 1, "")),
                leader=dealt[i][0].enrollment.user if dealt[i] else None,
            )
            for i in range(count)
        ]
    )
    to_update = []
    for group, persons in zip(groups, dealt, strict=True):
        for p in persons:
            p.enrollment.group = group
            to_update.append(p.enrollment)
    Enrollment.objects.bulk_update(to_update, ["group"])
    audit_log(
        actor=by,
        action="enrollment.groups_generate",
        target=program,
        after={"count": count, "members": len(members)},
    )
    return groups


@transaction.atomic
def group_update(*, group, by, name: str, room: str, leader=None) -> DiscussionGroup:
    if (
        leader is not None
        and not Enrollment.objects.filter(group=group, user=leader, status=S.ENROLLED).exists()
    ):
        raise DomainError(_("组长必须是本组学员。"), field="leader")
    if not name.strip():
        raise DomainError(_("请填写组名。"), field="name")
    group.name, group.room, group.leader = name.strip(), room.strip(), leader
    group.save(update_fields=["name", "room", "leader", "updated_at"])
    audit_log(
        actor=by,
        action="enrollment.group_update",
        target=group,
        after={
            "name": group.name,
            "room": group.room,
            "leader": leader.full_name if leader else None,
        },
    )
    return group


@transaction.atomic
def group_move(*, enrollment, group, by) -> Enrollment:
    """Move an enrolled trainee to another group of the same program (or out of all groups)."""
    e = _lock_enrollment(enrollment)
    if e.status != S.ENROLLED:
        raise DomainError(_("只有已录取学员可以分组。"))
    if group is not None and group.program_id != e.program_id:
        raise DomainError(_("小组不属于本班。"), field="group")
    before = e.group_id
    if before == (group.pk if group else None):
        return e
    _leave_group(e)
    e.group = group
    e.save(update_fields=["group", "updated_at"])
    audit_log(
        actor=by,
        action="enrollment.group_move",
        target=e,
        before={"group": before},
        after={"group": group.pk if group else None},
    )
    return e
