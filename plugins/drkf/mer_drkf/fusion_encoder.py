"""KF's Fusion Encoder (DRKF, arXiv 2508.01644): self-attention over ``[CLS] audio [SEP] text [SEP]``.

Every stream from ORL (shared and specific, per modality) becomes a token segment with its own
segment embedding and positions; a key-padding mask keeps padded steps out of every attention. The
CLS output is the fused representation. The share of CLS attention each modality receives in the
last layer is returned as ``modality_attention`` (the "dominant modality" signal). The reference
uses a randomly initialised 6-layer, 1024-wide, 8-head BERT; the defaults here are lighter for
frozen features and every size is configurable.
"""

from __future__ import annotations

import torch
from torch import nn

from mer_toolkit.parts import PartOutput

__all__ = ["AttentionLayer", "FusionEncoder"]

MODALITY_ORDER = ("audio", "text", "video", "visual")


def _stream_key(name: str) -> tuple[int, str]:
    base = name.split("_", 1)[0]
    return (MODALITY_ORDER.index(base) if base in MODALITY_ORDER else len(MODALITY_ORDER), name)


class AttentionLayer(nn.Module):
    """Post-norm transformer layer (as in BERT) that can return its head-averaged attention map."""

    def __init__(self, dim: int, heads: int, ffn: int, dropout: float) -> None:
        super().__init__()
        self.attn = nn.MultiheadAttention(dim, heads, dropout=dropout, batch_first=True)
        self.ff = nn.Sequential(nn.Linear(dim, ffn), nn.GELU(), nn.Dropout(dropout), nn.Linear(ffn, dim))
        self.norm1, self.norm2 = nn.LayerNorm(dim), nn.LayerNorm(dim)
        self.drop = nn.Dropout(dropout)

    def forward(self, x: torch.Tensor, pad: torch.Tensor, want_weights: bool) -> tuple[torch.Tensor, torch.Tensor | None]:
        h, w = self.attn(x, x, x, key_padding_mask=pad, need_weights=want_weights, average_attn_weights=True)
        x = self.norm1(x + self.drop(h))
        return self.norm2(x + self.drop(self.ff(x))), w


class FusionEncoder(nn.Module):
    """The DRKF Fusion Encoder as a ``fusion`` part; returns the CLS vector ``[B, dim]``."""

    def __init__(self, in_dims: dict[str, int], dim: int = 256, layers: int = 2, heads: int = 4,
                 ffn: int | None = None, dropout: float = 0.1, max_len: int = 512) -> None:
        super().__init__()
        if dim % heads:
            raise ValueError(f"drkf.fusion_encoder: dim {dim} is not divisible by heads {heads}")
        self.streams = sorted(in_dims, key=_stream_key)
        self.proj = nn.ModuleDict({s: nn.Linear(d, dim) if d != dim else nn.Identity() for s, d in in_dims.items()})
        self.cls = nn.Parameter(torch.randn(1, 1, dim) * 0.02)
        self.sep = nn.Parameter(torch.randn(1, 1, dim) * 0.02)
        self.segment = nn.Embedding(len(self.streams) + 1, dim)
        self.position = nn.Embedding(max_len + 1, dim)
        self.layers = nn.ModuleList(AttentionLayer(dim, heads, ffn or 4 * dim, dropout) for _ in range(layers))
        self.norm = nn.LayerNorm(dim)
        self.max_len = max_len
        self.out_dim = dim

    def tokens(self, feats: dict[str, torch.Tensor], masks: dict[str, torch.Tensor]
               ) -> tuple[torch.Tensor, torch.Tensor, list[tuple[str, int, int]]]:
        """Token sequence ``[CLS] s1 [SEP] s2 [SEP] ...``, its padding mask and each stream's span."""
        first = feats[self.streams[0]]
        b, device = first.shape[0], first.device
        parts = [self.cls.expand(b, 1, -1) + self.segment.weight[0]]
        valid = [torch.ones(b, 1, dtype=torch.bool, device=device)]
        spans, offset = [], 1
        for k, s in enumerate(self.streams, start=1):
            x = self.proj[s](feats[s])[:, : self.max_len]
            t = x.shape[1]
            pos = self.position(torch.arange(t, device=device))
            x = x + pos + self.segment.weight[k]
            m = masks.get(s)
            m = m[:, :t] if m is not None else torch.ones(b, t, dtype=torch.bool, device=device)
            parts += [x, self.sep.expand(b, 1, -1) + self.segment.weight[k]]
            valid += [m, torch.ones(b, 1, dtype=torch.bool, device=device)]
            spans.append((s, offset, offset + t))
            offset += t + 1
        return torch.cat(parts, dim=1), ~torch.cat(valid, dim=1), spans

    def forward(self, feats: dict[str, torch.Tensor], masks: dict[str, torch.Tensor]) -> PartOutput:
        x, pad, spans = self.tokens(feats, masks)
        weights = None
        for i, layer in enumerate(self.layers):
            x, weights = layer(x, pad, want_weights=i == len(self.layers) - 1)
        cls = self.norm(x[:, 0])
        attention: dict[str, torch.Tensor] = {}
        if weights is not None:
            row = weights[:, 0]  # CLS attending to every token [B, L]
            for s, a, b in spans:
                base = s.split("_", 1)[0]
                attention[base] = attention.get(base, 0) + row[:, a:b].sum(-1)
            total = sum(attention.values())
            attention = {k: (v / total.clamp_min(1e-9)).detach() for k, v in attention.items()}
        return PartOutput(cls, extras={"modality_attention": attention})
