"""manage.py bench [--only NAME ...] [--scale quick|province] [--output PATH]

Runs the benchmarks listed in devtools/bench/__init__.py (BENCHMARKS = {name: callable(opts)}),
merges their figures into one JSON file (DESIGN.md §4) and writes benchmarks/RESULTS.md. A
development tool: outside production only (the devtools app is not installed there).

Query counts per page (`queries`) are reported from tests/query_budgets.py, whose exact budgets
tests/test_query_counts.py asserts at two data sizes on every test run.
"""

import json
import platform
import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.utils import timezone


def registered_benchmarks() -> dict:
    from devtools.bench import BENCHMARKS

    return dict(BENCHMARKS)


def machine_description() -> dict:
    import os

    mem = ""
    try:
        with open("/proc/meminfo") as fh:
            mem = fh.readline().split(":")[1].strip()
    except OSError:
        pass
    return {
        "cpus": os.cpu_count(),
        "memory": mem,
        "python": platform.python_version(),
        "platform": platform.platform(),
        "database": connection.vendor,
    }


class Command(BaseCommand):
    help = "Run Lectern's benchmarks and write the figures to a JSON file."

    def add_arguments(self, parser):
        parser.add_argument("--only", nargs="*", default=None, help="benchmark names")
        parser.add_argument("--scale", choices=["quick", "province"], default="quick")
        parser.add_argument("--output", default="benchmarks/results.json")

    def handle(self, *args, only, scale, output, **options):
        available = registered_benchmarks()
        names = only or list(available)
        unknown = [n for n in names if n not in available]
        if unknown:
            raise CommandError(
                f"Unknown benchmark(s): {', '.join(unknown)}. "
                f"Available: {', '.join(sorted(available))}"
            )
        if connection.vendor != "postgresql":
            self.stderr.write("Warning: benchmarks are meant for PostgreSQL (set DATABASE_URL).")
        path = Path(output)
        results = json.loads(path.read_text()) if path.exists() else {}
        targets = results.get("targets", {})
        opts = {"scale": scale, "stdout": self.stdout}
        for name in names:
            self.stdout.write(f"== {name}")
            started = time.perf_counter()
            figures = available[name](opts)
            figures_targets = figures.pop("targets", {})
            targets.update(figures_targets)
            results[name] = figures
            self.stdout.write(
                f"   {json.dumps(figures, ensure_ascii=False)} "
                f"({time.perf_counter() - started:.1f}s)"
            )
        results["targets"] = targets
        results["machine"] = machine_description()
        results["ran_at"] = timezone.now().isoformat()
        results["scale"] = scale
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")
        (path.parent / "RESULTS.md").write_text(render_markdown(results))
        self.stdout.write(self.style.SUCCESS(f"Wrote {path}"))


def render_markdown(results: dict) -> str:
    lines = [
        "# Benchmark results",
        "",
        f"Run at {results.get('ran_at')}, scale `{results.get('scale')}`.",
        "",
        "## Machine",
        "",
    ]
    for k, v in results.get("machine", {}).items():
        lines.append(f"- {k}: {v}")
    lines += ["", "## Figures", "", "| benchmark | figures |", "| --- | --- |"]
    for name, figures in results.items():
        if name in ("targets", "machine", "ran_at", "scale"):
            continue
        if name == "pages":  # its own table below
            figures = {k: v for k, v in figures.items() if k not in ("urls", "misses", "skipped")}
        lines.append(f"| {name} | `{json.dumps(figures, ensure_ascii=False)}` |")
    lines += ["", "## Targets (DESIGN.md §6, with the page, poll, rush and export targets)", ""]
    lines += ["| target | met |", "| --- | --- |"]
    targets = results.get("targets", {})
    for target, met in targets.items():
        lines.append(f"| {target} | {'yes' if met else '**no**'} |")
    for target in EXPECTED_TARGETS:
        if not any(t.startswith(target) for t in targets):
            lines.append(f"| {target} | not measured in this file |")
    lines += _pages_table(results.get("pages"))
    return "\n".join(lines) + "\n"


# The targets of DESIGN.md §6 by the prefix of their key in `targets`: listed as "not measured"
# when no benchmark of the file reported them.
EXPECTED_TARGETS = [
    "checkin",
    "duplicates",
    "pdf",
    "stats",
    "reminders",
    "queries",
    "pages",
    "records",
    "plans",
    "polls",
    "rush",
    "exports",
    "rollup",
]


def _pages_table(pages) -> list[str]:
    if not pages or "urls" not in pages:
        return []
    sizes = pages.get("sizes", {})
    lines = [
        "",
        "## Every page (`bench --only pages`)",
        "",
        f"Large: {json.dumps(sizes.get('large', {}), ensure_ascii=False)}; "
        f"small: {json.dumps(sizes.get('small', {}), ensure_ascii=False)}. "
        "Times in ms (p50 large/small, p95 large), KB of the large page, queries large/small.",
        "",
        "| URL name | role | p50 L/S | p95 L | KB | queries L/S | misses |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for name, row in pages["urls"].items():
        lg, sm = row["large"], row["small"]
        lines.append(
            f"| {name} | {row['role']} | {lg['p50_ms']:.0f}/{sm['p50_ms']:.0f} | "
            f"{lg['p95_ms']:.0f} | {lg['bytes'] // 1024} | {lg['queries']}/{sm['queries']} | "
            f"{'; '.join(row['misses'])} |"
        )
    if pages.get("skipped"):
        lines += ["", "Not walked:", ""]
        lines += [f"- {name}: {why}" for name, why in pages["skipped"].items()]
    return lines
