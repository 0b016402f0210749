"""KF (DRKF, arXiv 2508.01644): the Fusion Encoder over ``[CLS] audio [SEP] text [SEP]`` and its ED task.

The Fusion Encoder (FE) is a randomly initialised BERT encoder over the raw encoder sequences of every
modality, built as the reference builds it (``BertModel(config)`` on ``inputs_embeds``): ``[CLS]`` and
``[SEP]`` are zero vectors, every token gets token type 0 and one continuous position, then LayerNorm and
dropout; post-norm layers whose only FFN dropout follows the output projection; every linear and
embedding weight of that body drawn from N(0, 0.02) with zero biases (BERT's init). One fix: a
key-padding mask keeps padded steps out of every attention, and positions count valid tokens only, so
an utterance's output does not depend on how much its batch pads it. The CLS output is the fused vector.

ED (Emotion Discrimination), as the reference trains it: the FE is also run on *mismatched* inputs,
the first modality (audio) of utterance i with the other modalities of utterance j ≠ i, and a 2-way
head on that CLS predicts whether y_i == y_j. The mismatched sequences join the matched batch in one
FE call. ``ed_pairs``: ``all`` builds every pair i ≠ j (B(B−1) sequences, the reference), an integer K
samples K partners per utterance.
"""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from mer_toolkit.api import Batch, PartOutput, RunError

__all__ = ["AttentionLayer", "FusionEmbeddings", "FusionEncoder", "bert_init", "mismatched_pairs", "pair_targets"]

MODALITY_ORDER = ("audio", "text", "video", "visual")
ED_WEIGHTING = ("none", "balanced")


def _modality_key(name: str) -> tuple[int, str]:
    return (MODALITY_ORDER.index(name) if name in MODALITY_ORDER else len(MODALITY_ORDER), name)


def mismatched_pairs(batch_size: int, pairs: int | str, device: torch.device | None = None,
                     generator: torch.Generator | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """Index vectors ``(i, j)`` with i ≠ j: every ordered pair (``'all'``) or K random partners per utterance."""
    if batch_size < 2:
        empty = torch.zeros(0, dtype=torch.long, device=device)
        return empty, empty
    if pairs == "all":
        i, j = torch.meshgrid(torch.arange(batch_size, device=device), torch.arange(batch_size, device=device),
                              indexing="ij")
        off = i != j
        return i[off], j[off]
    k = min(int(pairs), batch_size - 1)
    i = torch.arange(batch_size, device=device).repeat_interleave(k)
    # distinct non-zero offsets per utterance: a random permutation of 1..B-1, first K of them
    offsets = torch.argsort(torch.rand(batch_size, batch_size - 1, generator=generator), dim=1)[:, :k] + 1
    return i, (i + offsets.flatten().to(i.device)) % batch_size


def pair_targets(labels: torch.Tensor, i: torch.Tensor, j: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Which pairs are labelled on both sides, and their target (1 when y_i == y_j)."""
    keep = (labels[i] >= 0) & (labels[j] >= 0)
    return keep, (labels[i] == labels[j]).long()


class FusionEmbeddings(nn.Module):
    """BERT's embedding block on feature tokens: content + position + token type 0, LayerNorm, dropout.

    ``[CLS]`` and ``[SEP]`` enter as zero vectors (not learnable), as the reference builds them.
    """

    def __init__(self, dim: int, max_positions: int, dropout: float) -> None:
        super().__init__()
        self.position = nn.Embedding(max_positions, dim)
        self.token_type = nn.Embedding(1, dim)
        self.norm = nn.LayerNorm(dim, eps=1e-12)
        self.drop = nn.Dropout(dropout)

    def forward(self, segments: list[torch.Tensor], valid: torch.Tensor) -> torch.Tensor:
        """``[CLS] s1 [SEP] s2 [SEP] ...`` from projected segments ``[B, T_k, dim]``; ``valid`` ``[B, L]`` marks
        real tokens, whose positions run 0, 1, 2, ... over the whole sequence (padding takes none)."""
        b, dim = segments[0].shape[0], segments[0].shape[-1]
        marker = segments[0].new_zeros(b, 1, dim)
        parts = [marker]
        for x in segments:
            parts += [x, marker]
        pos = (valid.long().cumsum(dim=1) - 1).clamp_min(0)
        x = torch.cat(parts, dim=1) + self.position(pos) + self.token_type.weight[0]
        return self.drop(self.norm(x))


class AttentionLayer(nn.Module):
    """BERT's post-norm transformer layer (dropout after attention and after the FFN's output projection
    only) that can return its head-averaged attention map."""

    def __init__(self, dim: int, heads: int, ffn: int, dropout: float) -> None:
        super().__init__()
        self.attn = nn.MultiheadAttention(dim, heads, dropout=dropout, batch_first=True)
        self.ff = nn.Sequential(nn.Linear(dim, ffn), nn.GELU(), nn.Linear(ffn, dim))
        self.norm1, self.norm2 = nn.LayerNorm(dim, eps=1e-12), nn.LayerNorm(dim, eps=1e-12)
        self.drop = nn.Dropout(dropout)

    def forward(self, x: torch.Tensor, pad: torch.Tensor, want_weights: bool) -> tuple[torch.Tensor, torch.Tensor | None]:
        h, w = self.attn(x, x, x, key_padding_mask=pad, need_weights=want_weights, average_attn_weights=True)
        x = self.norm1(x + self.drop(h))
        return self.norm2(x + self.drop(self.ff(x))), w


def bert_init(module: nn.Module) -> None:
    """BERT's initialisation: linear, attention and embedding weights N(0, 0.02), biases 0, LayerNorm 1 and 0."""
    for m in module.modules():
        if isinstance(m, (nn.Linear, nn.Embedding)):
            nn.init.normal_(m.weight, std=0.02)
        if isinstance(m, nn.MultiheadAttention):
            nn.init.normal_(m.in_proj_weight, std=0.02)
            nn.init.zeros_(m.in_proj_bias)
        if isinstance(m, nn.LayerNorm):
            nn.init.ones_(m.weight)
        if isinstance(m, (nn.Linear, nn.LayerNorm)) and m.bias is not None:
            nn.init.zeros_(m.bias)


class FusionEncoder(nn.Module):
    """The DRKF Fusion Encoder as a ``fusion`` part (CLS vector ``[B, dim]``), with ED as its training task.

    ``ed``: train the ED task (needs two or more modalities); ``ed_weighting``: ``none`` (the
    reference's plain cross-entropy) or ``balanced`` (same-emotion pairs weighted by the ratio of
    different to same pairs in the batch).
    """

    default_loss_weights = {"ed": 0.2}

    def __init__(self, in_dims: dict[str, int], dim: int = 256, layers: int = 2, heads: int = 4,
                 ffn: int | None = None, dropout: float = 0.1, max_len: int = 512, ed: bool = True,
                 ed_pairs: int | str = 1, ed_weighting: str = "none") -> None:
        super().__init__()
        if dim % heads:
            raise ValueError(f"drkf.fusion_encoder: dim {dim} is not divisible by heads {heads}")
        if not (ed_pairs == "all" or (isinstance(ed_pairs, int) and not isinstance(ed_pairs, bool) and ed_pairs > 0)):
            raise ValueError(f"drkf.fusion_encoder: ed_pairs must be 'all' or a positive integer, got {ed_pairs!r}")
        if ed_weighting not in ED_WEIGHTING:
            raise ValueError(f"drkf.fusion_encoder: ed_weighting must be one of {list(ED_WEIGHTING)}, "
                             f"got {ed_weighting!r}")
        self.streams = sorted(in_dims, key=_modality_key)
        self.proj = nn.ModuleDict({s: nn.Linear(d, dim) if d != dim else nn.Identity() for s, d in in_dims.items()})
        # room for [CLS], every stream's max_len tokens and its [SEP]
        self.embeddings = FusionEmbeddings(dim, len(self.streams) * (max_len + 1) + 1, dropout)
        self.layers = nn.ModuleList(AttentionLayer(dim, heads, ffn or 4 * dim, dropout) for _ in range(layers))
        bert_init(self.embeddings)
        bert_init(self.layers)
        self.ed_head = nn.Linear(dim, 2) if ed and len(self.streams) > 1 else None
        self.term_names = ("ed",) if self.ed_head is not None else ()
        self.ed_pairs, self.ed_weighting = ed_pairs, ed_weighting
        self.max_len = max_len
        self.out_dim = dim

    def _load_from_state_dict(self, state_dict: dict[str, Any], prefix: str, *args: Any, **kwargs: Any) -> None:
        """Refuse, with a clear message, a checkpoint of the earlier layout (learnable CLS/SEP, segment ids)."""
        if f"{prefix}embeddings.segment.weight" in state_dict:
            raise RunError("this checkpoint holds a DRKF Fusion Encoder of the layout before mer-drkf 0.2 (learnable "
                           "[CLS]/[SEP], per-modality segment ids, positions restarting per segment), which mer-drkf "
                           "0.2 replaced by the reference's; retrain the model with this version of mer-drkf")
        super()._load_from_state_dict(state_dict, prefix, *args, **kwargs)

    def tokens(self, feats: dict[str, torch.Tensor], masks: dict[str, torch.Tensor]
               ) -> tuple[torch.Tensor, torch.Tensor, list[tuple[str, int, int]]]:
        """Embedded token sequence, its padding mask (True = padded) and each stream's token span."""
        segments, valid, spans, offset = [], [], [], 1
        for s in self.streams:
            x = self.proj[s](feats[s][:, : self.max_len])
            m = masks.get(s)
            m = m[:, : x.shape[1]] if m is not None else torch.ones(x.shape[:2], dtype=torch.bool, device=x.device)
            segments.append(x)
            valid += [m, torch.ones_like(m[:, :1])]
            spans.append((s, offset, offset + x.shape[1]))
            offset += x.shape[1] + 1
        valid = torch.cat([torch.ones_like(valid[0][:, :1]), *valid], dim=1)
        return self.embeddings(segments, valid), ~valid, spans

    def encode(self, feats: dict[str, torch.Tensor], masks: dict[str, torch.Tensor]
               ) -> tuple[torch.Tensor, torch.Tensor | None, list[tuple[str, int, int]]]:
        """CLS outputs, the last layer's CLS attention row (in evaluation mode; None in training) and the spans."""
        x, pad, spans = self.tokens(feats, masks)
        weights = None
        for k, layer in enumerate(self.layers):  # attention maps only for evaluation's modality_attention
            x, weights = layer(x, pad, want_weights=not self.training and k == len(self.layers) - 1)
        return x[:, 0], (weights[:, 0] if weights is not None else None), spans

    def mismatched(self, feats: dict[str, torch.Tensor], masks: dict[str, torch.Tensor], i: torch.Tensor,
                   j: torch.Tensor) -> tuple[dict[str, torch.Tensor], dict[str, torch.Tensor]]:
        """Inputs pairing the first stream (audio) of utterances ``i`` with the other streams of ``j``."""
        pick = {s: (i if k == 0 else j) for k, s in enumerate(self.streams)}
        out_masks = {s: masks[s][pick[s]] for s in self.streams if masks.get(s) is not None}
        return {s: feats[s][pick[s]] for s in self.streams}, out_masks

    def ed_loss(self, logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        """Cross-entropy of the same-emotion decision, optionally class-balanced within the batch."""
        weight = None
        if self.ed_weighting == "balanced":
            pos = target.sum().float()
            weight = torch.stack([torch.ones_like(pos), ((target.numel() - pos) / pos.clamp_min(1.0)).clamp(1.0, 100.0)])
        return F.cross_entropy(logits.float(), target, weight=weight)

    def forward(self, feats: dict[str, torch.Tensor], masks: dict[str, torch.Tensor],
                batch: Batch | None = None) -> PartOutput:
        b = feats[self.streams[0]].shape[0]
        losses: dict[str, torch.Tensor] = {}
        target = None
        if self.ed_head is not None and self.training and batch is not None:
            i, j = mismatched_pairs(b, self.ed_pairs, device=batch.labels.device)
            keep, target = pair_targets(batch.labels, i, j)
            i, j, target = i[keep], j[keep], target[keep]
            if i.numel():
                mf, mm = self.mismatched(feats, masks, i, j)
                feats = {s: torch.cat([feats[s], mf[s]]) for s in self.streams}
                masks = {s: torch.cat([masks[s], mm[s]]) for s in mm}
        cls, row, spans = self.encode(feats, masks)
        if cls.shape[0] > b:
            losses["ed"] = self.ed_loss(self.ed_head(cls[b:]), target)
        attention: dict[str, torch.Tensor] = {}
        if row is not None:
            attention = {s: row[:b, a:e].sum(-1) for s, a, e in spans}
            total = sum(attention.values()).clamp_min(1e-9)
            attention = {s: (v / total).detach() for s, v in attention.items()}
        return PartOutput(cls[:b], losses=losses, extras={"modality_attention": attention})
