"""What a wheel ships: every file the code reads at run time, single-sourced versions, published figures."""

from __future__ import annotations

import json
import subprocess
import types
from pathlib import Path

import pytest

import mer_baselines
import mer_drkf
import mer_toolkit
from mer_toolkit import hookimpl
from mer_toolkit.cli.main import main
from mer_toolkit.errors import ConfigError
from mer_toolkit.plugins import PluginHost
from mer_toolkit.results.published import find_published, read_published
from mer_toolkit.results.report import markdown_table, summarize

REPO = Path(__file__).resolve().parents[1]
DISTRIBUTIONS = {REPO: mer_toolkit, REPO / "plugins" / "drkf": mer_drkf, REPO / "plugins" / "baselines": mer_baselines}


def _project(root: Path) -> dict:
    """The parsed ``pyproject.toml`` of a distribution (skipped before Python 3.11, which has no tomllib)."""
    tomllib = pytest.importorskip("tomllib")
    return tomllib.loads((root / "pyproject.toml").read_text())


@pytest.mark.parametrize("root", list(DISTRIBUTIONS), ids=lambda p: p.name)
def test_every_non_python_file_of_a_package_is_declared_package_data(root: Path) -> None:
    package = DISTRIBUTIONS[root]
    project = _project(root)
    patterns = project["tool"]["setuptools"]["package-data"][package.__name__]
    pkg_dir = Path(package.__file__).parent
    tracked = subprocess.run(["git", "ls-files"], cwd=pkg_dir, capture_output=True, text=True, check=True).stdout
    data = {f for f in tracked.split() if not f.endswith(".py")}
    declared = {str(p.relative_to(pkg_dir)) for pat in patterns for p in pkg_dir.glob(pat)}
    assert data and not data - declared, f"{root.name}: not in [tool.setuptools.package-data]: {data - declared}"


@pytest.mark.parametrize("root", list(DISTRIBUTIONS), ids=lambda p: p.name)
def test_version_is_single_sourced_from_the_package(root: Path) -> None:
    project = _project(root)
    package = DISTRIBUTIONS[root]
    assert "version" not in project["project"] and project["project"]["dynamic"] == ["version"]
    assert project["tool"]["setuptools"]["dynamic"]["version"] == {"attr": f"{package.__name__}.__version__"}


def test_version_lists_the_toolkit_and_each_installed_plugin(capsys) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["--version"])
    assert exc.value.code == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == f"mer-toolkit {mer_toolkit.__version__}"
    assert f"mer-drkf {mer_drkf.__version__} (plugin 'drkf')" in lines
    assert f"mer-baselines {mer_baselines.__version__} (plugin 'baselines')" in lines


def test_drkf_published_figures_keep_the_source_labels_and_stay_apart(capsys) -> None:
    code = main(["info", "drkf", "--json"])
    info = json.loads(capsys.readouterr().out)[0]
    assert code == 0
    figures = {p["dataset"]: p["figures"] for p in info["published"]}
    assert figures == {"iemocap": "IEMOCAP ACC 80.7, WACC 79.9", "meld": "MELD ACC 66.7, WF1 65.4",
                       "m3ed": "MSED ACC 50.6, WF1 52.0"}
    assert all("PANPANKK/DRKF_Decoupled" in p["source"] for p in info["published"])
    published = read_published(Path(mer_drkf.__file__).with_name("published.yaml"), "drkf")
    record = {"dataset": "meld", "model": "drkf", "seed": 1, "fold": "official", "protocol": "official",
              "metrics": {"test": {"wa": 50.0, "ua": 40.0, "wf1": 45.0, "macro_f1": 30.0}}}
    row = summarize([record], published)[0]
    assert (row["wa"], row["wf1"]) == (50.0, 45.0) and row["published"]["text"] == "MELD ACC 66.7, WF1 65.4"
    table = markdown_table([row])
    line = table.splitlines()[2]
    assert "50.00 ± 0.00" in line and "66.7" not in line.split("|")[4] and line.endswith("| MELD ACC 66.7, WF1 65.4 |")
    assert find_published(published, "configs/drkf-e2e.yaml", "m3ed").label == "MSED"
    assert find_published(published, "early_fusion", "meld") is None


def test_a_malformed_published_file_names_the_file_and_key(tmp_path: Path) -> None:
    bad = tmp_path / "published.yaml"
    bad.write_text("- source: somewhere\n  models: [m]\n  results:\n    meld: {label: MELD, figures: {ACC: high}}\n")
    with pytest.raises(ConfigError, match=r"published.yaml: published figures at '\[0\].results.meld.figures'"):
        read_published(bad, "plug")


def test_a_plugin_with_a_broken_published_file_is_reported_and_the_others_still_show(tmp_path: Path) -> None:
    bad = tmp_path / "published.yaml"
    bad.write_text("source: not a list\n")
    plugin = types.ModuleType("badfigures")
    plugin.mer_published_figures = hookimpl(lambda: bad)
    host = PluginHost()
    host.load()
    host.pm.register(plugin, name="badfigures")
    with pytest.warns(RuntimeWarning, match="badfigures"):
        figures = host.published_figures()
    assert {f.plugin for f in figures} == {"drkf"}
    failure = next(f for f in host.failures if f.name == "badfigures")
    assert failure.stage == "mer_published_figures" and "expected a list of sources" in failure.error
