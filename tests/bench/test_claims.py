"""Cell claims: two benches on one folder share the grid, train and record every cell once, and take over the
cells of a bench that died."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from mer_toolkit.bench.claims import Claims, _file_name
from mer_toolkit.results import append_record, read_records

KEY = ("concat_mlp", "demo", "official", 1, "abc123")


def plant(claims: Claims, key: tuple, owner: dict, age: float = 0.0) -> Path:
    """A claim file as another bench writes it, its heartbeat ``age`` seconds old."""
    path = claims.folder / _file_name(key)
    path.write_text(json.dumps({**owner, "cell": list(key)}))
    beat = time.time() - age
    os.utime(path, (beat, beat))
    return path


def test_a_live_claim_is_respected_and_a_dead_one_taken_over(tmp_path: Path) -> None:
    other = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        with Claims(tmp_path, stale_after=30) as claims:
            host = claims.owner["host"]
            plant(claims, KEY, {"pid": other.pid, "host": host})
            assert claims.take(KEY) == ("busy", {"pid": other.pid, "host": host, "cell": list(KEY)})
            other.kill()
            other.wait()
            assert claims.take(KEY) == ("mine", None)  # same host, its process is gone: taken over at once
            assert json.loads((claims.folder / _file_name(KEY)).read_text())["pid"] == os.getpid()
            elsewhere = ("concat_mlp", "demo", "official", 2, "abc123")
            plant(claims, elsewhere, {"pid": 1, "host": "node-17"}, age=5)
            assert claims.take(elsewhere)[0] == "busy"  # another host, heartbeat fresh
            plant(claims, elsewhere, {"pid": 1, "host": "node-17"}, age=60)
            assert claims.take(elsewhere) == ("mine", None)  # heartbeat older than stale_after
        assert not list(claims.folder.iterdir())  # released on exit
    finally:
        other.kill()


def test_recorded_cells_and_failures_of_this_run_are_settled(tmp_path: Path) -> None:
    with Claims(tmp_path) as claims:
        append_record(tmp_path / "results.jsonl", {"model": KEY[0], "dataset": KEY[1], "fold": KEY[2], "seed": KEY[3],
                                                   "config_hash": KEY[4]})
        assert claims.take(KEY) == ("settled", None)
        failed = ("concat_mlp", "demo", "official", 3, "abc123")
        with open(tmp_path / "failures.jsonl", "w") as f:
            f.write(json.dumps({"key": list(failed), "time": claims.started - 10}) + "\n")
        assert claims.take(failed) == ("mine", None)  # failed in an earlier run: --resume tries it again
        claims.release(failed)
        with open(tmp_path / "failures.jsonl", "a") as f:
            f.write(json.dumps({"key": list(failed), "time": time.time()}) + "\n")
        assert claims.take(failed) == ("settled", None)  # failed while this bench waited for it


def test_heartbeat_keeps_held_claims_fresh(tmp_path: Path) -> None:
    with Claims(tmp_path, heartbeat=0.05) as claims:
        claims.take(KEY)
        path = claims.folder / _file_name(KEY)
        os.utime(path, (0, 0))
        time.sleep(0.3)
        assert time.time() - path.stat().st_mtime < 5


@pytest.mark.slow
def test_two_benches_on_one_folder_train_and_record_every_cell_once(tmp_path: Path) -> None:
    out = tmp_path / "shared"
    cmd = [sys.executable, "-m", "mer_toolkit.cli.main", "bench", "--model", "concat_mlp,gated_mlp", "--dataset",
           "demo", "--seeds", "2", "--epochs", "2", "--set", "data.dataset_options.dialogues=40", "--out", str(out),
           "--resume"]
    env = {**os.environ, "COLUMNS": "200"}
    first = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    time.sleep(1)
    second = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    outputs = [p.communicate(timeout=300) for p in (first, second)]
    assert [p.returncode for p in (first, second)] == [0, 0], [e[-2000:] for _, e in outputs]
    recs = read_records(out / "results.jsonl")
    keys = [(r["model"], r["seed"]) for r in recs]
    assert sorted(keys) == [("concat_mlp", 1), ("concat_mlp", 2), ("gated_mlp", 1), ("gated_mlp", 2)]
    done, duplicates = (sum(o.count(tag) for o, _ in outputs) for tag in ("  done  ", "  dup   "))
    assert (done, duplicates) == (4, 0), [o for o, _ in outputs]  # no cell trained by both benches
    assert not list((out / "claims").iterdir())
