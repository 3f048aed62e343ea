"""Imports run one way (CONTRIBUTING.md, "Layers"): read from the source with `ast`, not run.

    core < accounts < plans < programs < enrollment < attendance < evaluation < credits
    (settings.LECTERN_APPS, in that order)

A module may import its own app and the apps below it, never one above. `reports` reads every
app, and nothing outside `reports` imports it. `devtools` (development only) may import anything
and nothing imports it; `config` wires everything. Cycles between modules are refused too, except
an app's services ↔ tasks pair (a service queues a task that calls the service). Imports inside
functions count as well: they defer the import, not the dependency. Migrations are left out.

ALLOWED_* below list the known exceptions still being removed; each entry fails the test once it is
no longer needed, so the lists only shrink. Goal: both empty.
"""

import ast
from pathlib import Path

from django.conf import settings

ROOT = Path(settings.BASE_DIR)
READS_ALL = "reports"
# The layers are settings.LECTERN_APPS, "in the order data flows", reports aside.
ORDER = [label for label in settings.LECTERN_APPS if label != READS_ALL]
DEV_ONLY = "devtools"
WIRING = "config"
PACKAGES = [*ORDER, READS_ALL, DEV_ONLY, WIRING]

# (importer, imported) module pairs that break the layering today, each with its reason.
ALLOWED_UPWARD: set[tuple[str, str]] = set()

# Import cycles (the set of modules in one strongly connected component) tolerated today.
ALLOWED_CYCLES: set[frozenset[str]] = {
    # AuditLog.save() refuses writes that do not come through core.audit, which imports the model
    # (inside functions); the guard could check a flag core.audit sets instead.
    frozenset({"core.audit", "core.models"}),
    # core.tasks is the one tasks module for the file-job runner's stale sweep (core.jobs), the
    # retention purge (core.retention) and notification e-mail (core.services), and each of them
    # calls back into core.services: a services/tasks pair grown to four modules.
    frozenset({"core.jobs", "core.retention", "core.services", "core.tasks"}),
}

# Modules that import one of our apps inside `try: … except ImportError` (an app that "might not
# be installed"): every app is always installed, so the import should simply be made (or the
# dependency turned into a hook or registry entry). None left.
ALLOWED_OPTIONAL: set[str] = set()


def product_modules() -> dict[str, Path]:
    modules = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            rel = path.relative_to(ROOT)
            if "migrations" in rel.parts or "tests" in rel.parts:
                continue
            parts = list(rel.with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            modules[".".join(parts)] = path
    return modules


MODULES = product_modules()


def _resolve(name: str) -> str | None:
    """The product module an import names (the longest known prefix), or None if not ours."""
    parts = name.split(".")
    while parts:
        candidate = ".".join(parts)
        if candidate in MODULES:
            return candidate
        parts.pop()
    return None


def imports_of(module: str, path: Path) -> set[str]:
    is_package = path.name == "__init__.py"
    package = module if is_package else module.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        names = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - (node.level - 1)]
                base = ".".join([*anchor, base] if base else anchor)
            # `from pkg import mod` names the module pkg.mod where there is one
            names = [f"{base}.{alias.name}" for alias in node.names] or [base]
            names = [n if _resolve(n) == n else base for n in names]
        for name in names:
            target = _resolve(name)
            if target and target != module:
                found.add(target)
    return found


GRAPH = {module: imports_of(module, path) for module, path in MODULES.items()}


def unit_of(module: str) -> str:
    """A package split into one module per workflow (`services/`, `selectors/`, `views/`) is one
    unit for cycles, as the single module it replaced was: `enrollment.services.groups` counts
    as `enrollment.services`."""
    return ".".join(module.split(".")[:2])


def unit_graph() -> dict[str, set[str]]:
    units: dict[str, set[str]] = {}
    for module, targets in GRAPH.items():
        unit = unit_of(module)
        units.setdefault(unit, set()).update(unit_of(t) for t in targets if unit_of(t) != unit)
    return units


def app_of(module: str) -> str:
    return module.split(".")[0]


def refused(importer: str, imported: str) -> str | None:
    a, b = app_of(importer), app_of(imported)
    if a == b or a in (WIRING, DEV_ONLY):
        return None
    if b == DEV_ONLY:
        return "imports the development-only app"
    if b == WIRING:
        return None if imported == "config.celery" else "imports the project's wiring"
    if b == READS_ALL:
        return "imports reports (nothing below reports may)"
    if a == READS_ALL:
        return None
    if ORDER.index(b) > ORDER.index(a):
        return f"{a} imports {b}, which is above it"
    return None


def upward_imports() -> dict[tuple[str, str], str]:
    return {
        (importer, imported): reason
        for importer, targets in GRAPH.items()
        for imported in sorted(targets)
        if (reason := refused(importer, imported))
    }


def cycles() -> list[frozenset[str]]:
    """Strongly connected components of more than one unit (Tarjan)."""
    graph = unit_graph()
    index, low, stack, on_stack, found = {}, {}, [], set(), []
    counter = [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on_stack.add(v)
        for w in graph.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = set()
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.add(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(frozenset(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def service_task_pair(component: frozenset[str]) -> bool:
    if len(component) != 2:
        return False
    a, b = sorted(component)
    same_app = app_of(a) == app_of(b)
    kinds = {m.split(".")[1] if "." in m else "" for m in component}
    return same_app and kinds == {"services", "tasks"}


def test_the_reader_sees_the_project():
    assert {"core.models", "reports.views", "programs.services"} <= set(GRAPH)
    assert "core.models" in GRAPH["programs.models"]


def test_no_app_imports_one_above_it():
    found = upward_imports()
    new = {pair: reason for pair, reason in found.items() if pair not in ALLOWED_UPWARD}
    assert not new, "imports against the layers:\n" + "\n".join(
        f"  {a} → {b}: {reason}" for (a, b), reason in sorted(new.items())
    )
    gone = ALLOWED_UPWARD - set(found)
    assert not gone, f"no longer needed, remove from ALLOWED_UPWARD: {sorted(gone)}"


def test_no_import_cycles_but_service_task_pairs():
    found = [c for c in cycles() if not service_task_pair(c)]
    new = [sorted(c) for c in found if c not in ALLOWED_CYCLES]
    assert not new, "import cycles:\n" + "\n".join(f"  {' ↔ '.join(c)}" for c in sorted(new))
    gone = ALLOWED_CYCLES - set(found)
    assert not gone, f"no longer needed, remove from ALLOWED_CYCLES: {[sorted(c) for c in gone]}"


def optional_imports() -> set[str]:
    """Modules with a `try:` that imports one of our modules and catches ImportError."""
    found = set()
    for module, path in MODULES.items():
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            if not isinstance(node, ast.Try):
                continue
            caught = {
                getattr(n, "id", getattr(n, "attr", ""))
                for h in node.handlers
                if h.type is not None
                for n in ([h.type] if not isinstance(h.type, ast.Tuple) else h.type.elts)
            }
            if not caught & {"ImportError", "ModuleNotFoundError"}:
                continue
            for stmt in node.body:
                for inner in ast.walk(stmt):
                    if isinstance(inner, ast.ImportFrom | ast.Import):
                        names = [inner.module or ""] + [a.name for a in inner.names]
                        if any(_resolve(n) for n in names if n and inner.level == 0):
                            found.add(module)
    return found


def test_no_optional_imports_of_our_own_apps():
    found = optional_imports()
    new = sorted(found - ALLOWED_OPTIONAL)
    assert not new, f"try/except ImportError around an import of our own apps in: {new}"
    gone = sorted(ALLOWED_OPTIONAL - found)
    assert not gone, f"no longer needed, remove from ALLOWED_OPTIONAL: {gone}"


def test_refused_knows_the_layers():
    assert refused("programs.views", "enrollment.services")
    assert refused("core.views", "accounts.models")
    assert refused("evaluation.services", "reports.reminders")
    assert refused("attendance.views", "devtools.views")
    assert not refused("enrollment.services", "programs.models")
    assert not refused("reports.rollups", "evaluation.models")
    assert not refused("devtools.bench.checkin", "attendance.models")
    assert not refused("attendance.tasks", "config.celery")
    assert service_task_pair(frozenset({"reports.services", "reports.tasks"}))
    assert not service_task_pair(frozenset({"reports.rollups", "reports.selectors"}))
