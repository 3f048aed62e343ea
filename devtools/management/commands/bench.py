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
        lines.append(f"| {name} | `{json.dumps(figures, ensure_ascii=False)}` |")
    lines += ["", "## Targets (DESIGN.md §6)", "", "| target | met |", "| --- | --- |"]
    for target, met in results.get("targets", {}).items():
        lines.append(f"| {target} | {'yes' if met else '**no**'} |")
    return "\n".join(lines) + "\n"
