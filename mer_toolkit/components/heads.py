"""Classifier heads on the fused representation."""

from __future__ import annotations

import torch
from torch import nn

from .adapters import mlp

__all__ = ["LinearHead", "MLPHead"]


class LinearHead(nn.Module):
    """Dropout then one linear layer to ``num_classes`` logits."""

    def __init__(self, in_dim: int, num_classes: int, dropout: float = 0.0) -> None:
        super().__init__()
        self.in_dim = in_dim
        self.dropout = nn.Dropout(dropout)
        self.fc = nn.Linear(in_dim, num_classes)

    def reset_head(self, num_classes: int) -> None:
        """Replace the output layer (e.g. to fine-tune on another label set)."""
        self.fc = nn.Linear(self.in_dim, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc(self.dropout(x))


class MLPHead(nn.Module):
    """Hidden layers then a linear output layer."""

    def __init__(self, in_dim: int, num_classes: int, hidden: list[int] | None = None, dropout: float = 0.1,
                 activation: str = "relu") -> None:
        super().__init__()
        self.hidden = list(hidden or [256])
        self.body = mlp(in_dim, self.hidden, None, dropout, activation)
        self.fc = nn.Linear(self.hidden[-1], num_classes)

    def reset_head(self, num_classes: int) -> None:
        """Replace the output layer (e.g. to fine-tune on another label set)."""
        self.fc = nn.Linear(self.hidden[-1], num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc(self.body(x))
