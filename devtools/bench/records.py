"""`records`: the training-record and plan pages at province scale (issues 15 and 16).

- `credits:compliance` (the organization department's list of cadres behind their requirement)
  as the province's admin (every cadre of the province) with its filters and a deep page, and as
  the organizer of one city;
- `credits:record` (one cadre's training record) of the cadre with the most external records, as
  the admin, and `credits:mine` as that cadre;
- `programs:plan_execution` (plan versus actual: 3,600 plan items against the year's programs) as
  the admin, for the whole province and for one city's organization department.

Each page is timed like devtools.bench.pages (one warm-up, p50/p95 of the timed requests, bytes,
queries); the target is the page target of DESIGN.md §6 (p95 ≤ 300 ms, ≤ 300 KB of HTML).
"""

import logging

from django.db.models import Count
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from devtools.bench.pages import MAX_BYTES, P95_MS, measure
from devtools.province import _say, seed

RUNS = 8


def bench_records(opts) -> dict:
    from credits.models import CreditEntry
    from devtools.bench.worlds import bench_worlds
    from plans.models import PlanItem

    scale_name = opts.get("scale", "quick")
    seed(scale_name, opts)
    logging.getLogger("axes").setLevel(logging.WARNING)
    worlds = bench_worlds(scale_name)
    admin = worlds["large"].admin
    organizer = worlds["large"].organizer
    cadre_pk = (
        CreditEntry.objects.filter(user__username__startswith=f"bench-{scale_name}-")
        .values("user")
        .annotate(n=Count("pk"))
        .order_by("-n", "user")
        .values_list("user", flat=True)
        .first()
    )
    cadre = User.objects.get(pk=cadre_pk)
    year = timezone.localdate().year
    compliance = reverse("credits:compliance")
    execution = reverse("programs:plan_execution")
    pages = {
        "compliance (admin, province)": (admin, compliance),
        "compliance (admin, including met)": (admin, f"{compliance}?all=on"),
        "compliance (admin, county rank, 5-year window)": (
            admin,
            f"{compliance}?rank=county&which=window",
        ),
        "compliance (admin, page 40)": (admin, f"{compliance}?all=on&page=40"),
        "compliance (organizer of one city)": (organizer, compliance),
        "record (admin, busiest cadre)": (
            admin,
            reverse("credits:record", kwargs={"pk": cadre.pk}),
        ),
        "mine (the busiest cadre)": (cadre, reverse("credits:mine")),
        "plan_execution (admin, province)": (admin, f"{execution}?year={year}"),
        "plan_execution (organizer of one city)": (organizer, f"{execution}?year={year}"),
    }
    figures, misses = {}, {}
    for label, (user, url) in pages.items():
        m = measure(user, url, runs=RUNS)
        figures[label] = m
        problems = [
            *([f"status {m['status']}"] if m["status"] != 200 else []),
            *([f"p95 {m['p95_ms']:.0f} ms > {P95_MS}"] if m["p95_ms"] > P95_MS else []),
            *([f"{m['bytes'] // 1024} KB"] if m["html"] and m["bytes"] > MAX_BYTES else []),
        ]
        if problems:
            misses[label] = problems
        _say(
            opts,
            f"{label:<48} p50 {m['p50_ms']:>7.1f} p95 {m['p95_ms']:>7.1f} "
            f"{m['bytes'] // 1024:>5} KB q {m['queries']}"
            + (f"  MISS: {'; '.join(problems)}" if problems else ""),
        )

    def met(prefix):
        return not any(label.startswith(prefix) for label in misses)

    return {
        "credit_entries": CreditEntry.objects.count(),
        "plan_items": PlanItem.objects.count(),
        "busiest_cadre_entries": cadre.credit_entries.count(),
        "pages": figures,
        "misses": misses,
        "targets": {
            "records: compliance page p95 ≤ 300 ms at province scale": met("compliance"),
            "records: one cadre's record p95 ≤ 300 ms": met("record") and met("mine"),
            "plans: plan-versus-actual p95 ≤ 300 ms at 3,600 plan items": met("plan_execution"),
        },
    }
