"""Registers ``example.max`` (fusion) and ``example_max`` (model config) with mer-toolkit."""

from __future__ import annotations

from pathlib import Path

import torch
from torch import nn

from mer_toolkit.api import hookimpl, masked_mean


class MaxFusion(nn.Module):
    """Projects each pooled modality to ``dim`` and keeps the element-wise maximum across modalities."""

    def __init__(self, in_dims: dict[str, int], dim: int = 64) -> None:
        super().__init__()
        self.proj = nn.ModuleDict({m: nn.Linear(d, dim) for m, d in in_dims.items()})
        self.out_dim = dim

    def forward(self, feats: dict[str, torch.Tensor], masks: dict[str, torch.Tensor]) -> torch.Tensor:
        pooled = [self.proj[m](masked_mean(x, masks.get(m))) for m, x in feats.items()]
        return torch.stack(pooled, dim=1).max(dim=1).values


@hookimpl
def mer_register_parts(registry) -> None:
    registry.fusion.register("example.max", MaxFusion)
    registry.model.register("example_max", str(Path(__file__).with_name("example_max.yaml")))
