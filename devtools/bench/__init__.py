"""The benchmarks `manage.py bench` runs (DESIGN.md §4, §6): name → callable(opts) -> dict of
figures, with an optional "targets" dict of {target: met}. A new benchmark is a function in one
of these modules, listed here."""

from devtools.bench import checkin, exports, pages, polls, queries, records, reporting, rush

BENCHMARKS = {
    "checkin": checkin.bench_checkin,
    "duplicates": checkin.bench_duplicates,
    "pdf": reporting.bench_pdf,
    "stats": reporting.bench_stats,
    "reminders": reporting.bench_reminders,
    "queries": queries.bench_queries,
    "pages": pages.bench_pages,
    "records": records.bench_records,
    "exports": exports.bench_exports,
    "polls": polls.bench_polls,
    "rush": rush.bench_rush,
}
