"""ORL — Optimized Representation Learning (DRKF, arXiv 2508.01644), as the reference trains it.

Per modality a deterministic residual auto-encoder turns the raw encoder sequence into an augmented
view. The augmented views feed only ORL's own losses; the Fusion Encoder consumes the raw sequences,
which ORL passes through unchanged, so ORL shapes the representation through the trainable layers
before it (fine-tuned encoders, or the feature projection in frozen mode). Losses per modality m:
``nce_intra_m`` (NT-Xent, projected raw vector vs the mean-pooled augmented view), ``mse_m``
(augmented vs raw sequence), ``kl_m`` (KL(p_aug ‖ p_raw) between the class distributions a unimodal
classifier gives the two views, gradients to both) and ``ce_m`` (that classifier's cross-entropy on the raw view, on
detached inputs so it trains the classifier only); across modalities ``nce_inter`` (NT-Xent between
the projected raw vectors of the same utterance). One learnable temperature sigmoid(θ), θ = 1 at
start, floored at ``min_temperature``, serves every NT-Xent term (cosine similarities over the batch, as the
reference's ``nt_xent_loss`` / ``modal_nt_xent_loss``). In evaluation mode ORL only passes the
raw streams on: its auto-encoders and terms are not computed, since nothing at inference uses them.
"""

from __future__ import annotations

import itertools

import torch
import torch.nn.functional as F
from torch import nn

from mer_toolkit.api import Batch, PartOutput, masked_mean

__all__ = ["ResidualAE", "LearnableTemperature", "ORL", "class_kl", "simclr_ntxent", "cross_ntxent"]


def _mlp(sizes: list[int], act: type[nn.Module], dropout: float) -> nn.Sequential:
    """Linear layers through ``sizes`` with ``act`` (and dropout) between them, none after the last."""
    layers: list[nn.Module] = []
    for k, (a, b) in enumerate(zip(sizes, sizes[1:])):
        layers.append(nn.Linear(a, b))
        if k < len(sizes) - 2:
            layers += [act()] + ([nn.Dropout(dropout)] if dropout > 0 else [])
    return nn.Sequential(*layers)


class ResidualAE(nn.Module):
    """The reference's ``ResidualAE``: block k encodes x_in ← x_in + x_out, a transition MLP maps the sum."""

    def __init__(self, dim: int, hidden: list[int], blocks: int = 5, dropout: float = 0.0) -> None:
        super().__init__()
        self.encoders = nn.ModuleList(_mlp([dim, *hidden], nn.LeakyReLU, dropout) for _ in range(blocks))
        self.decoders = nn.ModuleList(_mlp([*reversed(hidden), dim], nn.ReLU, dropout) for _ in range(blocks))
        self.transition = nn.Sequential(nn.Linear(dim, dim), nn.ReLU(), nn.Linear(dim, dim))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x_in, x_out = x, torch.zeros_like(x)
        for enc, dec in zip(self.encoders, self.decoders):
            x_in = x_in + x_out
            x_out = dec(enc(x_in))
        return self.transition(x_in + x_out)


class LearnableTemperature(nn.Module):
    """``max(sigmoid(θ), floor)`` with θ = 1.0 at start (≈ 0.73), as the reference's TemperatureModel."""

    def __init__(self, theta: float = 1.0, floor: float = 0.05) -> None:
        super().__init__()
        self.theta = nn.Parameter(torch.tensor(float(theta)))
        self.floor = floor

    def forward(self) -> torch.Tensor:
        return torch.sigmoid(self.theta).clamp_min(self.floor)


def simclr_ntxent(a: torch.Tensor, b: torch.Tensor, temperature: torch.Tensor) -> torch.Tensor:
    """SimCLR NT-Xent over the 2B views: a_k and b_k are positives, every other view a negative."""
    if a.shape[0] < 2:
        return a.new_zeros(())
    n = a.shape[0]
    z = F.normalize(torch.cat([a, b]).float(), dim=1)
    sim = (z @ z.T / temperature).masked_fill(torch.eye(2 * n, dtype=torch.bool, device=z.device), float("-inf"))
    target = torch.cat([torch.arange(n, 2 * n), torch.arange(n)]).to(z.device)
    return F.cross_entropy(sim, target)


def cross_ntxent(a: torch.Tensor, b: torch.Tensor, temperature: torch.Tensor) -> torch.Tensor:
    """NT-Xent from a to b only (the reference's inter-modal form): row k of a must pick b_k among all b."""
    if a.shape[0] < 2:
        return a.new_zeros(())
    sim = F.normalize(a.float(), dim=1) @ F.normalize(b.float(), dim=1).T / temperature
    return F.cross_entropy(sim, torch.arange(a.shape[0], device=a.device))


def class_kl(raw_logits: torch.Tensor, aug_logits: torch.Tensor) -> torch.Tensor:
    """KL(p_aug ‖ p_raw), mean over rows, gradients to both views: the reference's
    ``kl_div(input=p_raw, target=p_aug)`` with log-probabilities as ``kl_div`` expects them."""
    if raw_logits.shape[0] == 0:
        return raw_logits.new_zeros(())
    return F.kl_div(F.log_softmax(raw_logits.float(), -1), F.log_softmax(aug_logits.float(), -1), log_target=True,
                    reduction="batchmean")


class ORL(nn.Module):
    """DRKF's ORL as an ``interaction`` part: passes the raw streams on and emits ORL's losses.

    ``intra``/``inter`` switch the intra- and inter-modal contrast off (their terms and parameters go).
    Projection heads are in→in→in (ReLU); when modality widths differ, the inter-modal term first maps
    each projected vector to ``align_dim`` (the widest modality by default).
    """

    def __init__(self, in_dims: dict[str, int], num_classes: int, blocks: int = 5,
                 ae_dims: list[int] | None = None, dropout: float = 0.0, temperature: float = 1.0,
                 min_temperature: float = 0.05, intra: bool = True, inter: bool = True,
                 align_dim: int | None = None) -> None:
        super().__init__()
        if blocks < 1:
            raise ValueError(f"drkf.orl needs at least one auto-encoder block, got blocks={blocks}")
        self.modalities = sorted(in_dims)
        self.ae = nn.ModuleDict({m: ResidualAE(d, list(ae_dims or [max(8, d // 4), max(8, d // 8), max(4, d // 16)]),
                                               blocks, dropout) for m, d in in_dims.items()})
        self.proj = nn.ModuleDict({m: _mlp([d, d, d], nn.ReLU, 0.0) for m, d in in_dims.items()})
        self.classifier = nn.ModuleDict({m: nn.Linear(d, num_classes) for m, d in in_dims.items()})
        self.temperature = LearnableTemperature(temperature, min_temperature)
        self.no_weight_decay = ("temperature.theta",)  # the reference's Adam has no weight decay on θ
        self.intra = intra
        self.inter = inter and len(self.modalities) > 1
        width = align_dim or max(in_dims.values())
        self.align = nn.ModuleDict({m: nn.Linear(d, width) for m, d in in_dims.items()}) \
            if self.inter and len(set(in_dims.values())) > 1 else None
        self.out_dims = dict(in_dims)
        terms = [f"nce_intra_{m}" for m in self.modalities] if intra else []
        terms += ["nce_inter"] if self.inter else []
        terms += [f"{t}_{m}" for t in ("mse", "kl", "ce") for m in self.modalities]
        self.term_names = tuple(terms)
        self.default_loss_weights = {t: (1.0 if t.startswith(("kl_", "ce_")) else 0.2) for t in terms}

    def forward(self, feats: dict[str, torch.Tensor], masks: dict[str, torch.Tensor],
                batch: Batch | None = None) -> PartOutput:
        tau = self.temperature()
        if not self.training:  # the views and terms below only train; evaluation needs the raw streams alone
            return PartOutput(dict(feats), extras={"temperature": tau.detach()}, masks=dict(masks))
        losses: dict[str, torch.Tensor] = {}
        raw: dict[str, torch.Tensor] = {}
        present: dict[str, torch.Tensor] = {}
        labels = batch.labels if batch is not None else None
        for m in self.modalities:
            x = feats[m]
            mask = masks.get(m)
            mask = mask if mask is not None else torch.ones(x.shape[:2], dtype=torch.bool, device=x.device)
            has = present[m] = mask.any(dim=1)
            # the auto-encoder maps each frame on its own: run it on the valid frames only (padding is masked out
            # of every term below), a quarter less work on padded demo batches
            aug = x.new_zeros(x.shape).index_put((mask,), self.ae[m](x[mask]))
            valid = mask.unsqueeze(-1).to(x.dtype)
            losses[f"mse_{m}"] = (((aug - x) ** 2) * valid).sum() / (valid.sum() * x.shape[-1]).clamp_min(1.0)
            raw[m] = self.proj[m](masked_mean(x, mask))
            aug_vec = masked_mean(aug, mask)
            if self.intra:
                losses[f"nce_intra_{m}"] = simclr_ntxent(raw[m][has], aug_vec[has], tau)
            clf = self.classifier[m]
            losses[f"kl_{m}"] = class_kl(clf(raw[m][has]), clf(aug_vec[has]))
            if labels is not None:
                seen = has & (labels >= 0)
                losses[f"ce_{m}"] = F.cross_entropy(clf(raw[m][seen].detach()).float(), labels[seen]) \
                    if seen.any() else x.new_zeros(())
        if self.inter:
            pairs = list(itertools.combinations(self.modalities, 2))
            total = x.new_zeros(())
            for a, b in pairs:
                both = present[a] & present[b]
                va, vb = raw[a][both], raw[b][both]
                if self.align is not None:
                    va, vb = self.align[a](va), self.align[b](vb)
                total = total + cross_ntxent(va, vb, tau)
            losses["nce_inter"] = total / len(pairs)
        return PartOutput(dict(feats), losses=losses, extras={"temperature": tau.detach()}, masks=dict(masks))
