"""`mer bench` end to end: records, reports, kill + resume without duplicates, shards, significance tests."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from mer_toolkit.bench.grid import Cell, plan_grid
from mer_toolkit.bench.runner import BenchInterrupted, run_bench, write_bench_file
from mer_toolkit.errors import ConfigError
from mer_toolkit.plugins import get_registry
from mer_toolkit.results.report import summarize
from mer_toolkit.results import read_records
from mer_toolkit.results.stats import paired_test
from mer_toolkit.testing import run_mer
from mer_toolkit.run.trainer import load_checkpoint

GRID = ["bench", "--model", "gated_mlp,concat_mlp", "--dataset", "demo", "--seeds", "2", "--epochs", "3",
        "--set", "data.dataset_options.dialogues=60"]


def keys(path: Path) -> list[tuple]:
    return sorted((r["model"], r["dataset"], r["fold"], r["seed"], r["config_hash"]) for r in read_records(path))


@pytest.fixture(scope="module")
def full_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("bench") / "full"
    proc = run_mer(*GRID, "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    return out


def test_grid_writes_records_reports_and_plots(full_run: Path) -> None:
    recs = read_records(full_run / "results.jsonl")
    assert len(recs) == 4 and len(set(keys(full_run / "results.jsonl"))) == 4
    for r in recs:
        assert {"wa", "ua", "wf1", "macro_f1", "per_class_f1"} <= set(r["metrics"]["test"])
        assert r["protocol"] == "official" and r["selection"] == "val.wf1" and r["versions"]["torch"]
        assert Path(r["run_dir"], "best.pt").is_file()
    for name in ("summary.md", "summary.csv", "summary.json", "summary.tex", "bench.yaml", "compare_demo.png",
                 "per_class_f1_demo.png", "confusion_demo.png"):
        assert (full_run / name).is_file(), name
    rows = json.loads((full_run / "summary.json").read_text())
    gm = [r for r in recs if r["model"] == "gated_mlp"]
    row = next(r for r in rows if r["model"] == "gated_mlp")
    assert row["wf1"] == pytest.approx(sum(r["metrics"]["test"]["wf1"] for r in gm) / 2)
    assert "**" in (full_run / "summary.md").read_text()


def test_existing_results_need_resume(full_run: Path) -> None:
    proc = run_mer(*GRID, "--out", str(full_run))
    assert proc.returncode == 2 and "--resume" in proc.stderr
    again = run_mer(*GRID, "--out", str(full_run), "--resume")
    assert again.returncode == 0 and again.stdout.count("skip") == 4
    assert len(read_records(full_run / "results.jsonl")) == 4


def test_bench_file_keeps_every_grid_that_wrote_into_the_folder(tmp_path: Path) -> None:
    first = {"models": ["drkf"], "command": "mer bench --model drkf"}
    second = {"models": ["mult"], "command": "mer bench --model mult"}
    write_bench_file(tmp_path, first)
    write_bench_file(tmp_path, first)  # the same command again adds nothing
    assert yaml.safe_load((tmp_path / "bench.yaml").read_text()) == first
    write_bench_file(tmp_path, second)
    write_bench_file(tmp_path, {**first, "command": "mer bench --model drkf --resume"})
    on_file = yaml.safe_load((tmp_path / "bench.yaml").read_text())
    assert on_file["command"] == "mer bench --model drkf --resume"
    assert on_file["earlier"] == [first, second]
    (tmp_path / "bench.yaml").write_text("- not a grid\n")
    with pytest.raises(ConfigError, match="bench.yaml' must hold a mapping"):
        write_bench_file(tmp_path, first)


def test_sigterm_mid_cell_then_resume_continues_from_last_pt(full_run: Path, tmp_path: Path) -> None:
    """SIGTERM during epoch 2 of the first cell: state is saved, and --resume trains epoch 3 only, from last.pt."""
    out = tmp_path / "stopped"
    reg = get_registry()
    cells = plan_grid(["gated_mlp", "concat_mlp"], ["demo"], [1, 2], reg, overrides=GRID[-1:], epochs=3)

    def stop_in_epoch_two(kind: str, cell: Cell, info: dict) -> None:
        if kind == "epoch" and info["epoch"] == 2:
            os.kill(os.getpid(), signal.SIGTERM)

    with pytest.raises(BenchInterrupted, match="gated_mlp / demo / official / seed 1.*--resume"):
        run_bench(cells, out, reg, resume=False, on_event=stop_in_epoch_two)
    cell_dir = cells[0].run_dir(out)
    assert not (out / "results.jsonl").exists() and load_checkpoint(cell_dir / "last.pt")["epoch"] == 2
    done = run_mer(*GRID, "--out", str(out), "--resume")
    assert done.returncode == 0, done.stderr
    line = next(ln for ln in done.stdout.splitlines() if "gated_mlp / demo / official / seed 1: test WA" in ln)
    assert "resumed after epoch 2" in line and done.stdout.count("resumed after") == 1
    records = {(r["model"], r["seed"]): r for r in read_records(out / "results.jsonl")}
    assert records[("gated_mlp", 1)]["resumed_from_epoch"] == 2 and records[("gated_mlp", 1)]["epochs_run"] == 3
    assert [r["resumed_from_epoch"] for k, r in sorted(records.items()) if k != ("gated_mlp", 1)] == [0, 0, 0]
    log = [json.loads(x) for x in (cell_dir / "log.jsonl").read_text().splitlines()]
    assert [r["epoch"] for r in log] == [1, 2, 3] and [r.get("resumed_from") for r in log] == [None, None, 2]
    assert keys(out / "results.jsonl") == keys(full_run / "results.jsonl")
    ref = {(r["model"], r["seed"]): r["metrics"]["test"] for r in read_records(full_run / "results.jsonl")}
    assert {k: r["metrics"]["test"] for k, r in records.items()} == ref


@pytest.mark.slow
def test_killed_bench_resumes_to_the_same_records(full_run: Path, tmp_path: Path) -> None:
    """SIGKILL (no chance to save anything) of a real ``mer bench`` process, then ``--resume``."""
    out = tmp_path / "killed"
    cmd = [sys.executable, "-m", "mer_toolkit.cli.main", *GRID, "--out", str(out)]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.time() + 120
    while time.time() < deadline and len(read_records(out / "results.jsonl")) < 1:
        time.sleep(0.2)
    proc.send_signal(signal.SIGKILL)
    proc.communicate(timeout=60)
    assert proc.returncode != 0
    done = run_mer(*GRID, "--out", str(out), "--resume")
    assert done.returncode == 0, done.stderr
    assert keys(out / "results.jsonl") == keys(full_run / "results.jsonl")  # one record per cell
    assert not list((out / "claims").iterdir())  # the killed bench's claim on its cell was taken over, then released
    ours = {(r["model"], r["seed"]): r["metrics"]["test"] for r in read_records(out / "results.jsonl")}
    ref = {(r["model"], r["seed"]): r["metrics"]["test"] for r in read_records(full_run / "results.jsonl")}
    assert ours == ref


def test_shards_merge_into_the_unsharded_table(full_run: Path, tmp_path: Path) -> None:
    for i in (1, 2):
        proc = run_mer(*GRID, "--out", str(tmp_path / f"s{i}"), "--shard", f"{i}/2")
        assert proc.returncode == 0, proc.stderr
        assert len(read_records(tmp_path / f"s{i}" / "results.jsonl")) == 2
    merged = run_mer("results", "compare", str(tmp_path / "s1"), str(tmp_path / "s2"), "--json",
                     "--test", "gated_mlp,concat_mlp")
    assert merged.returncode == 0, merged.stderr
    data = json.loads(merged.stdout)
    expected = summarize(read_records(full_run / "results.jsonl"))
    assert data["rows"] == json.loads(json.dumps(expected))
    assert data["tests"][0]["cells"] == 2 and {m["metric"] for m in data["tests"][0]["metrics"]} == {
        "wa", "ua", "wf1", "macro_f1"}


def test_paired_test_on_known_numbers() -> None:
    t = paired_test([80.0, 82.0, 81.0, 83.0, 84.0, 85.0], [70.0, 71.0, 72.0, 73.0, 74.0, 75.0])
    assert t.mean_diff == pytest.approx(10.0)
    assert t.p_permutation == pytest.approx(2 / 64) and t.p_wilcoxon == pytest.approx(2 / 64)
    same = paired_test([1.0, 2.0, 3.0], [1.0, 2.0, 3.0])
    assert same.p_wilcoxon == 1.0 and same.p_permutation == 1.0
    with pytest.raises(ValueError):
        paired_test([1.0], [])


def test_bad_shard_and_seed_list() -> None:
    assert run_mer("bench", "--model", "gated_mlp", "--dataset", "demo", "--shard", "3/2").returncode == 2
    proc = run_mer("bench", "--model", "gated_mlp", "--dataset", "demo", "--seed-list", "1,x")
    assert proc.returncode == 2 and "--seed-list" in proc.stderr
