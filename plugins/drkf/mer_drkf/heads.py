"""KF's heads (DRKF, arXiv 2508.01644): EC classifies emotions from the fused CLS vector; ED decides
for every pair of utterances in the batch whether they carry the same emotion, so the fused vector
keeps cues that separate look-alike inputs (e.g. text and audio that disagree)."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from mer_toolkit.components.heads import LinearHead
from mer_toolkit.data.sample import Batch
from mer_toolkit.parts import PartOutput

__all__ = ["EmotionClassifier", "EmotionDiscriminator", "pair_logits_loop"]


class EmotionClassifier(LinearHead):
    """EC: dropout and a linear layer on the fused CLS representation."""


class EmotionDiscriminator(nn.Module):
    """ED: binary same-emotion logit for all pairs i≠j, computed at once on ``[B, B]`` (no pair loop).

    Pair features are ``[h_i, h_j, |h_i − h_j|, h_i ⊙ h_j]``; the first layer is split so the two
    per-utterance parts are computed once per utterance and broadcast. ``pos_weight``: ``balanced``
    weighs positives by negatives/positives in the batch, a number fixes it, ``none`` disables it.
    """

    term_names = ("bce",)
    default_loss_weights = {"bce": 0.2}

    def __init__(self, in_dim: int, hidden: int = 128, dropout: float = 0.1, pos_weight: str | float = "balanced") -> None:
        super().__init__()
        if not (pos_weight in ("balanced", "none") or isinstance(pos_weight, (int, float))):
            raise ValueError(f"drkf.ed pos_weight must be 'balanced', 'none' or a number, got {pos_weight!r}")
        self.left = nn.Linear(in_dim, hidden)
        self.right = nn.Linear(in_dim, hidden, bias=False)
        self.diff = nn.Linear(in_dim, hidden, bias=False)
        self.prod = nn.Linear(in_dim, hidden, bias=False)
        self.out = nn.Sequential(nn.GELU(), nn.Dropout(dropout), nn.Linear(hidden, 1))
        self.pos_weight = pos_weight

    def pair_logits(self, h: torch.Tensor) -> torch.Tensor:
        """``[B, B]`` logits; entry (i, j) scores "utterances i and j share an emotion"."""
        pre = (self.left(h).unsqueeze(1) + self.right(h).unsqueeze(0)
               + self.diff((h.unsqueeze(1) - h.unsqueeze(0)).abs()) + self.prod(h.unsqueeze(1) * h.unsqueeze(0)))
        return self.out(pre).squeeze(-1)

    def loss(self, logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        """Mean BCE over labelled pairs i≠j (targets from ``labels``)."""
        b = labels.shape[0]
        keep = (labels.unsqueeze(1) >= 0) & (labels.unsqueeze(0) >= 0) & ~torch.eye(b, dtype=torch.bool,
                                                                                     device=labels.device)
        if not keep.any():
            return logits.new_zeros(())
        target = (labels.unsqueeze(1) == labels.unsqueeze(0)).float()[keep]
        pw = None
        if self.pos_weight == "balanced":
            pos = target.sum()
            pw = ((target.numel() - pos) / pos.clamp_min(1.0)).clamp(max=100.0)
        elif isinstance(self.pos_weight, (int, float)):
            pw = torch.tensor(float(self.pos_weight), device=logits.device)
        return F.binary_cross_entropy_with_logits(logits[keep].float(), target, pos_weight=pw)

    def forward(self, fused: torch.Tensor, batch: Batch | None = None) -> PartOutput:
        logits = self.pair_logits(fused)
        losses = {}
        if batch is not None and self.training:
            losses["bce"] = self.loss(logits, batch.labels)
        return PartOutput(logits, losses=losses)


def pair_logits_loop(head: EmotionDiscriminator, h: torch.Tensor) -> torch.Tensor:
    """Reference pair-by-pair computation (for tests and the speed benchmark only)."""
    b = h.shape[0]
    out = h.new_zeros(b, b)
    for i in range(b):
        for j in range(b):
            pre = (head.left(h[i]) + head.right(h[j]) + head.diff((h[i] - h[j]).abs()) + head.prod(h[i] * h[j]))
            out[i, j] = head.out(pre).squeeze(-1)
    return out
