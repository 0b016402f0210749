"""Run records: one JSON object per (model, dataset, fold, seed), appended atomically to a JSONL file."""

from __future__ import annotations

import hashlib
import json
import os
import platform
from pathlib import Path
from typing import Any

from ..errors import DataError

__all__ = ["config_hash", "environment", "append_record", "read_records", "record_key", "labelled"]


def config_hash(config: dict[str, Any]) -> str:
    """Short stable hash of a resolved config (key order does not matter)."""
    blob = json.dumps(config, sort_keys=True, default=str).encode()
    return hashlib.sha256(blob).hexdigest()[:12]


def environment(device: str) -> dict[str, Any]:
    """Library versions and device of a run."""
    import torch

    from .. import __version__

    versions = {"mer_toolkit": __version__, "torch": torch.__version__, "python": platform.python_version()}
    for mod in ("torchaudio", "transformers", "torchmetrics", "pytorch_metric_learning"):
        try:
            versions[mod] = __import__(mod).__version__
        except Exception:  # noqa: BLE001 - optional libraries may be absent or broken
            versions[mod] = None
    name = device
    if device.startswith("cuda") and torch.cuda.is_available():
        name = f"{device} ({torch.cuda.get_device_name()})"
    return {"device": name, "host": platform.node(), "versions": versions}


def record_key(rec: dict[str, Any]) -> tuple[str, str, str, int, str]:
    """Identity of a cell: model, dataset, fold, seed, config hash."""
    return (rec["model"], rec["dataset"], str(rec["fold"]), int(rec["seed"]), rec["config_hash"])


def append_record(path: str | Path, record: dict[str, Any]) -> None:
    """Append one record by rewriting the file to a temp name and renaming it over the old one.

    A crash or a full disk leaves either the old file or the new one, never a torn line. In a data-parallel run
    the caller writes from its main process only.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    old = path.read_bytes() if path.is_file() else b""
    if old and not old.endswith(b"\n"):
        old += b"\n"
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with open(tmp, "wb") as f:
            f.write(old + (json.dumps(record, sort_keys=True) + "\n").encode())
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()


def read_records(path: str | Path) -> list[dict[str, Any]]:
    """All records of a results file; a malformed line is an error naming the file and line."""
    path = Path(path)
    if not path.is_file():
        return []
    out = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            out.append(json.loads(line))
        except json.JSONDecodeError as err:
            raise DataError(f"{path}:{n}: not a JSON record ({err.msg})") from None
    return out


def labelled(records: list[dict[str, Any]], label: str) -> list[dict[str, Any]]:
    """The records with ``label/`` before each model name (the name it had kept as ``unlabelled_model``), so
    that two runs of one model — two settings, two corpora — can be told apart and paired."""
    return [{**r, "model": f"{label}/{r['model']}", "unlabelled_model": r.get("unlabelled_model", r["model"])}
            for r in records]
