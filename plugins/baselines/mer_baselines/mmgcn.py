"""MMGCN: Hu, Liu, Zhao, Jin. "MMGCN: Multimodal Fusion via Deep Graph Convolution Network for Emotion
Recognition in Conversation", ACL 2021.

One node per (utterance, modality). Edges join the nodes of one modality inside the same dialogue
and the nodes of the same utterance across modalities, weighted by angular similarity; nodes of
different dialogues are never connected. Speaker embeddings are added to the nodes, and a deep GCN
with initial residual and identity mapping (GCNII) propagates context. Needs whole-dialogue batches
(``data.batch_by: dialogue``).
"""

from __future__ import annotations

import math

import torch
from torch import nn

from mer_toolkit.data.sample import Batch
from mer_toolkit.parts import masked_mean

__all__ = ["MMGCN", "speaker_ids"]


def speaker_ids(batch: Batch) -> torch.Tensor:
    """Index of each utterance's speaker in the order speakers first appear in its dialogue."""
    seen: dict[tuple[int, str], int] = {}
    counts: dict[int, int] = {}
    out = []
    for d, s in zip(batch.dialogue_index.tolist(), batch.speakers):
        if (d, s) not in seen:
            seen[(d, s)] = counts.get(d, 0)
            counts[d] = seen[(d, s)] + 1
        out.append(seen[(d, s)])
    return torch.tensor(out, device=batch.dialogue_index.device)


class MMGCN(nn.Module):
    """Graph fusion over utterance-modality nodes of whole dialogues; returns ``[B, 2 * M * dim]``."""

    def __init__(self, in_dims: dict[str, int], dim: int = 128, layers: int = 4, alpha: float = 0.1,
                 lamda: float = 0.5, dropout: float = 0.2, max_speakers: int = 10) -> None:
        super().__init__()
        self.order = sorted(in_dims)
        self.proj = nn.ModuleDict({m: nn.Linear(d, dim) for m, d in in_dims.items()})
        self.speaker = nn.Embedding(max_speakers, dim)
        self.modality = nn.Embedding(len(self.order), dim)
        self.weights = nn.ModuleList(nn.Linear(dim, dim, bias=False) for _ in range(layers))
        self.alpha, self.lamda = alpha, lamda
        self.drop = nn.Dropout(dropout)
        self.max_speakers = max_speakers
        self.out_dim = 2 * dim * len(self.order)

    def adjacency(self, h: torch.Tensor, dialogue: torch.Tensor) -> torch.Tensor:
        """Normalised ``[N, N]`` adjacency over nodes ordered modality-major (N = M * B)."""
        b = dialogue.shape[0]
        m = len(self.order)
        mod = torch.arange(m, device=h.device).repeat_interleave(b)
        utt = torch.arange(b, device=h.device).repeat(m)
        dia = dialogue.repeat(m)
        intra = (mod.unsqueeze(0) == mod.unsqueeze(1)) & (dia.unsqueeze(0) == dia.unsqueeze(1))
        inter = utt.unsqueeze(0) == utt.unsqueeze(1)
        mask = intra | inter
        hn = nn.functional.normalize(h, dim=-1)
        cos = (hn @ hn.t()).clamp(-1 + 1e-6, 1 - 1e-6)
        weight = (1.0 - torch.arccos(cos) / math.pi) * mask
        deg = weight.sum(1).clamp_min(1e-6)
        return weight / deg.sqrt().unsqueeze(1) / deg.sqrt().unsqueeze(0)

    def forward(self, feats: dict[str, torch.Tensor], masks: dict[str, torch.Tensor], batch: Batch) -> torch.Tensor:
        spk = speaker_ids(batch).clamp(max=self.max_speakers - 1)
        nodes = [self.proj[m](masked_mean(feats[m], masks.get(m))) + self.speaker(spk) + self.modality.weight[k]
                 for k, m in enumerate(self.order)]
        h0 = torch.cat(nodes, dim=0)
        adj = self.adjacency(h0, batch.dialogue_index)
        h = h0
        for layer, w in enumerate(self.weights, start=1):
            beta = math.log(self.lamda / layer + 1)
            support = (1 - self.alpha) * (adj @ self.drop(h)) + self.alpha * h0
            h = torch.relu((1 - beta) * support + beta * w(support))
        b = batch.dialogue_index.shape[0]
        return torch.cat([torch.cat([h0[k * b:(k + 1) * b], h[k * b:(k + 1) * b]], -1) for k in range(len(self.order))], -1)
