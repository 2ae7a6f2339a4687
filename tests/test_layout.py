"""The house rules, checked on the source: layers point one way, no import loops between files,
benchmarks share nothing with tests but through ``sandbox``, every folder says what it may import,
pure planning loads no Prefect, and modules and functions stay small enough to read.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("config", "tasks", "flows", "web", "sandbox", "bench", "tests")
# what each package (or sub-package, the longest prefix wins) may import of ours
MAY_IMPORT = {
    "config": {"config"},
    "tasks": {"config", "tasks"},
    "tasks.clients": {"config", "tasks.clients"},
    "flows": {"config", "tasks", "flows"},
    "flows.planning": {"config", "flows.planning"},
    "flows.messages": {"config", "tasks", "flows.models", "flows.planning.model", "flows.messages"},
    "web": {"config", "tasks", "flows", "web"},
    "sandbox": {"config", "tasks", "flows", "web", "sandbox"},
    "bench": {"config", "tasks", "flows", "web", "sandbox", "bench"},
    "tests": set(PACKAGES),
}
MODULE_LINES, FUNCTION_LINES = 250, 40


def modules() -> Iterator[tuple[str, Path]]:
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            parts = path.relative_to(ROOT).with_suffix("").parts
            yield ".".join(parts[:-1] if parts[-1] == "__init__" else parts), path


MODULES = dict(modules())


def imports(name: str, path: Path) -> set[str]:
    """Our modules this file imports, anywhere in it (lazy and type-checking imports too)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found |= {f"{node.module}.{alias.name}" for alias in node.names if f"{node.module}.{alias.name}" in MODULES}
    return {m for m in found if m.split(".")[0] in PACKAGES and m != name}


def owner(name: str) -> str:
    return max((p for p in MAY_IMPORT if name == p or name.startswith(p + ".")), key=len)


def allowed(target: str, rules: set[str]) -> bool:
    return any(target == r or target.startswith(r + ".") for r in rules)


@pytest.mark.parametrize("name", sorted(MODULES))
def test_layers_point_one_way(name: str) -> None:
    rules = MAY_IMPORT[owner(name)]
    wrong = sorted(t for t in imports(name, MODULES[name]) if not allowed(t, rules))
    assert not wrong, f"{name} ({owner(name)}) may import {sorted(rules)}, not {wrong}"


def test_no_import_loop_between_files() -> None:
    graph = {n: {t for t in imports(n, p) if t in MODULES} for n, p in MODULES.items()}
    loops = [c for c in strongly_connected(graph) if len(c) > 1]
    assert not loops, f"import loops: {loops}"


def strongly_connected(graph: dict[str, set[str]]) -> list[list[str]]:
    """Tarjan's components, iteratively deep enough for any tree of ours."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for nxt in sorted(graph[node]):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while (top := stack.pop()) != node:
                component.append(top)
            found.append([node, *component])

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


@pytest.mark.parametrize("package", sorted(n for n, p in MODULES.items() if p.name == "__init__.py"))
def test_every_folder_says_what_lives_there_and_what_it_may_import(package: str) -> None:
    doc = ast.get_docstring(ast.parse(MODULES[package].read_text()))
    if package.startswith("tests"):
        return
    assert doc and "May import" in doc, f"{package}/__init__.py: say what lives here and what it may import"


def test_pure_planning_loads_no_prefect() -> None:
    probe = "import sys, flows.planning.slots, flows.planning.planner; print('prefect' in sys.modules)"
    loaded = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=True)
    assert loaded.stdout.strip() == "False"


def test_test_only_packages_stay_in_the_tests_that_need_them() -> None:
    """``msgraph-sdk`` (390 MB, half a second of import) checks Graph requests in ``tests/contract``
    only: nothing on the runtime path may load it."""
    users = []
    for name, path in MODULES.items():
        tree = ast.parse(path.read_text())
        names = [a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names]
        names += [n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module]
        if any(m.split(".")[0] in ("msgraph", "msgraph_core", "kiota_abstractions") for m in names):
            users.append(name)
    assert users and all(name.startswith("tests.contract.") for name in users), users


@pytest.mark.parametrize("name", sorted(MODULES))
def test_modules_and_functions_stay_small(name: str) -> None:
    source = MODULES[name].read_text()
    assert len(source.splitlines()) <= MODULE_LINES, f"{name}: over {MODULE_LINES} lines"
    if name.startswith("tests"):
        return
    long = [
        f"{node.name} ({node.end_lineno - node.lineno + 1} lines)"
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        and node.end_lineno is not None
        and node.end_lineno - node.lineno >= FUNCTION_LINES
    ]
    assert not long, f"{name}: functions over {FUNCTION_LINES} lines: {long}"
