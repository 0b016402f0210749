"""Per-epoch experiment tracking: TensorBoard event files in the run directory and MLflow runs.

``train.tensorboard: true`` writes ``RUN_DIR/tensorboard/``; ``train.mlflow: URI`` logs to an MLflow
tracking store (``sqlite:///mlflow.db``, ``file:./mlruns`` or a server). Every named loss term of the
epoch (``train/<term>``) and every scalar validation metric (``val/<metric>``) is logged at step = epoch.
"""

from __future__ import annotations

import logging
import os
import time
from pathlib import Path
from typing import Any, Protocol

from ..errors import ConfigError

__all__ = ["EpochTracker", "TensorBoardTracker", "MLflowTracker", "open_trackers", "epoch_scalars"]


class EpochTracker(Protocol):
    """Receives each epoch's row (``epoch``, ``train`` terms, ``val`` metrics) and is closed after training."""

    def log_epoch(self, row: dict[str, Any]) -> None: ...

    def close(self) -> None: ...


def epoch_scalars(row: dict[str, Any]) -> dict[str, float]:
    """``{'train/loss': .., 'train/loss.ce': .., 'val/wf1': ..}``: the numbers of one epoch row."""
    out = {}
    for section in ("train", "val"):
        for k, v in (row.get(section) or {}).items():
            if isinstance(v, (int, float)) and not isinstance(v, bool):
                out[f"{section}/{k}"] = float(v)
    return out


class TensorBoardTracker:
    """Scalars in ``run_dir/tensorboard`` (read with TensorBoard or ``EventAccumulator``)."""

    def __init__(self, run_dir: Path) -> None:
        try:
            from torch.utils.tensorboard import SummaryWriter
        except ImportError:
            raise ConfigError("train.tensorboard needs TensorBoard: pip install 'mer-toolkit[tensorboard]'") from None
        self.writer = SummaryWriter(log_dir=str(run_dir / "tensorboard"))

    def log_epoch(self, row: dict[str, Any]) -> None:
        for name, value in epoch_scalars(row).items():
            self.writer.add_scalar(name, value, int(row["epoch"]))
        self.writer.flush()

    def close(self) -> None:
        self.writer.close()


class MLflowTracker:
    """One MLflow run per cell in experiment ``dataset``, named ``model/fold/seedN``, the config as params."""

    def __init__(self, uri: str, meta: dict[str, Any]) -> None:
        try:
            from mlflow.tracking import MlflowClient
        except ImportError:
            raise ConfigError("train.mlflow needs MLflow: pip install 'mer-toolkit[mlflow]'") from None
        logging.getLogger("mlflow").setLevel(logging.WARNING)  # no INFO lines per run about its database tables
        if uri.startswith("file:") or "://" not in uri:  # MLflow 3 keeps file stores behind an opt-in
            os.environ.setdefault("MLFLOW_ALLOW_FILE_STORE", "true")
        try:
            self.client = MlflowClient(tracking_uri=uri)
            name = str(meta.get("dataset") or "mer")
            found = self.client.get_experiment_by_name(name)
            exp = found.experiment_id if found else self.client.create_experiment(name)
            run_name = f"{Path(str(meta.get('model_name', 'model'))).stem}/{meta.get('fold')}/seed{meta.get('seed')}"
            self.run_id = self.client.create_run(exp, run_name=run_name, tags={
                "model": str(meta.get("model_name")), "fold": str(meta.get("fold")), "seed": str(meta.get("seed")),
                "protocol": str(meta.get("protocol")), "config_hash": str(meta.get("config_hash"))}).info.run_id
        except Exception as err:  # noqa: BLE001 - MLflow raises many kinds for a bad URI or store
            first = str(err).splitlines()[0] if str(err) else ""
            raise ConfigError(f"train.mlflow '{uri}': cannot open the MLflow store ({type(err).__name__}: {first}); "
                              "use e.g. sqlite:///mlflow.db") from None
        for key, value in _flatten(meta.get("config") or {}).items():
            self.client.log_param(self.run_id, key[:250], str(value)[:6000])

    def log_epoch(self, row: dict[str, Any]) -> None:
        from mlflow.entities import Metric

        stamp = int(time.time() * 1000)
        metrics = [Metric(k, v, stamp, int(row["epoch"])) for k, v in epoch_scalars(row).items()]
        self.client.log_batch(self.run_id, metrics=metrics)

    def close(self) -> None:
        self.client.set_terminated(self.run_id)


def _flatten(node: Any, prefix: str = "") -> dict[str, Any]:
    if isinstance(node, dict):
        out: dict[str, Any] = {}
        for k, v in node.items():
            out.update(_flatten(v, f"{prefix}.{k}" if prefix else str(k)))
        return out
    return {prefix: node}


def open_trackers(train_cfg: Any, run_dir: Path, meta: dict[str, Any]) -> list[EpochTracker]:
    """The trackers ``train.tensorboard`` / ``train.mlflow`` ask for (none by default)."""
    trackers: list[EpochTracker] = []
    if train_cfg.tensorboard:
        trackers.append(TensorBoardTracker(run_dir))
    if train_cfg.mlflow:
        trackers.append(MLflowTracker(str(train_cfg.mlflow), meta))
    return trackers
