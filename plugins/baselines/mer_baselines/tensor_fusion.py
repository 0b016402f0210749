"""TFN and LMF: multiplicative fusion of per-modality vectors extended with a constant 1.

- TFN: Zadeh, Chen, Poria, Cambria, Morency. "Tensor Fusion Network for Multimodal Sentiment
  Analysis", EMNLP 2017 — outer product of [z_m; 1] over modalities, then a post-fusion MLP.
- LMF: Liu, Shen, Lakshminarasimhan, Liang, Zadeh, Morency. "Efficient Low-rank Multimodal Fusion
  with Modality-Specific Factors", ACL 2018 — the same tensor computed through rank-r factors.
"""

from __future__ import annotations

import torch
from torch import nn

from mer_toolkit.components.adapters import mlp
from mer_toolkit.parts import masked_mean

__all__ = ["TensorFusion", "LowRankFusion"]

# Subnetwork widths of the TFN paper (text 128, audio and video 32).
PAPER_SUBNET = {"text": 128, "audio": 32, "video": 32, "visual": 32}


class _Subnets(nn.Module):
    """Per-modality subnetworks: masked mean over time, then a 2-layer MLP (TFN's audio/video DNNs)."""

    def __init__(self, in_dims: dict[str, int], hidden: dict[str, int] | None, dropout: float) -> None:
        super().__init__()
        sizes = {m: (hidden or {}).get(m, PAPER_SUBNET.get(m, 32)) for m in in_dims}
        self.order = sorted(in_dims)
        self.nets = nn.ModuleDict({m: mlp(d, [sizes[m]], sizes[m], dropout) for m, d in in_dims.items()})
        self.sizes = sizes

    def forward(self, feats: dict[str, torch.Tensor], masks: dict[str, torch.Tensor]) -> list[torch.Tensor]:
        """``[z_m; 1]`` per modality, in a fixed order."""
        out = []
        for m in self.order:
            z = self.nets[m](masked_mean(feats[m], masks.get(m)))
            out.append(torch.cat([z, z.new_ones(z.shape[0], 1)], dim=-1))
        return out


class TensorFusion(nn.Module):
    """TFN: flattened outer product of ``[z_m; 1]`` (all uni-, bi- and tri-modal interactions) → MLP."""

    def __init__(self, in_dims: dict[str, int], hidden: dict[str, int] | None = None, post_fusion: int = 128,
                 dropout: float = 0.15) -> None:
        super().__init__()
        self.subnets = _Subnets(in_dims, hidden, dropout)
        size = 1
        for m in self.subnets.order:
            size *= self.subnets.sizes[m] + 1
        self.post = mlp(size, [post_fusion, post_fusion], None, dropout)
        self.out_dim = post_fusion

    def forward(self, feats: dict[str, torch.Tensor], masks: dict[str, torch.Tensor]) -> torch.Tensor:
        zs = self.subnets(feats, masks)
        t = zs[0]
        for z in zs[1:]:
            t = torch.einsum("bi,bj->bij", t, z).flatten(1)
        return self.post(t)


class LowRankFusion(nn.Module):
    """LMF: ``sum_r w_r * prod_m ([z_m; 1] W_m^(r)) + b`` — TFN's tensor without building it."""

    def __init__(self, in_dims: dict[str, int], hidden: dict[str, int] | None = None, rank: int = 4,
                 out_dim: int = 64, dropout: float = 0.15) -> None:
        super().__init__()
        self.subnets = _Subnets(in_dims, hidden, dropout)
        self.factors = nn.ParameterList(
            nn.Parameter(torch.empty(rank, self.subnets.sizes[m] + 1, out_dim)) for m in self.subnets.order)
        for f in self.factors:
            nn.init.xavier_normal_(f)
        self.rank_weights = nn.Parameter(torch.empty(1, rank))
        nn.init.xavier_normal_(self.rank_weights)
        self.bias = nn.Parameter(torch.zeros(out_dim))
        self.out_dim = out_dim

    def forward(self, feats: dict[str, torch.Tensor], masks: dict[str, torch.Tensor]) -> torch.Tensor:
        prod = None
        for z, f in zip(self.subnets(feats, masks), self.factors):
            proj = torch.einsum("bi,rio->rbo", z, f)
            prod = proj if prod is None else prod * proj
        return torch.einsum("r,rbo->bo", self.rank_weights[0], prod) + self.bias
