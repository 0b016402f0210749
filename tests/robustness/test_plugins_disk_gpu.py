"""Two plugins claiming one name, a full disk while writing results, and CUDA out-of-memory."""

from __future__ import annotations

import errno
import json
from pathlib import Path

import pytest
import torch

from mer_toolkit.testing import fake_dist, run_mer, run_mer_process
from mer_toolkit.results import append_record, read_records

PLUGIN = """
from mer_toolkit import hookimpl
from mer_toolkit.components.fusion import ConcatFusion

@hookimpl
def mer_register_parts(registry):
    registry.fusion.register('shared.name', ConcatFusion)
"""


def test_two_plugins_registering_the_same_name(tmp_path: Path) -> None:
    fake_dist(tmp_path, "plugin-a", "aaa", "plug_a", PLUGIN)
    fake_dist(tmp_path, "plugin-b", "bbb", "plug_b", PLUGIN)
    report = json.loads(run_mer("plugins", "--json", sys_path=[tmp_path]).stdout)
    assert [p["name"] for p in report["loaded"] if p["name"] in ("aaa", "bbb")] == ["aaa"]
    failed = {f["name"]: f for f in report["failed"]}
    assert "registered twice" in failed["bbb"]["error"] and "aaa" in failed["bbb"]["error"]
    listed = json.loads(run_mer("list", "fusion", "--json", sys_path=[tmp_path]).stdout)
    assert [r["source"] for r in listed if r["name"] == "shared.name"] == ["aaa"]


def test_full_disk_leaves_results_file_intact(tmp_path: Path, monkeypatch) -> None:
    path = tmp_path / "results.jsonl"
    rec = {"model": "m", "dataset": "d", "fold": "f", "seed": 1, "config_hash": "h"}
    append_record(path, rec)
    before = path.read_bytes()

    class FullDisk:
        """A file whose writes fail half-way, as on a full disk."""

        def __init__(self, *args: object, **kwargs: object) -> None:
            self.f = open(*args, **kwargs)  # noqa: SIM115

        def write(self, data: bytes) -> int:
            self.f.write(data[: len(data) // 2])
            raise OSError(errno.ENOSPC, "No space left on device")

        def __enter__(self) -> "FullDisk":
            return self

        def __exit__(self, *exc: object) -> None:
            self.f.close()

    import mer_toolkit.results.records as results

    monkeypatch.setattr(results, "open", FullDisk, raising=False)
    with pytest.raises(OSError, match="No space left"):
        append_record(path, {**rec, "seed": 2})
    monkeypatch.undo()
    assert path.read_bytes() == before and read_records(path) == [rec]
    assert [p.name for p in tmp_path.iterdir()] == ["results.jsonl"]


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device to exhaust its memory")
def test_cuda_out_of_memory_suggests_a_smaller_batch(tmp_path: Path) -> None:
    free, _ = torch.cuda.mem_get_info()
    huge = max(1, int(free / (4 * 4096 * 4096)) + 4)
    proc = run_mer_process("train", "--model", "gated_mlp", "--device", "cuda", "--epochs", "1",
                           "--out", str(tmp_path / "o"), "--set", f"model.adapters.text.dim={4096 * huge}",
                           "--set", "data.batch_size=4096")
    assert proc.returncode == 2 and ("out of memory" in proc.stderr or "batch_size" in proc.stderr)
