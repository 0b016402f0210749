"""`mer bench --jobs N`: cells in worker processes give the records of one process; failures, kills and appends."""

from __future__ import annotations

import io
import multiprocessing as mp
import os
import pickle
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from mer_toolkit.bench import launchers
from mer_toolkit.bench.grid import plan_grid
from mer_toolkit.bench.runner import append_result
from mer_toolkit.cli.main import main
from mer_toolkit.bench.launchers import LaunchOptions, _init_local_worker
from mer_toolkit.plugins import get_registry
from mer_toolkit.results import read_records

GRID = ["bench", "--model", "concat_mlp,gated_mlp", "--dataset", "demo", "--seeds", "2", "--epochs", "2",
        "--set", "data.dataset_options.dialogues=40"]


@pytest.fixture(scope="module")
def serial(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("serial")
    assert main([*GRID, "--out", str(out)]) == 0
    return out


@pytest.mark.parametrize("start", ["fork", "spawn"])
def test_two_jobs_give_the_records_of_one(serial: Path, tmp_path: Path, cell_metrics, start: str,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(launchers, "_start_method", lambda opts: start)  # spawn: what GPU and multi-thread workers use
    assert main([*GRID, "--out", str(tmp_path), "--jobs", "2"]) == 0
    assert cell_metrics(tmp_path / "results.jsonl") == cell_metrics(serial / "results.jsonl")


def test_workers_are_forked_only_when_single_thread_on_cpu(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(launchers, "cpu_count", lambda: 8)
    assert launchers._start_method(LaunchOptions(jobs=8)) == "fork"
    assert launchers._start_method(LaunchOptions(jobs=4)) == "spawn"  # two OpenMP threads per worker
    assert launchers._start_method(LaunchOptions(jobs=8, devices=["0", "1"])) == "spawn"


def test_payloads_refer_to_the_corpus_instead_of_copying_it() -> None:
    reg = get_registry()
    cells = plan_grid(["concat_mlp"], ["demo"], [1, 2], reg, epochs=1,
                      overrides=["data.dataset_options.dialogues=40"])
    corpus = cells[0].corpus
    assert cells[1].corpus is corpus
    refs = launchers._corpus_refs([corpus])
    payload = launchers._dumps((cells[0], "out"), refs)
    assert len(payload) * 20 < len(pickle.dumps(cells[0]))
    launchers._WORKER_CORPORA[:] = [corpus]
    try:
        cell, _ = launchers._ReferenceUnpickler(io.BytesIO(payload)).load()
    finally:
        launchers._WORKER_CORPORA.clear()
    assert cell.corpus is corpus and all(any(s is t for t in corpus.samples) for s in cell.fold.train[:5])
    assert [s.id for s in cell.fold.test] == [s.id for s in cells[0].fold.test]


def test_a_failed_cell_is_recorded_and_the_rest_go_on(tmp_path: Path) -> None:
    bad = tmp_path / "diverges.yaml"
    bad.write_text("_base_: concat_mlp\ntrain: {lr: 1.0e+30, grad_clip: null, warmup_epochs: 0}\n")
    out = tmp_path / "out"
    code = main(["bench", "--model", f"concat_mlp,{bad}", "--dataset", "demo", "--seeds", "2", "--epochs", "2",
                 "--set", "data.dataset_options.dialogues=40", "--out", str(out), "--jobs", "2"])
    assert code == 1
    assert sorted((r["model"], r["seed"]) for r in read_records(out / "results.jsonl")) == [("concat_mlp", 1),
                                                                                          ("concat_mlp", 2)]
    failures = read_records(out / "failures.jsonl")
    assert sorted(f["seed"] for f in failures) == [1, 2] and all("loss" in f["error"] for f in failures)


def test_killed_parallel_bench_resumes_exactly(serial: Path, tmp_path: Path, cell_metrics) -> None:
    cmd = [sys.executable, "-m", "mer_toolkit.cli.main", *GRID, "--out", str(tmp_path), "--jobs", "2"]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.time() + 180
    while time.time() < deadline and len(read_records(tmp_path / "results.jsonl")) < 1:
        time.sleep(0.2)
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode != 0 and "--resume" in err and "Traceback" not in err
    assert len(read_records(tmp_path / "results.jsonl")) < 4
    assert main([*GRID, "--out", str(tmp_path), "--jobs", "2", "--resume"]) == 0
    assert cell_metrics(tmp_path / "results.jsonl") == cell_metrics(serial / "results.jsonl")


def _record(tag: int, k: int) -> dict:
    return {"model": "m", "dataset": "d", "fold": "official", "seed": 100 * tag + k, "config_hash": "h",
            "writer": tag, "k": k}


def _append_many(out: str, tag: int) -> None:
    for k in range(25):
        append_result(Path(out), _record(tag, k))


def test_concurrent_appends_keep_every_record(tmp_path: Path) -> None:
    ctx = mp.get_context("fork")  # the lock is per process; fork starts writers without re-importing torch
    procs = [ctx.Process(target=_append_many, args=(str(tmp_path), t)) for t in range(3)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(60)
    recs = read_records(tmp_path / "results.jsonl")
    assert sorted((r["writer"], r["k"]) for r in recs) == [(t, k) for t in range(3) for k in range(25)]
    # a cell recorded already (by this bench or another on the folder) is not recorded twice
    assert not append_result(tmp_path, {**_record(1, 3), "writer": 9})
    assert len(read_records(tmp_path / "results.jsonl")) == 75


def test_workers_take_the_devices_in_turn(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "")
    old = signal.getsignal(signal.SIGINT)
    counter = mp.get_context("spawn").Value("i", 0)
    try:
        seen = []
        for _ in range(3):
            _init_local_worker(["0", "1"], counter)
            seen.append(os.environ["CUDA_VISIBLE_DEVICES"])
    finally:
        signal.signal(signal.SIGINT, old)
    assert seen == ["0", "1", "0"]
