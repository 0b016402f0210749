"""MMGCN: a deep graph convolution network over whole dialogues, one node per utterance and modality.

Text utterance vectors are read in dialogue order by a 2-layer bidirectional LSTM and receive a
speaker embedding (every modality does when none is read in context); audio and video vectors are
projected by a linear layer. Edges join the nodes of one modality inside the same dialogue and the
nodes of the same utterance across modalities (scaled by ``gamma``), weighted by the angular
similarity ``1 - arccos(cos) / pi`` and normalised as ``D^-1/2 A D^-1/2``; nodes of different
dialogues are never connected. A deep GCN with initial residual and identity mapping (GCNII)
propagates context, and each utterance's initial and final node vectors of every modality are
concatenated. Defaults: width 200, 4 layers, alpha 0.1, lambda 0.5, dropout 0.4.
"""

from __future__ import annotations

import math

import torch
from torch import nn

from mer_toolkit.api import Batch, DialogueLayout, masked_mean, run_lstm


__all__ = ["MMGCN", "speaker_ids", "angular_adjacency"]


def speaker_ids(batch: Batch) -> torch.Tensor:
    """Index of each utterance's speaker in the order speakers first talk in its dialogue."""
    dia, pos = batch.dialogue_index.tolist(), batch.positions.tolist()
    seen: dict[tuple[int, str], int] = {}
    counts: dict[int, int] = {}
    for i in sorted(range(len(dia)), key=lambda i: (dia[i], pos[i])):
        key = (dia[i], batch.speakers[i])
        if key not in seen:
            seen[key] = counts.get(dia[i], 0)
            counts[dia[i]] = seen[key] + 1
    return torch.tensor([seen[(d, s)] for d, s in zip(dia, batch.speakers)], dtype=torch.long,
                        device=batch.dialogue_index.device)


def angular_adjacency(h: torch.Tensor, dialogue: torch.Tensor, modalities: int, gamma: float = 1.0) -> torch.Tensor:
    """Normalised ``[N, N]`` adjacency over nodes ordered modality-major (``N = modalities * B``)."""
    b = dialogue.shape[0]
    mod = torch.arange(modalities, device=h.device).repeat_interleave(b)
    utt = torch.arange(b, device=h.device).repeat(modalities)
    dia = dialogue.repeat(modalities)
    same_mod = mod.unsqueeze(0) == mod.unsqueeze(1)
    intra = same_mod & (dia.unsqueeze(0) == dia.unsqueeze(1))
    inter = ~same_mod & (utt.unsqueeze(0) == utt.unsqueeze(1))
    hn = nn.functional.normalize(h, dim=-1)
    sim = 1.0 - torch.arccos((hn @ hn.t()).clamp(-1 + 1e-6, 1 - 1e-6)) / math.pi
    weight = sim * (intra.to(h.dtype) + gamma * inter.to(h.dtype))
    deg = weight.sum(1).clamp_min(1e-8).rsqrt()
    return deg.unsqueeze(1) * weight * deg.unsqueeze(0)


class MMGCN(nn.Module):
    """MMGCN: graph fusion over utterance-modality nodes of whole dialogues; returns ``[B, 2 * M * dim]``.

    Hu, Liu, Zhao, Jin (2021). "MMGCN: Multimodal Fusion via Deep Graph Convolution Network for
    Emotion Recognition in Conversation". ACL-IJCNLP 2021. Needs ``data.batch_by: dialogue``.
    """

    def __init__(self, in_dims: dict[str, int], dim: int = 200, layers: int = 4, alpha: float = 0.1,
                 lamda: float = 0.5, gamma: float = 1.0, context: list[str] | None = None, dropout: float = 0.4,
                 max_speakers: int = 10) -> None:
        super().__init__()
        if dim % 2:
            raise ValueError(f"MMGCN dim must be even (the context BiLSTM has dim / 2 units per direction), got {dim}")
        self.order = sorted(in_dims)
        context = ["text"] if context is None else list(context)
        self.proj = nn.ModuleDict({m: nn.Linear(d, dim) for m, d in in_dims.items()})
        self.context = nn.ModuleDict({m: nn.LSTM(dim, dim // 2, num_layers=2, batch_first=True, bidirectional=True,
                                                 dropout=dropout) for m in self.order if m in context})
        self.speaker = nn.Embedding(max_speakers, dim)
        self.weights = nn.ModuleList(nn.Linear(dim, dim, bias=False) for _ in range(layers))
        self.alpha, self.lamda, self.gamma = alpha, lamda, gamma
        self.drop = nn.Dropout(dropout)
        self.max_speakers = max_speakers
        self.out_dim = 2 * dim * len(self.order)

    def nodes(self, feats: dict[str, torch.Tensor], masks: dict[str, torch.Tensor], batch: Batch) -> torch.Tensor:
        """Initial node vectors ``[M * B, dim]``: projected (and, for context modalities, dialogue-read) features."""
        layout = DialogueLayout(batch)
        spk = self.speaker(speaker_ids(batch).clamp(max=self.max_speakers - 1))
        with_speaker = set(self.context) or set(self.order)
        out = []
        for m in self.order:
            x = self.proj[m](masked_mean(feats[m], masks.get(m)))
            if m in self.context:
                seq, seq_mask = layout.pad(x)
                x = layout.unpad(run_lstm(self.context[m], seq, seq_mask)[0])
            out.append(x + spk if m in with_speaker else x)
        return torch.cat(out, dim=0)

    def forward(self, feats: dict[str, torch.Tensor], masks: dict[str, torch.Tensor], batch: Batch) -> torch.Tensor:
        h0 = self.nodes(feats, masks, batch)
        adj = angular_adjacency(h0, batch.dialogue_index, len(self.order), self.gamma)
        h = h0
        for layer, w in enumerate(self.weights, start=1):
            beta = math.log(self.lamda / layer + 1)
            support = (1 - self.alpha) * (adj @ self.drop(h)) + self.alpha * h0
            h = torch.relu((1 - beta) * support + beta * w(support))
        return torch.cat([torch.cat(pair, dim=-1) for pair in zip(h0.chunk(len(self.order)), h.chunk(len(self.order)))],
                         dim=-1)
