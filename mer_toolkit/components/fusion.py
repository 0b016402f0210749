"""Builtin fusion strategies: concatenation, mean and gated sum of pooled modality streams."""

from __future__ import annotations

import torch
from torch import nn

from .parts import PartOutput, masked_mean

__all__ = ["ConcatFusion", "MeanFusion", "GatedSumFusion"]


class ConcatFusion(nn.Module):
    """Concatenates the time-pooled streams (masked mean) in a fixed modality order."""

    def __init__(self, in_dims: dict[str, int]) -> None:
        super().__init__()
        self.order = sorted(in_dims)
        self.out_dim = sum(in_dims.values())

    def forward(self, feats: dict[str, torch.Tensor], masks: dict[str, torch.Tensor]) -> torch.Tensor:
        return torch.cat([masked_mean(feats[m], masks.get(m)) for m in self.order], dim=-1)


class _ProjectedFusion(nn.Module):
    """Pools each stream and projects it to a common width ``dim``."""

    def __init__(self, in_dims: dict[str, int], dim: int | None = None) -> None:
        super().__init__()
        self.order = sorted(in_dims)
        dim = dim or max(in_dims.values())
        self.proj = nn.ModuleDict({m: nn.Linear(d, dim) if d != dim else nn.Identity() for m, d in in_dims.items()})
        self.out_dim = dim

    def projected(self, feats: dict[str, torch.Tensor], masks: dict[str, torch.Tensor]) -> torch.Tensor:
        """``[B, M, dim]`` stack of pooled, projected streams."""
        return torch.stack([self.proj[m](masked_mean(feats[m], masks.get(m))) for m in self.order], dim=1)


class MeanFusion(_ProjectedFusion):
    """Average of the projected, pooled streams."""

    def forward(self, feats: dict[str, torch.Tensor], masks: dict[str, torch.Tensor]) -> torch.Tensor:
        return self.projected(feats, masks).mean(dim=1)


class GatedSumFusion(_ProjectedFusion):
    """Softmax-gated sum of the projected streams; the gate weights are returned as ``modality_weights``."""

    def __init__(self, in_dims: dict[str, int], dim: int | None = None) -> None:
        super().__init__(in_dims, dim)
        self.gate = nn.Linear(self.out_dim * len(self.order), len(self.order))

    def forward(self, feats: dict[str, torch.Tensor], masks: dict[str, torch.Tensor]) -> PartOutput:
        h = self.projected(feats, masks)
        w = torch.softmax(self.gate(h.flatten(1)), dim=-1)
        fused = (w.unsqueeze(-1) * h).sum(dim=1)
        return PartOutput(fused, extras={"modality_weights": dict(zip(self.order, w.unbind(-1)))})
