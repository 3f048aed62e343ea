"""`queries`: per page, the queries made at the small and at the ten-times data size.

The figures are the budgets of tests/query_budgets.py, which tests/test_query_counts.py asserts
exactly at both sizes on every run of the suite (on PostgreSQL in CI): the suite is the
measurement, this entry only reports it in results.json (DESIGN.md §4)."""


def bench_queries(opts) -> dict:
    from django.db import connection

    from tests.query_budgets import BUDGETS

    def count(budget):
        return (
            budget.get(connection.vendor, max(budget.values()))
            if isinstance(budget, dict)
            else budget
        )

    figures = {name: [count(b), count(b)] for name, b in sorted(BUDGETS.items())}
    same = all(small == large for small, large in figures.values())
    return {**figures, "targets": {"queries per page: same count at 10x the data": same}}
