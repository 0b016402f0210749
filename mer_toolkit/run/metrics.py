"""Emotion-recognition metrics on torchmetrics: WA, UA, WF1, macro-F1, per-class F1, confusion matrix.

WA = overall accuracy (micro), UA = mean per-class recall (macro accuracy), WF1 = support-weighted F1.
"""

from __future__ import annotations

from typing import Any

import torch
from torchmetrics import MetricCollection
from torchmetrics.classification import (
    MulticlassAccuracy,
    MulticlassConfusionMatrix,
    MulticlassF1Score,
)

__all__ = ["EmotionMetrics", "compute_metrics"]


class EmotionMetrics:
    """Accumulates predictions over batches and reports the standard MER metrics as floats (in %)."""

    def __init__(self, num_classes: int, label_names: list[str] | None = None) -> None:
        self.num_classes = num_classes
        self.label_names = label_names or [str(i) for i in range(num_classes)]
        self.collection = MetricCollection({
            "wa": MulticlassAccuracy(num_classes, average="micro"),
            "ua": MulticlassAccuracy(num_classes, average="macro"),
            "wf1": MulticlassF1Score(num_classes, average="weighted"),
            "macro_f1": MulticlassF1Score(num_classes, average="macro"),
            "per_class_f1": MulticlassF1Score(num_classes, average=None),
            "confusion": MulticlassConfusionMatrix(num_classes),
        })

    def update(self, logits: torch.Tensor, labels: torch.Tensor) -> None:
        keep = labels >= 0
        if keep.any():
            self.collection.update(logits[keep].detach().float().cpu(), labels[keep].cpu())

    def reset(self) -> None:
        self.collection.reset()

    def compute(self) -> dict[str, Any]:
        out = self.collection.compute()
        res: dict[str, Any] = {k: round(float(out[k]) * 100, 4) for k in ("wa", "ua", "wf1", "macro_f1")}
        res["per_class_f1"] = {n: round(float(v) * 100, 4) for n, v in zip(self.label_names, out["per_class_f1"])}
        res["confusion"] = out["confusion"].tolist()
        return res


def compute_metrics(logits: torch.Tensor, labels: torch.Tensor, label_names: list[str]) -> dict[str, Any]:
    """All metrics of one set of logits in one call."""
    m = EmotionMetrics(len(label_names), label_names)
    m.update(logits, labels)
    return m.compute()
