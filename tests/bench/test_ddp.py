"""Data-parallel training under torchrun (2 CPU processes, gloo): one record, files written once."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import torch.distributed as dist
import pytest


def free_port() -> int:
    """A TCP port nobody listens on now: parallel test runs on one machine must not share a fixed port."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.slow
@pytest.mark.skipif(not dist.is_available(), reason="torch.distributed is not available")
def test_two_process_training_writes_one_record(tmp_path: Path) -> None:
    out = tmp_path / "ddp"
    proc = subprocess.run([sys.executable, "-m", "torch.distributed.run", "--nproc_per_node=2",
                           f"--master_port={free_port()}",
                           "-m", "mer_toolkit.cli.main", "train", "--model", "gated_mlp", "--epochs", "2", "--quiet",
                           "--device", "cpu", "--out", str(out), "--set", "data.dataset_options.dialogues=60"],
                          capture_output=True, text=True, timeout=240, env={**os.environ, "OMP_NUM_THREADS": "1"})
    assert proc.returncode == 0, proc.stderr[-3000:]
    records = [json.loads(x) for x in (out / "results.jsonl").read_text().splitlines()]
    assert len(records) == 1 and records[0]["world_size"] == 2
    assert proc.stdout.count("test metrics") == 1
    log = (out / "official" / "log.jsonl").read_text().splitlines()
    assert [json.loads(x)["epoch"] for x in log] == [1, 2]


@pytest.mark.slow
@pytest.mark.skipif(not __import__("torch").cuda.is_available(), reason="needs a CUDA device")
def test_bench_on_cuda_with_bf16_autocast(tmp_path: Path) -> None:
    from mer_toolkit.results import read_records
    from mer_toolkit.testing import run_mer

    proc = run_mer("bench", "--model", "drkf,early_fusion", "--dataset", "demo", "--seeds", "1", "--epochs", "2",
                   "--device", "cuda", "--amp", "bf16", "--out", str(tmp_path / "gpu"))
    assert proc.returncode == 0, proc.stderr[-2000:]
    recs = read_records(tmp_path / "gpu" / "results.jsonl")
    assert len(recs) == 2 and all(r["device"].startswith("cuda") for r in recs)
