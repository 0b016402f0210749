"""``ComposedModel``: per-modality encoders → adapters → optional interaction → fusion → named heads.

Built from a YAML spec of registered parts; every dimension is inferred from the data and from the
``out_dim``/``out_dims`` of the previous part. Parts may return ``PartOutput`` with auxiliary losses;
they are named ``<slot>.<term>`` (``interaction.nce_inter``, ``fusion.ed``) and weighted by
``loss_weights`` in the spec, or by the part's own ``default_loss_weights``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import torch
from torch import nn

from .losses import LOSS_TERM, TermLoss, loss_terms
from ..config.build import build_part
from ..config.loading import ResolvedConfig
from ..config.tree import MODEL_KEYS
from ..data.sample import Batch
from ..errors import ConfigError, RunError
from .parts import PartOutput, as_part_output, takes_batch

__all__ = ["DataSpec", "ModelOutput", "ComposedModel", "MODEL_KEYS"]



@dataclass
class DataSpec:
    """What the model must know about its data: feature widths, classes, training label counts."""

    input_dims: dict[str, int | None]
    num_classes: int
    label_names: list[str] = field(default_factory=list)
    class_counts: list[int] | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"input_dims": dict(self.input_dims), "num_classes": self.num_classes,
                "label_names": list(self.label_names), "class_counts": self.class_counts}


@dataclass
class ModelOutput:
    """Main-head logits, unweighted auxiliary losses, and extras (other heads, attention, ...)."""

    logits: torch.Tensor
    losses: dict[str, torch.Tensor]
    extras: dict[str, Any]


def _call(module: nn.Module, with_batch: bool, *args: Any, batch: Batch) -> PartOutput:
    return as_part_output(module(*args, batch=batch) if with_batch else module(*args))


def _mask_absent(x: torch.Tensor, mask: torch.Tensor, present: torch.Tensor | None) -> tuple[torch.Tensor, torch.Tensor]:
    """Zero the encoded rows of utterances that lack the modality and mask them out (whatever the encoder
    made of their empty input)."""
    if present is None or bool(present.all()):
        return x, mask
    keep = present.to(x.device)
    return x * keep.view(-1, *([1] * (x.dim() - 1))).to(x.dtype), mask & keep.unsqueeze(1)


class ComposedModel(nn.Module):
    """A model assembled from registered parts; see the module docstring for the data flow."""

    def __init__(self, encoders: nn.ModuleDict, adapters: nn.ModuleDict, interaction: nn.Module | None,
                 fusion: nn.Module, heads: nn.ModuleDict, main_head: str, loss: TermLoss,
                 loss_weights: dict[str, float] | None = None) -> None:
        super().__init__()
        self.encoders = encoders
        self.adapters = adapters
        self.interaction = interaction
        self.fusion = fusion
        self.heads = heads
        self.main_head = main_head
        self.loss_fn = loss
        self._takes_batch = {name: takes_batch(mod) for name, mod in self._slots().items()}
        declared = self.declared_terms()
        weights = dict(loss_weights or {})
        unknown = sorted(set(weights) - set(declared))
        if unknown:
            raise ConfigError(f"model.loss_weights: unknown loss term(s) {unknown}; this model's terms are "
                              f"{sorted(declared)}")
        self.loss_weights = {k: float(weights.get(k, v)) for k, v in declared.items()}

    # -- structure ---------------------------------------------------------------------------
    def _slots(self) -> dict[str, nn.Module]:
        slots: dict[str, nn.Module] = {}
        slots.update({f"encoders.{m}": e for m, e in self.encoders.items()})
        slots.update({f"adapters.{m}": a for m, a in self.adapters.items()})
        if self.interaction is not None:
            slots["interaction"] = self.interaction
        slots["fusion"] = self.fusion
        slots.update({f"heads.{h}": m for h, m in self.heads.items()})
        return slots

    def declared_terms(self) -> dict[str, float]:
        """Every loss term this model can emit, with its default weight."""
        terms: dict[str, float] = {}
        for slot, mod in [*self._slots().items(), ("loss", self.loss_fn)]:
            defaults = dict(getattr(mod, "default_loss_weights", {}) or {})
            names = getattr(mod, "term_names", None) or ((LOSS_TERM,) if slot == "loss" else ())
            for t in names:
                terms[f"{slot}.{t}"] = float(defaults.get(t, 1.0))
        return terms

    def _check_declared(self, slot: str, emitted: dict[str, torch.Tensor]) -> None:
        """An emitted term must be declared: an undeclared one would be weighted by nobody's choice."""
        undeclared = sorted(k for k in emitted if f"{slot}.{k}" not in self.loss_weights)
        if undeclared:
            mod = self.loss_fn if slot == "loss" else self._slots()[slot]
            declared = sorted(k.split(".")[-1] for k in self.loss_weights if k.rsplit(".", 1)[0] == slot)
            raise RunError(f"model part '{slot}' ({type(mod).__name__}) emitted loss term(s) {undeclared} that it "
                           f"does not declare; declared: {declared}. List every term in the part's "
                           f"'term_names' (and its default weight in 'default_loss_weights')")

    @property
    def modalities(self) -> list[str]:
        return list(self.encoders)

    # -- building ----------------------------------------------------------------------------
    @classmethod
    def from_spec(cls, spec: dict[str, Any], data: DataSpec, registry: Any, cfg: ResolvedConfig | None = None,
                  path: str = "model") -> ComposedModel:
        """Build from a ``model:`` mapping, checking every part's keys before constructing it."""
        where = cfg.where(path) if cfg is not None else path
        if not isinstance(spec, dict):
            raise ConfigError(f"{where}: '{path}' must be a mapping of parts, got {type(spec).__name__}")
        unknown = sorted(set(spec) - set(MODEL_KEYS))
        if unknown:
            raise ConfigError(f"{where}: unknown key(s) {[f'{path}.{k}' for k in unknown]}; a model has "
                              f"{list(MODEL_KEYS)}")
        for required in ("encoders", "fusion", "heads"):
            if not spec.get(required):
                raise ConfigError(f"{where}: {path}.{required} is missing; a model needs encoders, fusion and heads")
        enc_spec = spec["encoders"]
        if not isinstance(enc_spec, dict):
            raise ConfigError(f"{where}: {path}.encoders must map modality names to encoders")
        missing = sorted(m for m in enc_spec if m not in data.input_dims)
        if missing:
            raise ConfigError(f"{where}: {path}.encoders uses modality {missing} but the dataset provides "
                              f"{sorted(data.input_dims)}")

        def build(kind: str, node: Any, p: str, **inferred: Any) -> nn.Module:
            return build_part(kind, node, registry, path=p, cfg=cfg, inferred=inferred)

        encoders = nn.ModuleDict()
        dims: dict[str, int] = {}
        cached = (cfg.data.get("data") or {}).get("features") if cfg is not None else None
        cached = cached if isinstance(cached, dict) else {}  # data.features as the cache was asked for, per modality
        for m, node in enc_spec.items():
            enc = build("encoder", node, f"{path}.encoders.{m}", in_dim=data.input_dims[m], modality=m,
                        features=cached.get(m))
            encoders[m] = enc
            dims[m] = int(enc.out_dim)
        adapters = nn.ModuleDict()
        for m, node in (spec.get("adapters") or {}).items():
            if m not in dims:
                raise ConfigError(f"{where}: {path}.adapters.{m} adapts a modality without an encoder "
                                  f"(encoders: {sorted(dims)})")
            adapters[m] = build("adapter", node, f"{path}.adapters.{m}", in_dim=dims[m], modality=m)
            dims[m] = int(adapters[m].out_dim)
        interaction = None
        if spec.get("interaction"):
            interaction = build("interaction", spec["interaction"], f"{path}.interaction", in_dims=dict(dims),
                                num_classes=data.num_classes)
            dims = dict(interaction.out_dims)
        fusion = build("fusion", spec["fusion"], f"{path}.fusion", in_dims=dict(dims), num_classes=data.num_classes)
        fused_dim = int(fusion.out_dim)
        heads = nn.ModuleDict()
        head_spec = spec["heads"]
        if not isinstance(head_spec, dict):
            raise ConfigError(f"{where}: {path}.heads must map head names to heads (e.g. emotion: linear)")
        for name, node in head_spec.items():
            heads[name] = build("head", node, f"{path}.heads.{name}", in_dim=fused_dim,
                                num_classes=data.num_classes)
        main_head = spec.get("main_head") or ("emotion" if "emotion" in heads else next(iter(heads)))
        if main_head not in heads:
            raise ConfigError(f"{where}: {path}.main_head '{main_head}' is not one of the heads {list(heads)}")
        loss = build("loss", spec.get("loss") or "cross_entropy", f"{path}.loss", num_classes=data.num_classes,
                     class_counts=data.class_counts)
        return cls(encoders, adapters, interaction, fusion, heads, main_head, loss, spec.get("loss_weights"))

    # -- running -----------------------------------------------------------------------------
    def forward(self, batch: Batch) -> ModelOutput:
        losses: dict[str, torch.Tensor] = {}
        extras: dict[str, Any] = {}

        def collect(slot: str, out: PartOutput) -> Any:
            if out.losses:
                self._check_declared(slot, out.losses)
            losses.update({f"{slot}.{k}": v for k, v in out.losses.items()})
            extras.update({f"{slot}.{k}": v for k, v in out.extras.items()})
            return out.value

        feats: dict[str, torch.Tensor] = {}
        masks: dict[str, torch.Tensor] = {}
        for m, enc in self.encoders.items():
            if m not in batch.inputs:
                raise RunError(f"the model needs modality '{m}' but the batch has {sorted(batch.inputs)}")
            out = collect(f"encoders.{m}", _call(enc, self._takes_batch[f"encoders.{m}"], batch.inputs[m],
                                                 batch.masks.get(m), batch=batch))
            feats[m], masks[m] = _mask_absent(*out, batch.present.get(m))
        for m, ad in self.adapters.items():
            feats[m] = collect(f"adapters.{m}", _call(ad, self._takes_batch[f"adapters.{m}"], feats[m], masks[m],
                                                      batch=batch))
        if self.interaction is not None:
            out = _call(self.interaction, self._takes_batch["interaction"], feats, masks, batch=batch)
            feats = collect("interaction", out)
            new_masks = out.masks or {}
            masks = {k: new_masks.get(k, masks.get(k)) for k in feats}
            masks = {k: v if v is not None else torch.ones(feats[k].shape[:2], dtype=torch.bool,
                                                           device=feats[k].device) for k, v in masks.items()}
        fused = collect("fusion", _call(self.fusion, self._takes_batch["fusion"], feats, masks, batch=batch))
        logits = None
        for name, head in self.heads.items():
            value = collect(f"heads.{name}", _call(head, self._takes_batch[f"heads.{name}"], fused, batch=batch))
            if name == self.main_head:
                logits = value
            else:
                extras[f"heads.{name}"] = value
        extras["fused"] = fused
        return ModelOutput(logits=logits, losses=losses, extras=extras)

    def main_loss_terms(self, logits: torch.Tensor, labels: torch.Tensor) -> dict[str, torch.Tensor]:
        """The main loss's unweighted terms (``loss.<term>``) on the labelled utterances."""
        labelled = labels >= 0
        if not bool(labelled.any()):  # no labelled utterance: zero terms, not a loss's NaN mean over nothing
            return {k: torch.zeros((), device=logits.device) for k in self.loss_weights if k.startswith("loss.")}
        terms = loss_terms(self.loss_fn(logits[labelled], labels[labelled]), f"model.loss ({type(self.loss_fn).__name__})")
        self._check_declared("loss", terms)
        return {f"loss.{k}": v for k, v in terms.items()}

    def weighted_total(self, terms: dict[str, torch.Tensor], device: torch.device) -> torch.Tensor:
        """Sum of the terms, each times its ``loss_weights`` entry (1.0 when absent): the one weighting there is."""
        return sum((self.loss_weights.get(k, 1.0) * v for k, v in terms.items()), torch.zeros((), device=device))

    def compute_loss(self, output: ModelOutput, batch: Batch) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        """Weighted total of the main loss and every auxiliary term, plus the unweighted terms."""
        terms = {**self.main_loss_terms(output.logits, batch.labels), **output.losses}
        return self.weighted_total(terms, output.logits.device), terms
