"""The ``data`` and ``train`` sections of a run config, with their defaults. Closed choices are ``Literal`` types,
so a wrong value is a config error at load time, naming the key's file and line and the allowed values."""

from __future__ import annotations

import typing
from dataclasses import asdict, dataclass, field, fields
from typing import Any, Literal

from ..errors import ConfigError
from .metrics import Monitor

__all__ = ["DataConfig", "TrainConfig", "SECTIONS", "FeatureNorm", "choices"]

FeatureNorm = Literal["train", "corpus", "speaker"]  # whose statistics standardise the features (data.feature_norm)


def choices(annotation: Any) -> tuple[Any, ...]:
    """The values a closed-choice annotation allows (``Literal[...]``, optionally ``| None``); empty for open ones."""
    if typing.get_origin(annotation) is Literal:
        return typing.get_args(annotation)
    args = [a for a in typing.get_args(annotation) if a is not type(None)]
    if args and all(typing.get_origin(a) is Literal for a in args):
        return tuple(v for a in args for v in typing.get_args(a))
    return ()


def _check_choices(section: Any, name: str) -> None:
    """A section built in Python (not from YAML) is held to the same closed choices as a config file."""
    hints = typing.get_type_hints(type(section))
    for f in fields(section):
        allowed, value = choices(hints[f.name]), getattr(section, f.name)
        if allowed and value is not None and value not in allowed:
            raise ConfigError(f"{name}.{f.name} = {value!r} is not one of {list(allowed)}")


@dataclass
class DataConfig:
    """Which dataset, protocol and features to use, how to standardise them (``feature_norm``, see
    ``data.feature_norm``) and how to batch them."""

    dataset: Any = "demo"
    root: str | None = None
    protocol: str | None = None
    protocol_options: dict = field(default_factory=dict)
    dataset_options: dict = field(default_factory=dict)
    features: dict = field(default_factory=dict)
    batch_size: int = 32
    eval_batch_size: int | None = None
    batch_by: Literal["utterance", "dialogue"] = "utterance"
    num_workers: int = 0
    folds: list | None = None
    feature_norm: FeatureNorm = "train"

    def __post_init__(self) -> None:
        _check_choices(self, "data")

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class TrainConfig:
    """Optimisation, selection and device settings of the generic trainer."""

    epochs: int = 30
    lr: float = 1e-3
    encoder_lr: float | None = None
    weight_decay: float = 1e-2
    optimizer: Literal["adamw", "adam", "sgd"] = "adamw"
    scheduler: Literal["cosine", "linear", "constant"] = "cosine"
    warmup_epochs: float = 0.0
    grad_clip: float | None = 1.0
    patience: int | None = 10
    monitor: Monitor = "wf1"
    seed: int = 42
    device: str = "auto"
    amp: Literal["off", "bf16", "fp16"] = "off"
    deterministic: bool = True
    threads: int | None = None
    tensorboard: bool = False
    mlflow: str | None = None

    def __post_init__(self) -> None:
        _check_choices(self, "train")

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


SECTIONS: dict[str, type] = {"data": DataConfig, "train": TrainConfig}
