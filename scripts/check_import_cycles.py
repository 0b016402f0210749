#!/usr/bin/env python3
"""Finds import cycles among a package's modules from their module-level imports (no module is executed).

Only imports that run when a module is imported count: those at module level, inside ``if``/``try`` blocks
included, ``if TYPE_CHECKING:`` blocks and function bodies excluded. Exit status 1 lists every cycle.

    python scripts/check_import_cycles.py [PACKAGE_DIR ...]   # default: mer_toolkit and the two plugins
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_PACKAGES = [ROOT / "mer_toolkit", ROOT / "plugins/drkf/mer_drkf", ROOT / "plugins/baselines/mer_baselines"]


def module_name(path: Path, package_dir: Path) -> str:
    """Dotted name of ``path`` inside the package rooted at ``package_dir``."""
    parts = [package_dir.name, *path.relative_to(package_dir).with_suffix("").parts]
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or \
        (isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _module_level_imports(body: list[ast.stmt]) -> list[ast.Import | ast.ImportFrom]:
    found: list[ast.Import | ast.ImportFrom] = []
    for node in body:
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            found.append(node)
        elif isinstance(node, ast.If):
            if not _is_type_checking(node.test):
                found += _module_level_imports(node.body)
            found += _module_level_imports(node.orelse)
        elif isinstance(node, ast.Try):
            for block in (node.body, node.orelse, node.finalbody, *[h.body for h in node.handlers]):
                found += _module_level_imports(block)
    return found


def _resolve(node: ast.ImportFrom, here: str, is_package: bool) -> str:
    if not node.level:
        return node.module or ""
    base = here.split(".")
    base = base if is_package else base[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join([*base, node.module] if node.module else base)


def import_graph(package_dirs: list[Path]) -> dict[str, set[str]]:
    """Module → the modules of the same packages it imports at module level."""
    files = {module_name(p, d): p for d in package_dirs for p in sorted(d.rglob("*.py"))}
    graph: dict[str, set[str]] = {m: set() for m in files}
    for mod, path in files.items():
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in _module_level_imports(tree.body):
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            else:
                base = _resolve(node, mod, path.name == "__init__.py")
                targets = [f"{base}.{a.name}" if f"{base}.{a.name}" in files else base for a in node.names]
            graph[mod] |= {t for t in targets if t in files and t != mod}
    return graph


def find_cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    sys.setrecursionlimit(max(10_000, sys.getrecursionlimit()))
    for v in sorted(graph):
        if v not in index:
            visit(v)
    return sorted(cycles)


def main(argv: list[str]) -> int:
    dirs = [Path(a).resolve() for a in argv] or DEFAULT_PACKAGES
    graph = import_graph(dirs)
    cycles = find_cycles(graph)
    for cycle in cycles:
        edges = [f"  {a} -> {b}" for a in cycle for b in sorted(graph[a]) if b in cycle]
        print(f"import cycle among {len(cycle)} modules:\n" + "\n".join(edges))
    print(f"{len(graph)} modules, {sum(map(len, graph.values()))} module-level imports, {len(cycles)} cycle(s)")
    return 1 if cycles else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
