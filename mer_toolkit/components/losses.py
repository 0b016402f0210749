"""Loss objects with named sub-terms, and the builtin cross-entropy.

A ``TermLoss`` implements ``compute_terms(...) -> {name: scalar}`` and declares ``term_names``;
``forward`` returns them unweighted in a ``LossOutput``. Weights are the model's ``loss_weights``
(``loss.<term>``), the one weighting mechanism for main and auxiliary terms alike.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from ..errors import RunError

__all__ = ["LossOutput", "TermLoss", "CrossEntropy", "loss_terms", "LOSS_TERM"]

#: the term name of a loss that returns one tensor (a torch or pytorch-metric-learning loss)
LOSS_TERM = "loss"


@dataclass
class LossOutput:
    """Every unweighted term of a loss, by name."""

    terms: dict[str, torch.Tensor]


def loss_terms(value: object, part: str) -> dict[str, torch.Tensor]:
    """A loss's return value as ``{term: scalar}``: a ``LossOutput``, a mapping, or one tensor (``{"loss": t}``)."""
    if isinstance(value, LossOutput):
        return dict(value.terms)
    if isinstance(value, torch.Tensor):
        if value.dim() != 0:
            raise RunError(f"{part} returned a tensor of shape {tuple(value.shape)}; a loss returns a scalar "
                            f"(reduce it, e.g. reduction='mean')")
        return {LOSS_TERM: value}
    if isinstance(value, dict) and all(isinstance(v, torch.Tensor) for v in value.values()):
        return dict(value)
    raise RunError(f"{part} returned {type(value).__name__}; a loss returns a LossOutput, a {{term: tensor}} "
                    f"mapping or a scalar tensor")


class TermLoss(nn.Module):
    """Base of losses made of named terms (weighted by the model's ``loss_weights``, not here)."""

    term_names: tuple[str, ...] = ("loss",)

    def compute_terms(self, *args: torch.Tensor, **kwargs: torch.Tensor) -> dict[str, torch.Tensor]:
        """Every term by name, unweighted (subclasses implement it)."""
        raise NotImplementedError

    def zero_terms(self, device: torch.device | None = None) -> dict[str, torch.Tensor]:
        """A well-formed zero for every term (empty batches)."""
        return {t: torch.zeros((), device=device) for t in self.term_names}

    def forward(self, *args: torch.Tensor, **kwargs: torch.Tensor) -> LossOutput:
        return LossOutput(self.compute_terms(*args, **kwargs))


class CrossEntropy(TermLoss):
    """Cross-entropy on the main head's logits, with optional class weights and label smoothing.

    ``class_weights``: a list (one per class) or ``"balanced"`` (inverse training frequency).
    """

    term_names = ("ce",)

    def __init__(self, num_classes: int, class_weights: list[float] | str | None = None,
                 label_smoothing: float = 0.0, class_counts: list[int] | None = None) -> None:
        super().__init__()
        weight = None
        if class_weights == "balanced":
            if class_counts is None:
                raise ValueError("class_weights: balanced needs the training label counts")
            counts = torch.tensor(class_counts, dtype=torch.float).clamp_min(1.0)
            weight = counts.sum() / (len(counts) * counts)
        elif isinstance(class_weights, str):
            raise ValueError(f"class_weights must be a list of {num_classes} numbers or 'balanced', got "
                             f"'{class_weights}'")
        elif class_weights is not None:
            if len(class_weights) != num_classes:
                raise ValueError(f"class_weights has {len(class_weights)} values for {num_classes} classes")
            weight = torch.tensor(class_weights, dtype=torch.float)
        self.register_buffer("class_weight", weight if weight is not None else torch.ones(num_classes))
        self.label_smoothing = label_smoothing

    def compute_terms(self, logits: torch.Tensor, labels: torch.Tensor) -> dict[str, torch.Tensor]:
        if logits.shape[0] == 0:
            return self.zero_terms(logits.device)
        return {"ce": F.cross_entropy(logits.float(), labels, weight=self.class_weight,
                                      label_smoothing=self.label_smoothing)}
