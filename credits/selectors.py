"""Reads of the training record, each a fixed number of queries whatever the number of records
or people (the policy is read once into a PolicyBook; hours through credits.rules)."""

from collections import defaultdict

from django.db.models import Count, Q

from accounts.models import Rank, subtree_q
from accounts.scoping import roles_of
from credits.models import Category, CreditEntry, CreditYearRollup, SourceKind
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


WHICH = {
    "annual": Q(annual_missing__gt=0),
    "window": Q(window_missing__gt=0),
    "online": Q(online_missing__gt=0),
    "catch_up": Q(catch_up_missing__gt=0),
}


def compliance_scope_q(user) -> Q:
    """Rollup rows of the cadres the viewer oversees (admin: all; organizer: their units'
    subtrees; a liaison: their units), the viewer excluded."""
    roles = roles_of(user)
    if roles.is_admin:
        q = Q()
    else:
        q = Q(unit_id__in=roles.liaison_unit_ids)
        for path in roles.organizer_paths:
            q |= Q(unit_path__startswith=path)
        if not q:
            return Q(pk__in=[])
    return q & ~Q(user_id=user.pk)


def compliance_rows(
    *, user, year: int, unit=None, rank: str = "", which: str = "", behind_only: bool = True
):
    """The compliance rollup rows in the viewer's scope for `year` (optionally one unit subtree,
    one rank, one requirement not met), most missing first, with the cadre and unit joined: a
    queryset to paginate (a count and one page: two queries whatever the number of cadres)."""
    qs = CreditYearRollup.objects.filter(compliance_scope_q(user), year=year)
    if unit is not None:
        qs = qs.filter(unit_path__startswith=unit.path)
    if rank:
        qs = qs.filter(rank=rank)
    if which in WHICH:
        qs = qs.filter(WHICH[which])
    elif behind_only:
        qs = qs.filter(met=False)
    return qs.select_related("user", "unit").order_by("-missing", "unit_path", "user_id")


COUNT_CAP = 1000  # the list says "more than 1,000" past this: no exact count of 150k rows


class BoundedPage(list):
    """One page of rows fetched with one row more than shown (so `has_next` needs no count):
    previous/next links, no last page number. `count` is exact up to COUNT_CAP, else None."""

    def __init__(self, rows, *, number: int, per_page: int, count):
        super().__init__(rows[:per_page])
        self.number = number
        self.count = count
        self._more = len(rows) > per_page

    def has_next(self) -> bool:
        return self._more

    def has_previous(self) -> bool:
        return self.number > 1

    def has_other_pages(self) -> bool:
        return self._more or self.number > 1

    def next_page_number(self) -> int:
        return self.number + 1

    def previous_page_number(self) -> int:
        return self.number - 1


def compliance_page(
    *,
    user,
    year: int,
    unit=None,
    rank: str = "",
    which: str = "",
    behind_only: bool = True,
    page=1,
    per_page: int = 50,
) -> BoundedPage:
    """One page of the compliance list (CreditYearRollup rows), two queries whatever the number
    of cadres: a count bounded at COUNT_CAP (it stops reading there) and the page with one row
    more. A page number past the end shows an empty page."""
    rows = compliance_rows(
        user=user, year=year, unit=unit, rank=rank, which=which, behind_only=behind_only
    )
    try:
        number = max(1, min(int(page), 100_000))
    except (TypeError, ValueError):
        number = 1
    capped = rows.order_by().values("pk")[: COUNT_CAP + 1].count()
    start = (number - 1) * per_page
    found = list(rows[start : start + per_page + 1])
    return BoundedPage(
        found, number=number, per_page=per_page, count=capped if capped <= COUNT_CAP else None
    )


def compliance_summary(*, user, year: int, unit=None) -> list[dict]:
    """Per rank: cadres and cadres behind, in the viewer's scope. One query."""
    qs = CreditYearRollup.objects.filter(compliance_scope_q(user), year=year, has_requirement=True)
    if unit is not None:
        qs = qs.filter(unit_path__startswith=unit.path)
    counts = {
        r["rank"]: r
        for r in qs.values("rank").annotate(n=Count("id"), behind=Count("id", filter=Q(met=False)))
    }
    return [
        {"rank": label, "n": counts[v]["n"], "behind": counts[v]["behind"]}
        for v, label in Rank.choices
        if v in counts
    ]


RANKS = Rank.choices
