"""Checkpoints load with ``weights_only=True`` (a code payload is refused, not run) and devices resolve clearly."""

from __future__ import annotations

import pickle
from pathlib import Path

import pytest
import torch

import mer_toolkit.run.distributed as distributed
from mer_toolkit.run.distributed import DistInfo, resolve_device
from mer_toolkit.errors import ConfigError, RunError
from mer_toolkit.run.trainer import load_checkpoint, save_checkpoint


class Payload:
    """Pickles as a call that would create a file if the checkpoint were unpickled without restrictions."""

    def __reduce__(self) -> tuple:
        return eval, ("__import__('pathlib').Path('PWNED').touch()",)


def test_tensors_and_plain_data_round_trip_to_cpu(tmp_path: Path) -> None:
    payload = {"state_dict": {"w": torch.arange(4.0)}, "epoch": 3, "label_names": ["a", "b"]}
    save_checkpoint(tmp_path / "sub" / "best.pt", payload)
    ck = load_checkpoint(tmp_path / "sub" / "best.pt")
    assert ck["epoch"] == 3 and ck["label_names"] == ["a", "b"]
    assert torch.equal(ck["state_dict"]["w"], torch.arange(4.0))
    assert ck["state_dict"]["w"].device.type == "cpu" and not (tmp_path / "sub" / "best.pt.tmp").exists()


def test_code_payload_is_refused_without_running_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "evil.pt"
    path.write_bytes(pickle.dumps({"state_dict": Payload()}, protocol=2))
    with pytest.raises(RunError) as exc:
        load_checkpoint(path)
    msg = str(exc.value)
    reason = msg.split("safely (", 1)[1]
    assert msg.startswith(f"checkpoint '{path}' cannot be loaded safely (") and "eval" in reason, msg
    assert msg.endswith("only checkpoints written by mer-toolkit (tensors and plain data) are accepted, nothing in "
                        "them is executed")
    assert not (tmp_path / "PWNED").exists()


def test_missing_and_garbage_files_are_named(tmp_path: Path) -> None:
    with pytest.raises(RunError, match=r"checkpoint '.*nope.pt' does not exist"):
        load_checkpoint(tmp_path / "nope.pt")
    (tmp_path / "junk.pt").write_bytes(b"not a checkpoint\nsecond line")
    with pytest.raises(RunError, match=r"junk.pt' cannot be loaded safely \([^)\n]+\); only checkpoints"):
        load_checkpoint(tmp_path / "junk.pt")


@pytest.mark.parametrize("cuda", [False, True])
def test_auto_picks_cuda_only_when_available(monkeypatch: pytest.MonkeyPatch, cuda: bool) -> None:
    monkeypatch.setattr(torch.cuda, "is_available", lambda: cuda)
    assert resolve_device("auto") == torch.device("cuda" if cuda else "cpu")
    assert resolve_device("cpu") == torch.device("cpu")


def test_distributed_ranks_take_their_own_gpu(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(distributed, "dist_info", lambda: DistInfo(rank=1, world=2, local_rank=1))
    assert resolve_device("auto") == torch.device("cuda", 1) == resolve_device("cuda")
    assert resolve_device("cpu") == torch.device("cpu")


def test_unavailable_or_invalid_devices_are_config_errors(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    with pytest.raises(ConfigError, match="train.device is 'cuda:1' but no CUDA device is available; use --device"):
        resolve_device("cuda:1")
    with pytest.raises(ConfigError, match=r"train.device 'gpu0' is not a valid device \("):
        resolve_device("gpu0")
