"""Plugins: a real external package installed with pip, and broken plugins that must not break the CLI."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from mer_toolkit.testing import fake_dist, run_mer, run_mer_process

REPO = Path(__file__).resolve().parents[1]

EXAMPLE = REPO / "examples" / "mer-example-fusion"


@pytest.fixture(scope="module")
def example_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The example plugin package, pip-installed into its own target folder."""
    target = tmp_path_factory.mktemp("site")
    build = tmp_path_factory.mktemp("src") / "pkg"
    subprocess.run(["cp", "-r", str(EXAMPLE), str(build)], check=True)
    proc = subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--no-build-isolation",
                           "--no-index", "--target", str(target), str(build)], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    return target


def env_with(*sites: Path) -> dict[str, str]:
    """What a fresh interpreter needs to see the plugins installed in ``sites`` (and none disabled)."""
    return {"PYTHONPATH": os.pathsep.join(str(s) for s in sites), "MER_LOAD_PLUGINS": "", "MER_DISABLE_PLUGINS": ""}


PLUGIN_ENV = {"MER_LOAD_PLUGINS": "", "MER_DISABLE_PLUGINS": ""}


@pytest.mark.slow
def test_installed_plugin_appears_in_list_and_trains_from_yaml(example_site: Path, tmp_path: Path) -> None:
    env = env_with(example_site)
    listed = run_mer_process("list", "fusion", "--json", env=env)
    assert listed.returncode == 0, listed.stderr
    rows = {r["name"]: r for r in json.loads(listed.stdout)}
    assert rows["example.max"]["source"] == "example"
    cfg = tmp_path / "mine.yaml"
    cfg.write_text("_base_: concat_mlp\nmodel:\n  fusion: {type: example.max, dim: 32}\n")
    out = run_mer("train", "--config", str(cfg), "--dataset", "demo", "--epochs", "2", "--quiet", "--json",
                  "--out", str(tmp_path / "run"), env=PLUGIN_ENV, sys_path=[example_site])
    assert out.returncode == 0, out.stderr
    rec = json.loads(out.stdout)[0]
    assert rec["metrics"]["test"]["wa"] > 40.0  # 4 classes: chance is 25 %
    plugins = json.loads(run_mer("plugins", "--json", env=PLUGIN_ENV, sys_path=[example_site]).stdout)
    assert any(p["name"] == "example" and p["dist"] == "mer-example-fusion" for p in plugins["loaded"])


BROKEN = {
    "import": ("broken-import", "raise RuntimeError('boom at import')\n"),
    "hook": ("broken-hook", """
        from mer_toolkit import hookimpl

        @hookimpl
        def mer_register_parts(registry):
            registry.fusion.register('half.registered', dict)
            raise ValueError('boom in hook')
        """),
    "duplicate": ("dup-name", """
        from mer_toolkit import hookimpl

        @hookimpl
        def mer_register_parts(registry):
            registry.fusion.register('concat', dict)
        """),
    "noncallable": ("non-callable", """
        from mer_toolkit import hookimpl

        @hookimpl
        def mer_register_parts(registry):
            registry.fusion.register('not.callable', 42)
        """),
}


def test_broken_plugins_are_reported_and_skipped(tmp_path: Path) -> None:
    for ep, (dist, code) in BROKEN.items():
        fake_dist(tmp_path, dist, ep, f"plug_{ep}", code)
    site = {"env": PLUGIN_ENV, "sys_path": [tmp_path]}
    listed = run_mer("list", "fusion", "--json", **site)
    assert listed.returncode == 0 and "Traceback" not in listed.stderr
    names = {r["name"] for r in json.loads(listed.stdout)}
    assert "concat" in names and "half.registered" not in names and "not.callable" not in names
    report = json.loads(run_mer("plugins", "--json", **site).stdout)
    failed = {f["name"]: f for f in report["failed"]}
    assert set(failed) == set(BROKEN)
    assert "boom at import" in failed["import"]["error"] and failed["import"]["stage"] == "import"
    assert "boom in hook" in failed["hook"]["error"]
    assert "registered twice" in failed["duplicate"]["error"] and failed["duplicate"]["dist"] == "dup-name"
    assert "not a class or factory" in failed["noncallable"]["error"]
    doctor = run_mer("doctor", **site)
    assert doctor.returncode == 1 and "boom at import" in doctor.stdout
    disabled = run_mer("plugins", "--json", sys_path=[tmp_path],
                       env={**PLUGIN_ENV, "MER_DISABLE_PLUGINS": "import,hook,duplicate,noncallable"})
    assert json.loads(disabled.stdout)["failed"] == []


def test_strict_mode_reraises(tmp_path: Path) -> None:
    fake_dist(tmp_path, "broken-import", "import", "plug_import", "raise RuntimeError('boom at import')\n")
    out = run_mer("list", env={**PLUGIN_ENV, "MER_STRICT_PLUGINS": "1"}, sys_path=[tmp_path])
    assert out.returncode != 0 and "boom at import" in out.stderr


def test_builtins_register_through_the_hook_path(mer_registry) -> None:
    entry = mer_registry.fusion.entry("concat")
    assert entry.source == "builtin" and entry.origin == "mer_toolkit.components.fusion:ConcatFusion"
