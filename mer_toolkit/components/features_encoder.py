"""The ``features`` encoder: precomputed vectors or sequences, optionally normalised and projected."""

from __future__ import annotations

import torch
from torch import nn

from ..errors import ConfigError
from .parts import masked_mean, masked_stats, uniform_weights

__all__ = ["AttentiveStatsPool", "FeatureEncoder", "MaskedStandardize", "strided_mean"]

POOLS = (False, True, "mean", "stats", "attention")


class MaskedStandardize(nn.Module):
    """Per-dimension standardisation with running statistics of the valid training steps (no affine).

    Raw features (e.g. log-mel statistics) differ in scale by orders of magnitude between dimensions;
    this plays the role of z-scoring with training-set statistics, learned on the fly: the in-model form of
    ``data.feature_norm: train`` (``corpus``/``speaker`` standardise in the data, ``data.feature_norm``).
    """

    def __init__(self, dim: int, momentum: float = 0.05) -> None:
        super().__init__()
        self.momentum = momentum
        self.register_buffer("mean", torch.zeros(dim))
        self.register_buffer("var", torch.ones(dim))
        self.register_buffer("seen", torch.zeros((), dtype=torch.long))

    def forward(self, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        if self.training:
            valid = x[mask].detach().float()
            if valid.shape[0] > 1:
                m, v = valid.mean(0), valid.var(0, unbiased=False)
                rate = 1.0 if int(self.seen) == 0 else self.momentum
                self.mean.mul_(1 - rate).add_(rate * m)
                self.var.mul_(1 - rate).add_(rate * v)
                self.seen += 1
        return (x - self.mean) / (self.var + 1e-5).sqrt()


def strided_mean(x: torch.Tensor, mask: torch.Tensor, stride: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Mean of each window of ``stride`` steps over its valid steps; a window is valid if any of its steps is."""
    pad = -x.shape[1] % stride
    x = torch.nn.functional.pad(x, (0, 0, 0, pad)).unflatten(1, (-1, stride))
    m = torch.nn.functional.pad(mask, (0, pad)).unflatten(1, (-1, stride))
    w = m.unsqueeze(-1).to(x.dtype)
    return (w * x).sum(2) / w.sum(2).clamp_min(1.0), m.any(2)


class AttentiveStatsPool(nn.Module):
    """Attentive statistics pooling (Okabe et al., Interspeech 2018): a learned score per step, softmax over
    the valid steps, then the weighted mean and standard deviation — frames that carry the emotion count more."""

    def __init__(self, dim: int, hidden: int = 128) -> None:
        super().__init__()
        self.score = nn.Sequential(nn.Linear(dim, hidden), nn.Tanh(), nn.Linear(hidden, 1))

    def forward(self, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        logits = self.score(x).squeeze(-1).masked_fill(~mask, torch.finfo(x.dtype).min)
        weights = torch.softmax(logits, dim=1) * mask  # a row without valid steps pools to zeros, gradients stay finite
        return masked_stats(x, weights)


class FeatureEncoder(nn.Module):
    """Passes precomputed features ``[B, T, D]`` through, with optional normalisation, projection and pooling.

    ``in_dim`` is inferred from the data; ``norm``: ``standardize`` (per-dimension, running training
    statistics), ``layer`` (LayerNorm per step) or none; ``stride`` averages each run of that many steps (a
    50-frame/s encoder at stride 4 gives 12.5 steps/s: attention costs 16× less); ``proj_dim`` maps to a model
    width; ``pool`` turns a sequence into one step: ``mean`` (or true), ``stats`` (mean + std, twice the width)
    or ``attention`` (attentive statistics pooling, learned; twice the width).
    """

    def __init__(self, in_dim: int, proj_dim: int | None = None, dropout: float = 0.0, norm: bool | str = False,
                 pool: bool | str = False, stride: int = 1) -> None:
        super().__init__()
        if norm not in (False, None, True, "layer", "standardize"):
            raise ConfigError(f"features encoder: norm must be 'standardize', 'layer' or false, got {norm!r}")
        if pool not in POOLS and pool is not None:
            raise ConfigError(f"features encoder: pool must be false, 'mean', 'stats' or 'attention', got {pool!r}")
        if not isinstance(stride, int) or isinstance(stride, bool) or stride < 1:
            raise ConfigError(f"features encoder: stride must be a whole number of steps >= 1, got {stride!r}")
        self.stride = stride
        self.in_dim = in_dim
        self.standardize = MaskedStandardize(in_dim) if norm == "standardize" else None
        self.norm = nn.LayerNorm(in_dim) if norm in (True, "layer") else nn.Identity()
        self.proj = nn.Linear(in_dim, proj_dim) if proj_dim else nn.Identity()
        self.dropout = nn.Dropout(dropout)
        self.pool = "mean" if pool is True else pool or None
        width = proj_dim or in_dim
        self.attention = AttentiveStatsPool(width) if pool == "attention" else None
        self.out_dim = 2 * width if self.pool in ("stats", "attention") else width

    def forward(self, x: torch.Tensor, mask: torch.Tensor | None) -> tuple[torch.Tensor, torch.Tensor]:
        if x.dim() != 3 or x.shape[-1] != self.in_dim:
            raise ValueError(f"features encoder expects [B, T, {self.in_dim}] inputs, got {tuple(x.shape)}; "
                             "the features differ from what the model was built for")
        if mask is None:
            mask = torch.ones(x.shape[:2], dtype=torch.bool, device=x.device)
        if self.standardize is not None:
            x = self.standardize(x, mask)
        if self.stride > 1:
            x, mask = strided_mean(x, mask, self.stride)
        h = self.dropout(self.proj(self.norm(x)))
        if self.pool is not None:
            if self.attention is not None:
                h = self.attention(h, mask)
            else:
                h = masked_mean(h, mask) if self.pool == "mean" else masked_stats(h, uniform_weights(mask))
            h, mask = h.unsqueeze(1), mask.any(dim=1, keepdim=True)
        return h, mask
