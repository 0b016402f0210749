"""The ``data`` and ``train`` sections of a run config, with their defaults."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

__all__ = ["DataConfig", "TrainConfig", "SECTIONS"]


@dataclass
class DataConfig:
    """Which dataset, protocol and features to use, and how to batch them."""

    dataset: Any = "demo"
    root: str | None = None
    protocol: str | None = None
    protocol_options: dict = field(default_factory=dict)
    dataset_options: dict = field(default_factory=dict)
    features: dict = field(default_factory=dict)
    batch_size: int = 32
    eval_batch_size: int | None = None
    batch_by: str = "utterance"
    num_workers: int = 0
    folds: list | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class TrainConfig:
    """Optimisation, selection and device settings of the generic trainer."""

    epochs: int = 30
    lr: float = 1e-3
    encoder_lr: float | None = None
    weight_decay: float = 1e-2
    optimizer: str = "adamw"
    scheduler: str = "cosine"
    warmup_epochs: float = 0.0
    grad_clip: float | None = 1.0
    patience: int | None = 10
    monitor: str = "wf1"
    seed: int = 42
    device: str = "auto"
    amp: str = "off"
    deterministic: bool = True
    threads: int | None = None
    tensorboard: bool = False
    mlflow: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


SECTIONS: dict[str, type] = {"data": DataConfig, "train": TrainConfig}
