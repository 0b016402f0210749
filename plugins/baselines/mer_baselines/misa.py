"""MISA: Hazarika, Zimmermann, Poria. "MISA: Modality-Invariant and -Specific Representations for
Multimodal Sentiment Analysis", ACM MM 2020.

Each modality's utterance vector is projected, then split into a shared (modality-invariant)
representation by one encoder common to all modalities and a private (modality-specific) one by a
per-modality encoder. Losses: CMD similarity between the shared representations, soft-orthogonality
difference between private/shared and between privates, and reconstruction of the projected input
from shared + private. A 2-layer transformer over the 2M representations, concatenated, fuses them.
"""

from __future__ import annotations

import itertools

import torch
from torch import nn

from mer_toolkit.parts import PartOutput, masked_mean

__all__ = ["cmd", "orthogonality", "MISA", "TokenTransformerFusion"]


def cmd(x: torch.Tensor, y: torch.Tensor, moments: int = 5) -> torch.Tensor:
    """Central Moment Discrepancy between two batches of representations (Zellinger et al. 2017)."""
    mx, my = x.mean(0), y.mean(0)
    cx, cy = x - mx, y - my
    total = (mx - my).norm()
    for k in range(2, moments + 1):
        total = total + (cx.pow(k).mean(0) - cy.pow(k).mean(0)).norm()
    return total


def orthogonality(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """Squared Frobenius norm of ``A_c^T B_c`` on L2-normalised, centred batches (MISA's difference loss)."""
    a = nn.functional.normalize(a - a.mean(0), dim=1)
    b = nn.functional.normalize(b - b.mean(0), dim=1)
    return (a.t() @ b).pow(2).mean()


class MISA(nn.Module):
    """Shared/private subspaces as an ``interaction``: streams ``{m}_shared`` and ``{m}_private`` (T = 1)."""

    term_names = ("sim", "diff", "recon")
    default_loss_weights = {"sim": 1.0, "diff": 0.3, "recon": 1.0}

    def __init__(self, in_dims: dict[str, int], dim: int = 128, dropout: float = 0.1) -> None:
        super().__init__()
        self.order = sorted(in_dims)
        self.proj = nn.ModuleDict({m: nn.Sequential(nn.Linear(d, dim), nn.ReLU(), nn.LayerNorm(dim))
                                   for m, d in in_dims.items()})
        self.shared = nn.Sequential(nn.Linear(dim, dim), nn.Sigmoid())
        self.private = nn.ModuleDict({m: nn.Sequential(nn.Linear(dim, dim), nn.Sigmoid()) for m in self.order})
        self.recon = nn.ModuleDict({m: nn.Linear(dim, dim) for m in self.order})
        self.drop = nn.Dropout(dropout)
        self.out_dims = {f"{m}_{kind}": dim for m in self.order for kind in ("shared", "private")}

    def forward(self, feats: dict[str, torch.Tensor], masks: dict[str, torch.Tensor]) -> PartOutput:
        u = {m: self.proj[m](masked_mean(feats[m], masks.get(m))) for m in self.order}
        shared = {m: self.shared(self.drop(u[m])) for m in self.order}
        private = {m: self.private[m](self.drop(u[m])) for m in self.order}
        pairs = list(itertools.combinations(self.order, 2))
        sim = sum((cmd(shared[a], shared[b]) for a, b in pairs), u[self.order[0]].new_zeros(())) / max(1, len(pairs))
        diff = sum(orthogonality(private[m], shared[m]) for m in self.order)
        diff = diff + sum((orthogonality(private[a], private[b]) for a, b in pairs), diff.new_zeros(()))
        recon = sum(((self.recon[m](shared[m] + private[m]) - u[m].detach()) ** 2).mean() for m in self.order) / len(self.order)
        streams = {}
        for m in self.order:
            streams[f"{m}_shared"] = shared[m].unsqueeze(1)
            streams[f"{m}_private"] = private[m].unsqueeze(1)
        masks_out = {k: torch.ones(v.shape[:2], dtype=torch.bool, device=v.device) for k, v in streams.items()}
        return PartOutput(streams, losses={"sim": sim, "diff": diff, "recon": recon}, masks=masks_out)


class TokenTransformerFusion(nn.Module):
    """MISA's fusion: each pooled stream is one token; a transformer mixes them; outputs are concatenated."""

    def __init__(self, in_dims: dict[str, int], dim: int = 128, heads: int = 2, layers: int = 2,
                 dropout: float = 0.1) -> None:
        super().__init__()
        self.order = sorted(in_dims)
        self.proj = nn.ModuleDict({s: nn.Linear(d, dim) if d != dim else nn.Identity() for s, d in in_dims.items()})
        self.encoder = nn.TransformerEncoder(nn.TransformerEncoderLayer(dim, heads, 4 * dim, dropout, batch_first=True),
                                             layers, enable_nested_tensor=False)
        self.out_dim = dim * len(self.order)

    def forward(self, feats: dict[str, torch.Tensor], masks: dict[str, torch.Tensor]) -> torch.Tensor:
        tokens = torch.stack([self.proj[s](masked_mean(feats[s], masks.get(s))) for s in self.order], dim=1)
        return self.encoder(tokens).flatten(1)
