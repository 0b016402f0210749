"""MulT: crossmodal transformers between every ordered pair of modalities.

Each modality is projected by a temporal 1-D convolution (padded steps zeroed first); for every
target modality, one crossmodal transformer per source lets the target attend to the source
sequence (key-padding masks respected); the crossmodal outputs of a target are concatenated and
passed through a 3-layer self-attention transformer; the last valid step of every target is
concatenated into the fused vector. Paper defaults: width 40, crossmodal depth 4–5, 8–10 heads,
dropout 0.1–0.25.
"""

from __future__ import annotations

import itertools

import torch
from torch import nn

__all__ = ["CrossmodalLayer", "MulT"]


class CrossmodalLayer(nn.Module):
    """Pre-norm attention of a target sequence over a source sequence, then a feed-forward block."""

    def __init__(self, dim: int, heads: int, dropout: float) -> None:
        super().__init__()
        self.norm_q, self.norm_kv, self.norm_ff = nn.LayerNorm(dim), nn.LayerNorm(dim), nn.LayerNorm(dim)
        self.attn = nn.MultiheadAttention(dim, heads, dropout=dropout, batch_first=True)
        self.ff = nn.Sequential(nn.Linear(dim, 4 * dim), nn.ReLU(), nn.Dropout(dropout), nn.Linear(4 * dim, dim))
        self.drop = nn.Dropout(dropout)

    def forward(self, x: torch.Tensor, src: torch.Tensor, src_pad: torch.Tensor) -> torch.Tensor:
        kv = self.norm_kv(src)
        h, _ = self.attn(self.norm_q(x), kv, kv, key_padding_mask=src_pad, need_weights=False)
        x = x + self.drop(h)
        return x + self.drop(self.ff(self.norm_ff(x)))


def _positions(t: int, dim: int, device: torch.device) -> torch.Tensor:
    """Sinusoidal positions ``[t, dim]`` (as in the original transformer)."""
    pos = torch.arange(t, device=device, dtype=torch.float).unsqueeze(1)
    freq = torch.exp(torch.arange(0, dim, 2, device=device, dtype=torch.float) * (-torch.log(torch.tensor(1e4)) / dim))
    pe = torch.zeros(t, dim, device=device)
    pe[:, 0::2] = torch.sin(pos * freq)
    pe[:, 1::2] = torch.cos(pos * freq[: dim // 2])
    return pe


def _last_valid(x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    idx = (mask.long().sum(1) - 1).clamp_min(0)
    return x[torch.arange(x.shape[0], device=x.device), idx]


class MulT(nn.Module):
    """MulT: crossmodal transformers in every direction, self-attention per target, last steps concatenated.

    Tsai, Bai, Liang, Kolter, Morency, Salakhutdinov (2019). "Multimodal Transformer for Unaligned
    Multimodal Language Sequences". ACL 2019.
    """

    def __init__(self, in_dims: dict[str, int], dim: int = 40, heads: int = 8, layers: int = 4,
                 self_layers: int = 3, kernel: int = 1, dropout: float = 0.1) -> None:
        super().__init__()
        if len(in_dims) < 2:
            raise ValueError(f"MulT needs at least two modalities, got {sorted(in_dims)}")
        if kernel % 2 == 0:
            raise ValueError(f"MulT kernel must be odd so that sequence lengths are kept, got {kernel}")
        self.order = sorted(in_dims)
        self.dim = dim
        self.conv = nn.ModuleDict({m: nn.Conv1d(d, dim, kernel, padding=(kernel - 1) // 2, bias=False)
                                   for m, d in in_dims.items()})
        self.cross = nn.ModuleDict({f"{s}->{t}": nn.ModuleList(CrossmodalLayer(dim, heads, dropout)
                                                                for _ in range(layers))
                                    for s, t in itertools.permutations(self.order, 2)})
        self.cross_norm = nn.ModuleDict({f"{s}->{t}": nn.LayerNorm(dim)
                                         for s, t in itertools.permutations(self.order, 2)})
        self.drop = nn.Dropout(dropout)
        width = dim * (len(self.order) - 1)
        self.self_attn = nn.ModuleDict({t: nn.TransformerEncoder(
            nn.TransformerEncoderLayer(width, heads, 4 * width, dropout, batch_first=True, norm_first=True),
            self_layers, norm=nn.LayerNorm(width), enable_nested_tensor=False) for t in self.order})
        self.out_dim = width * len(self.order)

    def forward(self, feats: dict[str, torch.Tensor], masks: dict[str, torch.Tensor]) -> torch.Tensor:
        seqs, pads = {}, {}
        for m in self.order:
            valid = masks[m] if m in masks else torch.ones(feats[m].shape[:2], dtype=torch.bool,
                                                           device=feats[m].device)
            x = self.conv[m](feats[m].masked_fill(~valid.unsqueeze(-1), 0.0).transpose(1, 2)).transpose(1, 2)
            seqs[m] = self.drop(x * self.dim ** 0.5 + _positions(x.shape[1], self.dim, x.device))
            pads[m] = ~valid
        outs = []
        for t in self.order:
            streams = []
            for s in self.order:
                if s == t:
                    continue
                h = seqs[t]
                for layer in self.cross[f"{s}->{t}"]:
                    h = layer(h, seqs[s], pads[s])
                streams.append(self.cross_norm[f"{s}->{t}"](h))
            h = self.self_attn[t](torch.cat(streams, dim=-1), src_key_padding_mask=pads[t])
            outs.append(_last_valid(h, ~pads[t]))
        return torch.cat(outs, dim=-1)
