"""Parts registered by import path: listed, checked for duplicates and suggested without being imported."""

from __future__ import annotations

import importlib
import json
import pkgutil
import subprocess
import sys
from pathlib import Path

import pytest

from mer_toolkit.errors import MerError, PluginError, UnknownComponentError
from mer_toolkit.plugins.registry import Registries, Registry
from mer_toolkit.testing import fake_dist, fresh_registry, run_mer

PART = '''
"""A test module whose import is observable."""

IMPORTED = True


class Widget:
    """Makes widgets of a given size.

    Longer description.
    """

    def __init__(self, in_dims: dict, size: int = 3) -> None:
        self.size = size


NOT_CALLABLE = 42
'''


@pytest.fixture
def part_module(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """A fresh, not yet imported module ``lazy_part_<n>`` on ``sys.path``."""
    name = f"lazy_part_{abs(hash(tmp_path)) % 10**8}"
    (tmp_path / f"{name}.py").write_text(PART)
    (tmp_path / "broken_at_import.py").write_text("raise RuntimeError('boom while importing')\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    importlib.invalidate_caches()
    yield name
    for mod in (name, "broken_at_import"):
        sys.modules.pop(mod, None)


def test_import_path_is_imported_only_when_built_or_inspected(part_module: str) -> None:
    reg = Registry("fusion")
    reg.register("widget", f"{part_module}:Widget", source="plug")
    entry = reg.entry("widget")
    assert reg.names() == ["widget"] and entry.lazy and entry.origin == f"{part_module}:Widget"
    assert entry.summary == "Makes widgets of a given size." and entry.source == "plug"
    with pytest.raises(UnknownComponentError, match="did you mean 'widget'"):
        reg.get("widgte")
    assert part_module not in sys.modules and not entry.loaded
    cls = reg.get("widget")
    assert part_module in sys.modules and cls.__name__ == "Widget" and entry.loaded
    info = reg.info("widget")
    assert info["signature"] == "(in_dims: dict, size: int = 3) -> None" and info["origin"] == f"{part_module}:Widget"


def test_duplicates_are_found_without_importing(part_module: str) -> None:
    reg = Registry("fusion")
    reg.register("widget", f"{part_module}:Widget", source="plug_a")
    with pytest.raises(PluginError) as exc:
        reg.register("widget", f"{part_module}:Widget", source="plug_b")
    assert "registered twice" in str(exc.value) and "plug_a" in str(exc.value) and "plug_b" in str(exc.value)
    with pytest.raises(PluginError, match="registered twice"):  # the same source twice is an error too
        reg.register("widget", f"{part_module}:Widget", source="plug_a")
    assert part_module not in sys.modules


def test_a_missing_module_is_refused_at_registration_and_rolls_the_plugin_back() -> None:
    regs = Registries()
    stage = regs.staged("plug")
    stage.head.register("fine", "mer_toolkit.components.heads:LinearHead")
    stage.fusion.register("ghost", "no_such_package_xyz.fusion:Ghost")
    with pytest.raises(PluginError, match="module 'no_such_package_xyz.fusion' of no_such_package_xyz.fusion:Ghost "
                                          "is not installed"):
        stage.commit()
    assert "fine" not in regs.head and "ghost" not in regs.fusion


@pytest.mark.parametrize("target,expected", [
    ("broken_at_import:Widget", "importing broken_at_import:Widget failed: RuntimeError: boom while importing"),
    ("{mod}:Gadget", "importing {mod}:Gadget failed: AttributeError"),
    ("{mod}:NOT_CALLABLE", "{mod}:NOT_CALLABLE is int, not a class or factory"),
])
def test_an_import_failure_is_a_user_error_naming_the_part_and_plugin(part_module: str, target: str,
                                                                      expected: str) -> None:
    reg = Registry("fusion")
    reg.register("thing", target.format(mod=part_module), source="plug")
    with pytest.raises(PluginError) as exc:
        reg.get("thing")
    assert isinstance(exc.value, MerError) and exc.value.plugin == "plug"
    assert str(exc.value).startswith("fusion 'thing' from plug: ") and expected.format(mod=part_module) in str(exc.value)


def test_strings_that_are_not_import_paths_are_refused() -> None:
    for bad in ("just_a_name", "pkg.mod:", "pkg mod:attr", "pkg.mod:attr:more"):
        with pytest.raises(PluginError, match="not a class or factory"):
            Registry("encoder").register("x", bad)


def test_every_builtin_part_imports_under_its_registered_name() -> None:
    reg = fresh_registry()
    lazy = [reg.kind(k).entry(n) for k in ("encoder", "adapter", "fusion", "head", "loss", "dataset", "protocol")
            for n in reg.kind(k).names()]
    assert lazy and all(e.lazy and e.source == "builtin" for e in lazy)
    for e in lazy:
        assert callable(e.obj), e.name
        if e.kind == "protocol":
            assert e.obj.name == e.name  # the table matches each protocol's own name
        assert e.summary, f"{e.kind} {e.name} ({e.origin}) has no docstring to list"


@pytest.mark.parametrize("package", ["mer_toolkit.components", "mer_toolkit.encoders", "mer_toolkit.data.datasets",
                                     "mer_toolkit.data.protocols"])
def test_every_module_of_a_builtin_part_package_is_registered(package: str) -> None:
    modules = {f"{package}.{m.name}" for m in pkgutil.iter_modules(importlib.import_module(package).__path__)
               if not m.name.startswith("_")}
    registered = {e.origin.partition(":")[0] for k in ("encoder", "adapter", "fusion", "head", "loss", "dataset",
                                                       "protocol") for e in fresh_registry().kind(k).entries()}
    # LossOutput/TermLoss are used by every loss; recurrent holds the masked LSTM and dialogue-layout helpers
    # that parts share; contracts, parts and model describe parts and assemble them into a model;
    # label_maps holds each source's documented label order
    helpers = {"mer_toolkit.components.losses", "mer_toolkit.components.recurrent",
               "mer_toolkit.components.contracts", "mer_toolkit.components.parts", "mer_toolkit.components.model",
               "mer_toolkit.data.datasets.label_maps"} & modules
    assert modules - registered - helpers == set(), "a module's parts are missing from the package's hook"


LISTING_COMMANDS = [["--help"], ["--version"], ["list"], ["list", "model", "drkf*"], ["plugins"],
                    ["config", "show", "drkf", "--explain"], ["config", "show", "mult", "--dataset", "meld"],
                    ["info", "drkf"], ["info", "mult"], ["train", "--model", "drkff"]]

PROBE = """
import contextlib, io, json, sys
from mer_toolkit.cli.main import main
seen = {}
for argv in json.loads(sys.argv[1]):
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        try:
            code = main(argv)
        except SystemExit as exc:
            code = exc.code
    heavy = sorted(m for m in ("torch", "transformers", "pytorch_metric_learning", "numpy") if m in sys.modules)
    seen[" ".join(argv)] = [code, heavy]
print(json.dumps(seen))
"""


def test_listing_and_explaining_commands_never_import_torch() -> None:
    # A fresh interpreter is the point here: only there does sys.modules show what a command imported.
    proc = subprocess.run([sys.executable, "-c", PROBE, json.dumps(LISTING_COMMANDS)], capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    seen = json.loads(proc.stdout)
    assert {cmd: heavy for cmd, (_, heavy) in seen.items() if heavy} == {}
    assert [code for code, _ in seen.values()] == [0] * (len(LISTING_COMMANDS) - 1) + [2]


PLUGIN = """
from mer_toolkit import hookimpl

@hookimpl
def mer_register_parts(registry):
    registry.fusion.register('{name}', '{target}')
"""


def test_a_plugin_naming_a_missing_module_is_isolated_and_a_broken_part_fails_only_when_used(tmp_path: Path) -> None:
    fake_dist(tmp_path, "ghost-plugin", "ghost", "plug_ghost",
              PLUGIN.format(name="ghost.fusion", target="no_such_package_xyz:Fusion"))
    fake_dist(tmp_path, "late-plugin", "late", "plug_late", PLUGIN.format(name="late.fusion", target="late_boom:Fusion"))
    (tmp_path / "late_boom.py").write_text("raise ImportError('late_boom needs a library that is missing')\n")
    env = {"MER_LOAD_PLUGINS": "", "MER_DISABLE_PLUGINS": ""}
    report = json.loads(run_mer("plugins", "--json", env=env, sys_path=[tmp_path]).stdout)
    failed = {f["name"]: f for f in report["failed"]}
    assert set(failed) == {"ghost"} and "no_such_package_xyz" in failed["ghost"]["error"]
    listed = {r["name"] for r in json.loads(run_mer("list", "fusion", "--json", env=env, sys_path=[tmp_path]).stdout)}
    assert "late.fusion" in listed and "ghost.fusion" not in listed and "concat" in listed
    cfg = tmp_path / "uses_late.yaml"
    cfg.write_text("_base_: concat_mlp\nmodel:\n  fusion: {type: late.fusion}\n")
    proc = run_mer("train", "--config", str(cfg), "--epochs", "1", "--out", str(tmp_path / "run"), env=env, sys_path=[tmp_path])
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert "fusion 'late.fusion' from late: importing late_boom:Fusion failed: ImportError: late_boom needs" in proc.stderr
    doctor = run_mer("doctor", "--json", env=env, sys_path=[tmp_path])
    rows = {r["check"]: r for r in json.loads(doctor.stdout)}
    assert doctor.returncode == 1 and not rows["fusion late.fusion"]["ok"] and not rows["plugin ghost"]["ok"]


def test_the_installed_pytest_plugin_does_not_import_torch_at_start_up() -> None:
    from importlib import metadata

    plugin = next(ep for ep in metadata.entry_points(group="pytest11") if ep.name == "mer_toolkit")
    probe = f"import sys, {plugin.value}; print('torch' in sys.modules)"
    proc = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0 and proc.stdout.strip() == "False", (plugin.value, proc.stdout, proc.stderr)
