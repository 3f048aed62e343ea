"""Reads of the training record, each a fixed number of queries whatever the number of records
or people (the policy is read once into a PolicyBook; hours through credits.rules)."""

from collections import defaultdict

from django.db.models import Q

from accounts.models import Rank, User, subtree_q
from accounts.scoping import roles_of
from credits import access
from credits.models import Category, CreditEntry, SourceKind
from credits.rules import PolicyBook, progress_many, taught_sessions
from evaluation.selectors.credits import credit_record


def record_data(*, cadre, year: int) -> dict:
    """Everything the 培训档案 page shows for one cadre and year: the progress by the one rule,
    the filed records of the year by category (every state, so the cadre sees where each one
    stands), and the Lectern sessions of the year as evaluation's rule counts them."""
    book = PolicyBook()
    progress = progress_many([cadre], year=year, book=book)[cadre.pk]
    entries = list(
        CreditEntry.objects.filter(user=cadre, start_date__year=year)
        .select_related("filed_by")
        .order_by("start_date", "id")
    )
    by_category = defaultdict(list)
    for e in entries:
        by_category[e.category].append(e)
    sessions, _total, _required = credit_record(user=cadre, year=year)
    taught = list(
        taught_sessions()
        .filter(lecturers__user=cadre, start__year=year)
        .select_related("program")
        .order_by("start", "id")
    )
    return {
        "progress": progress,
        "by_category": [
            (Category(c).label, by_category[c]) for c in Category.values if by_category[c]
        ],
        "sessions": sessions,
        "taught": taught,
        "kinds": [(SourceKind(k).label, h) for k, h in sorted(progress.by_kind.items())],
        "over_cap": [(SourceKind(k).label, h) for k, h in sorted(progress.over_cap.items())],
    }


def review_queue(*, user):
    """Records waiting for a decision the user may take."""
    roles = roles_of(user)
    pending = CreditEntry.Status
    if roles.is_admin:
        q = Q(status__in=[pending.UNIT_PENDING, pending.DEPT_PENDING])
    else:
        q = Q(status=pending.UNIT_PENDING) & (
            Q(user__unit_id__in=roles.liaison_unit_ids)
            | subtree_q(roles.organizer_paths, "user__unit")
        )
    return (
        CreditEntry.objects.filter(q)
        .exclude(user=user)
        .select_related("user__unit", "filed_by")
        .order_by("created_at", "id")
    )


def compliance_rows(*, user, year: int, unit=None, rank: str = "", behind_only: bool = True):
    """(cadre, progress) for the cadres in the viewer's scope (optionally one unit subtree and
    one rank), most missing first. Five queries in all, whatever the number of people."""
    qs = (
        User.objects.filter(access.people_q(user), is_active=True)
        .exclude(rank="")
        .exclude(pk=user.pk)
        .select_related("unit")
    )
    if unit is not None:
        qs = qs.filter(unit__path__startswith=unit.path)
    if rank:
        qs = qs.filter(rank=rank)
    people = list(qs.order_by("unit__path", "full_name", "id"))
    progress = progress_many(people, year=year, book=PolicyBook())
    rows = [(p, progress[p.pk]) for p in people]
    if behind_only:
        rows = [(p, pr) for p, pr in rows if not pr.met]

    def missing(row):
        pr = row[1]
        return -sum(x for x in (pr.annual_missing, pr.window_missing, pr.online_missing) if x)

    rows.sort(key=missing)
    return rows


RANKS = Rank.choices
