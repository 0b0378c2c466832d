"""The layers hold: the shared core imports no app, apps import no sibling, no import cycle.

Every import counts, also those inside functions (a lazy import is still a dependency). The
allowed arrows point down only:

    config (project shell) → apps (customers, email_service, billing) → hosting → portal
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("config", "portal", "hosting", "customers", "email_service", "billing")
APPS = ("customers", "email_service", "billing")
#: what each package may import (besides itself and third-party code)
ALLOWED = {
    "config": set(PACKAGES),
    "portal": set(),
    "hosting": {"portal"},
    **{app: {"hosting", "portal"} for app in APPS},
}


def _modules() -> dict[str, Path]:
    found = {}
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            if "migrations" in path.parts:
                continue
            parts = list(path.relative_to(ROOT).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            found[".".join(parts)] = path
    return found


def _imports(path: Path, module: str, known: set[str]) -> set[str]:
    """The project modules ``module`` imports (``from a.b import c`` counts a.b.c when that is a
    module of its own, else a.b)."""
    tree = ast.parse(path.read_text(), filename=str(path))
    out: set[str] = set()
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                base = ".".join([*parent, base] if base else parent)
            names = [
                f"{base}.{alias.name}" if f"{base}.{alias.name}" in known else base for alias in node.names
            ]
        else:
            continue
        for name in names:
            while name and name not in known:
                name = name.rpartition(".")[0]
            if name and name != module:
                out.add(name)
    return out


@pytest.fixture(scope="module")
def graph() -> dict[str, set[str]]:
    modules = _modules()
    known = set(modules)
    return {module: _imports(path, module, known) for module, path in modules.items()}


def test_each_layer_imports_only_the_layers_below_it(graph):
    wrong = sorted(
        f"{module} imports {target}"
        for module, targets in graph.items()
        for target in targets
        if (top := target.split(".")[0]) != (own := module.split(".")[0]) and top not in ALLOWED[own]
    )
    assert wrong == []


def test_no_import_cycle(graph):
    """Tarjan's strongly connected components: any component of more than one module is a cycle
    (a package's ``__init__`` importing its own modules to register them is not an edge back)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles: list[list[str]] = []
    counter = [0]

    def edges(module: str) -> set[str]:
        # a module's import of its own package's __init__ is how Python loads it, not a dependency
        return {target for target in graph[module] if not module.startswith(target + ".")}

    def visit(module: str) -> None:
        index[module] = low[module] = counter[0]
        counter[0] += 1
        stack.append(module)
        on_stack.add(module)
        for target in edges(module):
            if target not in index:
                visit(target)
                low[module] = min(low[module], low[target])
            elif target in on_stack:
                low[module] = min(low[module], index[target])
        if low[module] == index[module]:
            component = []
            while True:
                item = stack.pop()
                on_stack.discard(item)
                component.append(item)
                if item == module:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    for module in sorted(graph):
        if module not in index:
            visit(module)
    assert cycles == []


def test_the_checker_sees_a_forbidden_import(tmp_path):
    """The walk finds lazy imports inside functions too (so the tests above can fail)."""
    path = tmp_path / "mod.py"
    path.write_text("def f():\n    from billing.models import Invoice\n    return Invoice\n")
    assert _imports(path, "portal.mod", {"billing.models", "portal.mod"}) == {"billing.models"}
