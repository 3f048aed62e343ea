"""One job runner, one upload check, one tabular exporter, in core (issue 14 item 3): no product
module writes a workbook or CSV, sniffs magic bytes or finishes a file job by itself."""

import re
from pathlib import Path

BASE = Path(__file__).resolve().parents[2]
APPS = [
    "accounts",
    "core",
    "plans",
    "programs",
    "enrollment",
    "attendance",
    "evaluation",
    "reports",
]

RULES = {
    # what it looks like -> the one module allowed to do it
    "a workbook or CSV writer": (
        re.compile(r"\bWorkbook\(|csv\.writer\(|WriteOnlyCell\b"),
        {"core/tabular.py"},
    ),
    "magic-byte sniffing": (
        re.compile(r"b[\"']%PDF|\\x89PNG|\\xff\\xd8\\xff|import puremagic|PK\\x03\\x04"),
        {"core/uploads.py"},
    ),
    "a file-job runner": (
        re.compile(r"generated_file_fail\(|generated_file_finish\("),
        {"core/services.py", "core/jobs.py", "reports/services.py"},
    ),
}
# Copies that existed when the rule was written, left for their owners to switch; never add.
KNOWN = {"enrollment/exports.py"}


def _modules():
    for app in APPS:
        folder = BASE / app
        if not folder.is_dir():
            continue
        for path in folder.rglob("*.py"):
            rel = path.relative_to(BASE).as_posix()
            if "/migrations/" in rel or "/tests/" in rel:
                continue
            yield rel, path.read_text(encoding="utf-8")


def test_no_app_keeps_its_own_copy_of_core_plumbing():
    offenders = []
    for rel, text in _modules():
        for what, (pattern, allowed) in RULES.items():
            if rel in allowed or rel in KNOWN:
                continue
            if pattern.search(text):
                offenders.append(f"{rel}: {what} (use core.tabular / core.uploads / core.jobs)")
    assert not offenders, "\n".join(offenders)
