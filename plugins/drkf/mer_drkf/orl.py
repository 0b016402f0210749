"""ORL — Optimized Representation Learning (DRKF, arXiv 2508.01644, section "ORL").

Per modality a stack of residual auto-encoder blocks turns the input into progressively augmented
views (each block refines the previous view). Two projections decouple every modality into a
*shared* stream, pulled together across modalities by inter-modal NT-Xent, and a *specific* stream,
trained by intra-modal NT-Xent between the raw and the augmented view of the same utterance.
A reconstruction MSE keeps the augmented view near its input and a Gaussian KL term regularises
each block's bottleneck (closed form, one term per modality).
"""

from __future__ import annotations

import itertools
import math

import torch
from pytorch_metric_learning.losses import NTXentLoss, SelfSupervisedLoss
from torch import nn

from mer_toolkit.parts import PartOutput, masked_mean

__all__ = ["ResidualAEBlock", "ORL", "LearnableNTXent"]


class ResidualAEBlock(nn.Module):
    """``x + dec(z)`` with a variational bottleneck ``z ~ N(mu, sigma)`` (paper dims 1024→256→128→64)."""

    def __init__(self, dim: int, hidden: list[int], dropout: float = 0.1) -> None:
        super().__init__()
        *mid, bottleneck = hidden
        layers: list[nn.Module] = []
        d = dim
        for h in mid:
            layers += [nn.Linear(d, h), nn.GELU(), nn.Dropout(dropout)]
            d = h
        self.encoder = nn.Sequential(*layers)
        self.mu = nn.Linear(d, bottleneck)
        self.logvar = nn.Linear(d, bottleneck)
        dec: list[nn.Module] = []
        d = bottleneck
        for h in reversed(mid):
            dec += [nn.Linear(d, h), nn.GELU()]
            d = h
        dec.append(nn.Linear(d, dim))
        self.decoder = nn.Sequential(*dec)
        self.norm = nn.LayerNorm(dim)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """The refined view and the per-step KL divergence of the bottleneck from N(0, I)."""
        h = self.encoder(x)
        mu, logvar = self.mu(h), self.logvar(h).clamp(-8.0, 8.0)
        z = mu + torch.randn_like(mu) * torch.exp(0.5 * logvar) if self.training else mu
        kl = 0.5 * (mu.pow(2) + logvar.exp() - 1.0 - logvar).sum(-1)
        return self.norm(x + self.decoder(z)), kl


class LearnableNTXent(nn.Module):
    """NT-Xent between paired views (pytorch-metric-learning) with temperature ``sigmoid(theta)``."""

    def __init__(self, init_temperature: float = 0.1) -> None:
        super().__init__()
        self.theta = nn.Parameter(torch.tensor(math.log(init_temperature / (1 - init_temperature))))
        self.ntxent = NTXentLoss(temperature=init_temperature)
        self.paired = SelfSupervisedLoss(self.ntxent, symmetric=True)

    @property
    def temperature(self) -> torch.Tensor:
        return torch.sigmoid(self.theta)

    def forward(self, a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
        if a.shape[0] < 2:
            return a.new_zeros(())
        # PML keeps the temperature as a plain attribute; a tensor there keeps the gradient path.
        self.ntxent.temperature = self.temperature
        return self.paired(a.float(), b.float())


def _projection(dim: int) -> nn.Module:
    """Projection head dim→dim→dim (paper: 1024→1024→1024)."""
    return nn.Sequential(nn.Linear(dim, dim), nn.GELU(), nn.Linear(dim, dim))


class ORL(nn.Module):
    """DRKF's ORL as an ``interaction`` part: returns ``{m}`` (shared) and ``{m}_specific`` streams."""

    def __init__(self, in_dims: dict[str, int], dim: int = 256, blocks: int = 5,
                 ae_dims: list[int] | None = None, dropout: float = 0.1, temperature: float = 0.1,
                 specific_streams: bool = True) -> None:
        super().__init__()
        if blocks < 1:
            raise ValueError(f"drkf.orl needs at least one auto-encoder block, got blocks={blocks}")
        self.modalities = sorted(in_dims)
        hidden = list(ae_dims or [max(8, dim // 4), max(8, dim // 8), max(4, dim // 16)])
        self.inp = nn.ModuleDict({m: nn.Linear(d, dim) if d != dim else nn.Identity() for m, d in in_dims.items()})
        self.blocks = nn.ModuleDict({m: nn.ModuleList(ResidualAEBlock(dim, hidden, dropout) for _ in range(blocks))
                                     for m in self.modalities})
        self.shared = nn.ModuleDict({m: nn.Linear(dim, dim) for m in self.modalities})
        self.specific = nn.ModuleDict({m: nn.Linear(dim, dim) for m in self.modalities})
        self.proj_shared = _projection(dim)
        self.proj_specific = nn.ModuleDict({m: _projection(dim) for m in self.modalities})
        self.nce_intra = LearnableNTXent(temperature)
        self.nce_inter = LearnableNTXent(temperature)
        self.specific_streams = specific_streams
        self.out_dims = {m: dim for m in self.modalities}
        if specific_streams:
            self.out_dims.update({f"{m}_specific": dim for m in self.modalities})
        terms = [f"nce_intra_{m}" for m in self.modalities]
        terms += ["nce_inter"] if len(self.modalities) > 1 else []
        terms += [f"mse_{m}" for m in self.modalities] + [f"kl_{m}" for m in self.modalities]
        self.term_names = tuple(terms)
        self.default_loss_weights = {t: (1.0 if t.startswith("kl_") else 0.2) for t in terms}

    def views(self, x: torch.Tensor, m: str) -> tuple[list[torch.Tensor], torch.Tensor]:
        """Progressively augmented views of ``x`` ([B, T, dim]) and the summed per-step KL."""
        out, kl = [], x.new_zeros(x.shape[:-1])
        v = x
        for block in self.blocks[m]:
            v, k = block(v)
            out.append(v)
            kl = kl + k
        return out, kl

    def forward(self, feats: dict[str, torch.Tensor], masks: dict[str, torch.Tensor]) -> PartOutput:
        streams: dict[str, torch.Tensor] = {}
        stream_masks: dict[str, torch.Tensor] = {}
        losses: dict[str, torch.Tensor] = {}
        pooled_shared: dict[str, torch.Tensor] = {}
        for m in self.modalities:
            mask = masks.get(m)
            x = self.inp[m](feats[m])
            views, kl = self.views(x, m)
            aug = views[-1]
            valid = mask.to(x.dtype) if mask is not None else torch.ones(x.shape[:2], device=x.device)
            steps = valid.sum().clamp_min(1.0)
            losses[f"mse_{m}"] = (((aug - x) ** 2).mean(-1) * valid).sum() / steps
            losses[f"kl_{m}"] = (kl * valid).sum() / steps / len(views)
            shared, specific = self.shared[m](aug), self.specific[m](aug)
            raw_specific = self.specific[m](x)
            losses[f"nce_intra_{m}"] = self.nce_intra(
                self.proj_specific[m](masked_mean(raw_specific, mask)), self.proj_specific[m](masked_mean(specific, mask)))
            pooled_shared[m] = self.proj_shared(masked_mean(shared, mask))
            streams[m] = shared
            stream_masks[m] = mask if mask is not None else valid.bool()
            if self.specific_streams:
                streams[f"{m}_specific"] = specific
                stream_masks[f"{m}_specific"] = stream_masks[m]
        if len(self.modalities) > 1:
            pairs = list(itertools.combinations(self.modalities, 2))
            losses["nce_inter"] = sum(self.nce_inter(pooled_shared[a], pooled_shared[b]) for a, b in pairs) / len(pairs)
        extras = {"temperature_intra": self.nce_intra.temperature.detach(),
                  "temperature_inter": self.nce_inter.temperature.detach()}
        return PartOutput(streams, losses=losses, extras=extras, masks=stream_masks)
