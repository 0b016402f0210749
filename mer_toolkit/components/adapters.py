"""Per-modality adapters: small networks applied to each step of an encoder's output."""

from __future__ import annotations

import torch
from torch import nn

__all__ = ["MLPAdapter", "mlp"]

_ACTIVATIONS = {"relu": nn.ReLU, "gelu": nn.GELU, "tanh": nn.Tanh, "silu": nn.SiLU}


def mlp(in_dim: int, hidden: list[int], out_dim: int | None, dropout: float = 0.0, activation: str = "relu",
        norm: bool = False) -> nn.Sequential:
    """Linear → (norm) → activation → dropout blocks, then an optional output layer."""
    if activation not in _ACTIVATIONS:
        raise ValueError(f"activation '{activation}' is not one of {sorted(_ACTIVATIONS)}")
    layers: list[nn.Module] = []
    d = in_dim
    for h in hidden:
        layers += [nn.Linear(d, h)]
        if norm:
            layers.append(nn.LayerNorm(h))
        layers += [_ACTIVATIONS[activation](), nn.Dropout(dropout)]
        d = h
    if out_dim is not None:
        layers.append(nn.Linear(d, out_dim))
    return nn.Sequential(*layers)


class MLPAdapter(nn.Module):
    """Maps each step ``[B, T, in_dim]`` to ``[B, T, dim]`` with an MLP (optionally residual)."""

    def __init__(self, in_dim: int, dim: int = 256, hidden: list[int] | None = None, dropout: float = 0.1,
                 activation: str = "relu", norm: bool = True, residual: bool = False) -> None:
        super().__init__()
        if residual and dim != in_dim:
            raise ValueError(f"a residual adapter needs dim == in_dim ({dim} != {in_dim})")
        self.net = mlp(in_dim, list(hidden or [dim]), dim, dropout, activation, norm)
        self.residual = residual
        self.out_dim = dim

    def forward(self, x: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
        y = self.net(x)
        return x + y if self.residual else y
