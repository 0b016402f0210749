"""The shared surface of model parts, and ``PartOutput`` for parts that return more than a tensor.

Every kind has one calling convention (checked when a ``ComposedModel`` is built):

- encoder   ``__init__(..., in_dim=<inferred>, features=<inferred: the data.features node its input was cached
  with, or None>)``; ``out_dim``; ``forward(x, mask) -> (feats [B,T,D], mask [B,T])``
- adapter   ``__init__(in_dim=<inferred>, ...)``; ``out_dim``; ``forward(feats, mask) -> Tensor [B,T,D']``
- interaction ``__init__(in_dims=<inferred>, num_classes=<inferred>, ...)``; ``out_dims``; ``forward(feats, masks, batch)`` → dict
  of modality-like streams (it may rename or add streams, e.g. ``text_shared``)
- fusion    ``__init__(in_dims=<inferred>, num_classes=<inferred>, ...)``; ``out_dim``; ``forward(feats, masks, batch) -> [B, D]``
- head      ``__init__(in_dim=<inferred>, num_classes=<inferred>, ...)``; ``forward(fused, batch) -> [B, C]``

Any forward may instead return a ``PartOutput`` carrying named auxiliary losses (unweighted; the
model weights them from YAML, defaults from the part's ``default_loss_weights``) and extras.
A part that emits losses lists their names in ``term_names``. A part may list parameter names (as its
own ``named_parameters()`` gives them) in ``no_weight_decay``: the trainer puts those in a parameter group
with weight decay 0 (e.g. a learnable temperature, which decay would pull toward 0.5).
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass, field
from typing import Any

import torch

__all__ = ["PartOutput", "as_part_output", "masked_mean", "masked_stats", "takes_batch", "uniform_weights"]


@dataclass
class PartOutput:
    """What a part returns: its main value, named auxiliary losses, extras (and stream masks)."""

    value: Any
    losses: dict[str, torch.Tensor] = field(default_factory=dict)
    extras: dict[str, Any] = field(default_factory=dict)
    masks: dict[str, torch.Tensor] | None = None


def as_part_output(x: Any) -> PartOutput:
    """Wrap a plain return value so callers handle one type."""
    return x if isinstance(x, PartOutput) else PartOutput(value=x)


def masked_mean(x: torch.Tensor, mask: torch.Tensor | None) -> torch.Tensor:
    """Mean over time of ``[B, T, D]`` counting only steps where ``mask`` is True."""
    if mask is None:
        return x.mean(dim=1)
    m = mask.unsqueeze(-1).to(x.dtype)
    return (x * m).sum(dim=1) / m.sum(dim=1).clamp_min(1.0)


def masked_stats(x: torch.Tensor, weights: torch.Tensor) -> torch.Tensor:
    """Weighted mean and standard deviation over time, ``[B, T, D]`` → ``[B, 2D]``; ``weights`` ``[B, T]`` sum
    to one over each utterance's valid steps (a mask's uniform weights give plain statistics pooling)."""
    w = weights.unsqueeze(-1).to(x.dtype)
    mean = (w * x).sum(dim=1)
    var = (w * (x - mean.unsqueeze(1)) ** 2).sum(dim=1)
    return torch.cat([mean, var.clamp_min(1e-8).sqrt()], dim=-1)


def uniform_weights(mask: torch.Tensor) -> torch.Tensor:
    """Weights ``[B, T]`` equal over each row's valid steps (all zero for a row without any)."""
    m = mask.float()
    return m / m.sum(dim=1, keepdim=True).clamp_min(1.0)


def takes_batch(module: torch.nn.Module) -> bool:
    """Whether the part's ``forward`` accepts the ``batch`` keyword (it is passed only to those that do)."""
    try:
        return "batch" in inspect.signature(module.forward).parameters
    except (TypeError, ValueError):
        return False
