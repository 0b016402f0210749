"""MISA: modality-invariant (shared) and modality-specific (private) subspaces.

Utterance vectors: text is averaged over its (transformer) token features; audio and video are read
by an sLSTM (two stacked bidirectional LSTMs with a layer norm between them, final states of both
concatenated). Each vector is projected, then split into a shared (modality-invariant) part by one
encoder common to all modalities and a private (modality-specific) part by a per-modality encoder.
Losses: CMD similarity between the shared parts, soft-orthogonality difference between private and
shared parts and between privates, reconstruction of the projected vector from shared + private.
A transformer over the 2M parts, concatenated, fuses them. Defaults: hidden 128, loss weights
sim 1.0, diff 0.3, recon 1.0, one transformer layer with 2 heads.
"""

from __future__ import annotations

import itertools

import torch
from torch import nn

from mer_toolkit.api import PartOutput, final_states, masked_mean, run_lstm


__all__ = ["cmd", "orthogonality", "StackedLSTM", "MISA", "TokenTransformerFusion"]


def cmd(x: torch.Tensor, y: torch.Tensor, moments: int = 5) -> torch.Tensor:
    """Central Moment Discrepancy between two batches of representations (Zellinger et al. 2017)."""
    mx, my = x.mean(0), y.mean(0)
    cx, cy = x - mx, y - my
    total = (mx - my).norm()
    for k in range(2, moments + 1):
        total = total + (cx.pow(k).mean(0) - cy.pow(k).mean(0)).norm()
    return total


def orthogonality(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """Mean squared entry of ``A^T B`` on centred, L2-normalised batches (MISA's difference loss)."""
    a = nn.functional.normalize(a - a.mean(0), dim=1)
    b = nn.functional.normalize(b - b.mean(0), dim=1)
    return (a.t() @ b).pow(2).mean()


class StackedLSTM(nn.Module):
    """MISA's sLSTM: BiLSTM → LayerNorm → BiLSTM; the final states of both layers are concatenated."""

    def __init__(self, in_dim: int, hidden: int) -> None:
        super().__init__()
        self.first = nn.LSTM(in_dim, hidden, batch_first=True, bidirectional=True)
        self.norm = nn.LayerNorm(2 * hidden)
        self.second = nn.LSTM(2 * hidden, hidden, batch_first=True, bidirectional=True)
        self.out_dim = 4 * hidden

    def forward(self, x: torch.Tensor, mask: torch.Tensor | None) -> torch.Tensor:
        out, h1 = run_lstm(self.first, x, mask)
        _, h2 = run_lstm(self.second, self.norm(out), mask)
        return torch.cat([final_states(self.first, h1), final_states(self.second, h2)], dim=-1)


class MISA(nn.Module):
    """MISA: shared/private subspaces as an ``interaction``: streams ``{m}_shared``, ``{m}_private`` (T = 1).

    Hazarika, Zimmermann, Poria (2020). "MISA: Modality-Invariant and -Specific Representations for
    Multimodal Sentiment Analysis". ACM Multimedia 2020. Aux losses ``sim``, ``diff``, ``recon``.

    ``recurrent`` names the modalities read by an sLSTM (hidden width ``rnn_hidden``, by default the
    input width as in the paper); the others are averaged over time.
    """

    term_names = ("sim", "diff", "recon")
    default_loss_weights = {"sim": 1.0, "diff": 0.3, "recon": 1.0}

    def __init__(self, in_dims: dict[str, int], dim: int = 128, recurrent: list[str] | None = None,
                 rnn_hidden: int | None = None) -> None:
        super().__init__()
        self.order = sorted(in_dims)
        recurrent = ["audio", "video", "visual"] if recurrent is None else list(recurrent)
        self.rnns = nn.ModuleDict({m: StackedLSTM(in_dims[m], rnn_hidden or in_dims[m])
                                   for m in self.order if m in recurrent})
        widths = {m: self.rnns[m].out_dim if m in self.rnns else in_dims[m] for m in self.order}
        self.proj = nn.ModuleDict({m: nn.Sequential(nn.Linear(widths[m], dim), nn.ReLU(), nn.LayerNorm(dim))
                                   for m in self.order})
        self.shared = nn.Sequential(nn.Linear(dim, dim), nn.Sigmoid())
        self.private = nn.ModuleDict({m: nn.Sequential(nn.Linear(dim, dim), nn.Sigmoid()) for m in self.order})
        self.recon = nn.ModuleDict({m: nn.Linear(dim, dim) for m in self.order})
        self.out_dims = {f"{m}_{kind}": dim for m in self.order for kind in ("shared", "private")}

    def utterance(self, m: str, x: torch.Tensor, mask: torch.Tensor | None) -> torch.Tensor:
        """Projected utterance vector of modality ``m``."""
        return self.proj[m](self.rnns[m](x, mask) if m in self.rnns else masked_mean(x, mask))

    def forward(self, feats: dict[str, torch.Tensor], masks: dict[str, torch.Tensor]) -> PartOutput:
        u = {m: self.utterance(m, feats[m], masks.get(m)) for m in self.order}
        shared = {m: self.shared(u[m]) for m in self.order}
        private = {m: self.private[m](u[m]) for m in self.order}
        pairs = list(itertools.combinations(self.order, 2))
        zero = u[self.order[0]].new_zeros(())
        sim = sum((cmd(shared[a], shared[b]) for a, b in pairs), zero) / max(1, len(pairs))
        diff = sum((orthogonality(private[m], shared[m]) for m in self.order), zero)
        diff = diff + sum((orthogonality(private[a], private[b]) for a, b in pairs), zero)
        recon = sum(((self.recon[m](shared[m] + private[m]) - u[m]) ** 2).mean() for m in self.order) / len(self.order)
        streams = {}
        for m in self.order:
            streams[f"{m}_shared"] = shared[m].unsqueeze(1)
            streams[f"{m}_private"] = private[m].unsqueeze(1)
        masks_out = {k: torch.ones(v.shape[:2], dtype=torch.bool, device=v.device) for k, v in streams.items()}
        return PartOutput(streams, losses={"sim": sim, "diff": diff, "recon": recon}, masks=masks_out)


class TokenTransformerFusion(nn.Module):
    """MISA's fusion: each pooled stream is one token; a transformer mixes them; outputs are concatenated."""

    def __init__(self, in_dims: dict[str, int], dim: int = 128, heads: int = 2, layers: int = 1,
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
