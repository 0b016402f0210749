"""TFN and LMF: multiplicative fusion of per-modality vectors extended with a constant 1.

TFN builds the outer product of the ``[z_m; 1]`` vectors and feeds it to a post-fusion MLP; LMF
computes the same multilinear map through rank-r modality-specific factors, whose output is the
prediction itself. Both share TFN's modality embedding subnetworks: an LSTM over the word sequence for text, a
3-layer ReLU network on time-averaged features for audio and video.
"""

from __future__ import annotations

import torch
from torch import nn

from mer_toolkit.api import final_states, masked_mean, mlp, run_lstm


__all__ = ["ModalitySubnets", "TensorFusion", "LowRankFusion"]

# Embedding widths of the TFN paper: 128 for language, 32 for the acoustic and visual subnetworks.
PAPER_HIDDEN = {"text": 128, "audio": 32, "video": 32, "visual": 32}


class ModalitySubnets(nn.Module):
    """TFN's embedding subnetworks; returns ``[z_m; 1]`` per modality in a fixed (sorted) order.

    Modalities in ``recurrent`` are read by an LSTM whose final state goes through a linear layer;
    the others are averaged over time and passed through three ReLU layers of the same width.
    """

    def __init__(self, in_dims: dict[str, int], hidden: dict[str, int] | None = None,
                 recurrent: list[str] | None = None, dropout: float = 0.15) -> None:
        super().__init__()
        self.order = sorted(in_dims)
        self.sizes = {m: (hidden or {}).get(m, PAPER_HIDDEN.get(m, 32)) for m in self.order}
        recurrent = ["text"] if recurrent is None else list(recurrent)
        self.lstms = nn.ModuleDict({m: nn.LSTM(in_dims[m], self.sizes[m], batch_first=True)
                                    for m in self.order if m in recurrent})
        self.nets = nn.ModuleDict({
            m: nn.Sequential(nn.Dropout(dropout), nn.Linear(self.sizes[m], self.sizes[m])) if m in self.lstms
            else mlp(in_dims[m], [self.sizes[m]] * 3, None, dropout) for m in self.order})

    def forward(self, feats: dict[str, torch.Tensor], masks: dict[str, torch.Tensor]) -> list[torch.Tensor]:
        out = []
        for m in self.order:
            if m in self.lstms:
                _, h_n = run_lstm(self.lstms[m], feats[m], masks.get(m))
                z = self.nets[m](final_states(self.lstms[m], h_n))
            else:
                z = self.nets[m](masked_mean(feats[m], masks.get(m)))
            out.append(torch.cat([z, z.new_ones(z.shape[0], 1)], dim=-1))
        return out


class TensorFusion(nn.Module):
    """TFN: outer product of the modality vectors, each extended with a 1 (uni-, bi-, tri-modal terms) → MLP.

    Zadeh, Chen, Poria, Cambria, Morency (2017). "Tensor Fusion Network for Multimodal Sentiment
    Analysis". EMNLP 2017. Defaults: embeddings 128 (text) / 32, two post-fusion layers of 128.
    """

    def __init__(self, in_dims: dict[str, int], hidden: dict[str, int] | None = None,
                 recurrent: list[str] | None = None, post_fusion: int = 128, dropout: float = 0.15) -> None:
        super().__init__()
        self.subnets = ModalitySubnets(in_dims, hidden, recurrent, dropout)
        size = 1
        for m in self.subnets.order:
            size *= self.subnets.sizes[m] + 1
        self.post = nn.Sequential(nn.Dropout(dropout), mlp(size, [post_fusion, post_fusion], None, dropout))
        self.out_dim = post_fusion

    def forward(self, feats: dict[str, torch.Tensor], masks: dict[str, torch.Tensor]) -> torch.Tensor:
        zs = self.subnets(feats, masks)
        t = zs[0]
        for z in zs[1:]:
            t = torch.einsum("bi,bj->bij", t, z).flatten(1)
        return self.post(t)


class LowRankFusion(nn.Module):
    """LMF: TFN's multilinear map through rank-r modality factors; ``out_dim`` defaults to the class count.

    Computes ``sum_r w_r * prod_m (z1_m @ W_m^(r)) + b`` with ``z1_m`` the modality vector extended with a 1.

    Liu, Shen, Lakshminarasimhan, Liang, Zadeh, Morency (2018). "Efficient Low-rank Multimodal
    Fusion with Modality-Specific Factors". ACL 2018. Default rank 4.
    """

    def __init__(self, in_dims: dict[str, int], num_classes: int, hidden: dict[str, int] | None = None,
                 recurrent: list[str] | None = None, rank: int = 4, out_dim: int | None = None,
                 dropout: float = 0.15) -> None:
        super().__init__()
        self.subnets = ModalitySubnets(in_dims, hidden, recurrent, dropout)
        self.out_dim = out_dim or num_classes
        self.factors = nn.ParameterList(nn.Parameter(nn.init.xavier_normal_(
            torch.empty(rank, self.subnets.sizes[m] + 1, self.out_dim))) for m in self.subnets.order)
        self.rank_weights = nn.Parameter(nn.init.xavier_normal_(torch.empty(1, rank)))
        self.bias = nn.Parameter(torch.zeros(self.out_dim))

    def forward(self, feats: dict[str, torch.Tensor], masks: dict[str, torch.Tensor]) -> torch.Tensor:
        prod = None
        for z, f in zip(self.subnets(feats, masks), self.factors):
            proj = torch.einsum("bi,rio->rbo", z, f)
            prod = proj if prod is None else prod * proj
        return torch.einsum("r,rbo->bo", self.rank_weights[0], prod) + self.bias
