"""The metrics every run reports, the ones a run may select on (``train.monitor``) and which way is better: the
one list that the trainer, tuning, reports and the CLI read."""

from __future__ import annotations

from typing import Literal, get_args

__all__ = ["METRICS", "LABELS", "Monitor", "MONITORS", "metric_direction", "is_better"]

METRICS = ("wa", "ua", "wf1", "macro_f1")
LABELS = {"wa": "WA", "ua": "UA", "wf1": "WF1", "macro_f1": "macro-F1", "loss": "loss"}
Monitor = Literal["wa", "ua", "wf1", "macro_f1", "loss"]
MONITORS: tuple[str, ...] = get_args(Monitor)


def metric_direction(name: str) -> Literal["maximize", "minimize"]:
    """``maximize`` for the scores, ``minimize`` for the loss; an unknown name is a ``KeyError`` naming the known."""
    if name not in MONITORS:
        raise KeyError(f"'{name}' is not a metric (metrics: {list(MONITORS)})")
    return "minimize" if name == "loss" else "maximize"


def is_better(value: float, best: float | None, name: str) -> bool:
    """Whether ``value`` beats ``best`` on metric ``name`` (anything beats nothing; ties keep the earlier)."""
    if best is None:
        return True
    return value < best if metric_direction(name) == "minimize" else value > best
