"""Benchmarks owned by core: query counts of every page at two data sizes."""

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from django.conf import settings


def queries(opts) -> dict:
    """Run tests/test_query_counts.py and collect {url_name: [count_small, count_large]}."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "counts.json"
        env = {**os.environ, "LECTERN_ENV": "test", "LECTERN_QUERY_COUNTS_OUT": str(out)}
        proc = subprocess.run(
            [
                sys.executable,
                "-m",
                "pytest",
                "-q",
                "-p",
                "no:logging",
                "tests/test_query_counts.py",
            ],
            cwd=settings.BASE_DIR,
            env=env,
            capture_output=True,
            text=True,
        )
        counts = json.loads(out.read_text()) if out.exists() else {}
    same = all(small == large for small, large in counts.values())
    opts["stdout"].write(proc.stdout.strip().splitlines()[-1] if proc.stdout else proc.stderr)
    return {
        **counts,
        "targets": {
            "queries per page: same count at 10x the data": bool(counts)
            and same
            and proc.returncode == 0
        },
    }


BENCHMARKS = {"queries": queries}
