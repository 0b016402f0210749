"""Late fusion: one classifier per modality, logits combined by averaging or learned softmax weights."""

from __future__ import annotations

import torch
from torch import nn

from mer_toolkit.api import PartOutput, masked_mean, mlp

__all__ = ["LateFusion", "LogitsHead"]


class LateFusion(nn.Module):
    """Per-modality MLP classifiers on pooled features; ``combine``: ``mean`` or ``learned`` weights."""

    def __init__(self, in_dims: dict[str, int], num_classes: int, hidden: list[int] | None = None,
                 dropout: float = 0.2, combine: str = "mean") -> None:
        super().__init__()
        if combine not in ("mean", "learned"):
            raise ValueError(f"late fusion combine must be 'mean' or 'learned', got '{combine}'")
        self.order = sorted(in_dims)
        self.classifiers = nn.ModuleDict({m: mlp(d, list(hidden or [128]), num_classes, dropout)
                                          for m, d in in_dims.items()})
        self.weights = nn.Parameter(torch.zeros(len(self.order)), requires_grad=combine == "learned")
        self.out_dim = num_classes

    def forward(self, feats: dict[str, torch.Tensor], masks: dict[str, torch.Tensor]) -> PartOutput:
        logits = torch.stack([self.classifiers[m](masked_mean(feats[m], masks.get(m))) for m in self.order], dim=1)
        w = torch.softmax(self.weights, 0)
        fused = (w.view(1, -1, 1) * logits).sum(1)
        return PartOutput(fused, extras={"modality_logits": dict(zip(self.order, logits.unbind(1))),
                                         "modality_weights": dict(zip(self.order, w.detach()))})


class LogitsHead(nn.Module):
    """Passes class scores produced by a fusion (late fusion, LMF) through as the prediction."""

    def __init__(self, in_dim: int, num_classes: int) -> None:
        super().__init__()
        if in_dim != num_classes:
            raise ValueError(f"baselines.logits needs a fusion that outputs {num_classes} logits, got width {in_dim}")

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x
