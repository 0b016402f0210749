"""The ``features`` encoder: precomputed vectors or sequences, optionally projected."""

from __future__ import annotations

import torch
from torch import nn

__all__ = ["FeatureEncoder"]


class FeatureEncoder(nn.Module):
    """Passes precomputed features ``[B, T, D]`` through, with optional layer norm, projection and dropout.

    ``in_dim`` is inferred from the data; ``proj_dim`` maps it to a model width.
    """

    def __init__(self, in_dim: int, proj_dim: int | None = None, dropout: float = 0.0, norm: bool = False,
                 pool: bool = False) -> None:
        super().__init__()
        self.in_dim = in_dim
        self.norm = nn.LayerNorm(in_dim) if norm else nn.Identity()
        self.proj = nn.Linear(in_dim, proj_dim) if proj_dim else nn.Identity()
        self.dropout = nn.Dropout(dropout)
        self.pool = pool
        self.out_dim = proj_dim or in_dim

    def forward(self, x: torch.Tensor, mask: torch.Tensor | None) -> tuple[torch.Tensor, torch.Tensor]:
        if x.dim() != 3 or x.shape[-1] != self.in_dim:
            raise ValueError(f"features encoder expects [B, T, {self.in_dim}] inputs, got {tuple(x.shape)}; "
                             "the features differ from what the model was built for")
        if mask is None:
            mask = torch.ones(x.shape[:2], dtype=torch.bool, device=x.device)
        h = self.dropout(self.proj(self.norm(x)))
        if self.pool:
            m = mask.unsqueeze(-1).to(h.dtype)
            h = ((h * m).sum(1) / m.sum(1).clamp_min(1.0)).unsqueeze(1)
            mask = mask.any(dim=1, keepdim=True)
        return h, mask
