"""The package's import graph: no cycle (scripts/check_import_cycles.py), and every module imports on its own."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
_spec = importlib.util.spec_from_file_location("check_import_cycles", ROOT / "scripts/check_import_cycles.py")
cycles_script = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(cycles_script)


def _package(tmp_path: Path, files: dict[str, str]) -> Path:
    pkg = tmp_path / "pkg"
    for name, code in {"__init__.py": "", **files}.items():
        (pkg / name).parent.mkdir(parents=True, exist_ok=True)
        (pkg / name).write_text(code)
    return pkg


def test_a_planted_cycle_is_found_and_deferred_imports_are_not(tmp_path: Path) -> None:
    pkg = _package(tmp_path, {
        "a.py": "from .b import thing\n",
        "b.py": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from .c import x\n"
                "def f():\n    from . import a\ntry:\n    from .sub import mod\nexcept ImportError:\n    pass\n",
        "c.py": "from . import a\n",
        "sub/__init__.py": "",
        "sub/mod.py": "from ..a import thing\n",
    })
    graph = cycles_script.import_graph([pkg])
    assert graph["pkg.b"] == {"pkg.sub.mod"} and graph["pkg.c"] == {"pkg.a"}
    assert cycles_script.find_cycles(graph) == [["pkg.a", "pkg.b", "pkg.sub.mod"]]
    assert cycles_script.main([str(pkg)]) == 1
    (pkg / "sub/mod.py").write_text("def g():\n    from ..a import thing\n")
    assert cycles_script.main([str(pkg)]) == 0


def test_the_toolkit_and_its_plugins_have_no_import_cycle() -> None:
    graph = cycles_script.import_graph(cycles_script.DEFAULT_PACKAGES)
    assert len(graph) > 100 and "mer_toolkit.bench.runner" in graph
    assert cycles_script.find_cycles(graph) == []


ISOLATED = """
import importlib, json, sys
failed = {}
for name in json.loads(sys.argv[1]):
    for loaded in [m for m in sys.modules if m.split(".")[0] in ("mer_toolkit", "mer_drkf", "mer_baselines")]:
        del sys.modules[loaded]
    try:
        importlib.import_module(name)
    except Exception as exc:
        failed[name] = f"{type(exc).__name__}: {exc}"
print(json.dumps(failed))
"""


def test_every_module_imports_first() -> None:
    """Each module imported first, with none of the package loaded, so an order-dependent import breaks here."""
    graph = cycles_script.import_graph(cycles_script.DEFAULT_PACKAGES)
    names = sorted(m for m in graph if not m.endswith("__main__"))
    out = subprocess.run([sys.executable, "-W", "ignore", "-c", ISOLATED, json.dumps(names)], capture_output=True,
                         text=True, cwd=ROOT, timeout=600)
    assert out.returncode == 0, out.stderr[-2000:]
    assert json.loads(out.stdout.strip().splitlines()[-1]) == {}


#: stage → the stages it must never import: along the data path imports point one way,
#: cli → bench → run → (components, data, encoders, results) → (config, plugins, errors)
LATER = {"config": {"run", "bench", "results", "cli"}, "plugins": {"run", "bench", "cli"},
         "data": {"run", "bench", "results", "cli"}, "components": {"run", "bench", "results", "cli"},
         "encoders": {"run", "bench", "results", "cli"}, "results": {"run", "bench", "cli"},
         "run": {"bench", "cli"}, "bench": {"cli"}}


def test_the_data_path_imports_point_one_way() -> None:
    graph = cycles_script.import_graph(cycles_script.DEFAULT_PACKAGES[:1])
    stage = lambda module: module.split(".")[1] if module.count(".") else ""  # noqa: E731
    backwards = sorted(f"{a} -> {b}" for a, targets in graph.items() for b in targets
                       if stage(b) in LATER.get(stage(a), ()))
    assert backwards == []
