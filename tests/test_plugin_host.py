"""The plugin host calls hooks through pluggy: markers are required, call order and tracing are pluggy's."""

from __future__ import annotations

import sys
import types
from importlib import metadata
from pathlib import Path

import pytest

from mer_toolkit import hookimpl
from mer_toolkit.plugins import ENTRY_POINT_GROUP, PluginHost
from mer_toolkit.testing import run_mer

PLUGIN = """
from mer_toolkit import hookimpl

@hookimpl
def mer_register_parts(registry):
    registry.fusion.register("{name}.fusion", "mer_toolkit.components.fusion:ConcatFusion")
"""


def entry_point(name: str, module: str) -> metadata.EntryPoint:
    return metadata.EntryPoint(name=name, value=module, group=ENTRY_POINT_GROUP)


@pytest.fixture
def site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.syspath_prepend(str(tmp_path))
    yield tmp_path
    for name in [m for m, mod in sys.modules.items() if str(getattr(mod, "__file__", "")).startswith(str(tmp_path))]:
        del sys.modules[name]


def test_the_host_loads_the_entry_points_it_is_given_and_only_those(site: Path) -> None:
    (site / "plug_given.py").write_text(PLUGIN.format(name="given"))
    host = PluginHost(entry_points=[entry_point("given", "plug_given")])
    host.load()
    assert [p.name for p in host.loaded][-1] == "given" and "given.fusion" in host.registry.fusion
    assert "drkf.orl" not in host.registry.interaction  # installed plugins were not given
    builtins_only = PluginHost(entry_points=[])
    builtins_only.load()
    assert "concat" in builtins_only.registry.fusion and "given.fusion" not in builtins_only.registry.fusion


def test_a_hook_function_without_the_marker_is_reported_not_silently_skipped(site: Path) -> None:
    (site / "plug_unmarked.py").write_text("def mer_register_parts(registry):\n"
                                           "    registry.fusion.register('unmarked.fusion', object)\n")
    (site / "plug_ok.py").write_text(PLUGIN.format(name="ok"))
    host = PluginHost(entry_points=[entry_point("unmarked", "plug_unmarked"), entry_point("ok", "plug_ok")])
    with pytest.warns(RuntimeWarning, match="unmarked"):
        host.load()
    failure = next(f for f in host.failures if f.name == "unmarked")
    assert failure.stage == "pluggy registration" and "without @mer_toolkit.hookimpl" in failure.error
    assert "unmarked.fusion" not in host.registry.fusion and "ok.fusion" in host.registry.fusion


def test_other_hooks_follow_pluggys_order_and_a_failing_one_is_isolated(tmp_path: Path) -> None:
    host = PluginHost(entry_points=[])
    host.load()
    calls: list[str] = []

    def plugin(name: str, fail: bool = False, **opts: bool) -> types.ModuleType:
        module = types.ModuleType(name)

        def mer_published_figures() -> Path:
            calls.append(name)
            if fail:
                raise RuntimeError(f"{name} is broken")
            return tmp_path / "none.yaml"

        module.mer_published_figures = hookimpl(**opts)(mer_published_figures)
        host.pm.register(module, name=name)
        return module

    plugin("last", trylast=True)
    plugin("first", tryfirst=True)
    plugin("broken", fail=True)
    plugin("middle")
    with pytest.warns(RuntimeWarning, match="broken"):
        results = host._call_each("mer_published_figures")
    assert calls == ["first", "middle", "broken", "last"]
    assert [name for name, _ in results] == ["first", "middle", "last"]
    assert [f.name for f in host.failures] == ["broken"]


def test_trace_prints_every_hook_call() -> None:
    proc = run_mer("list", "fusion", env={"MER_TRACE_PLUGINS": "1"})
    assert proc.returncode == 0, proc.stderr
    assert "mer_register_parts [hook]" in proc.stderr and "mer_cli_commands [hook]" in proc.stderr
