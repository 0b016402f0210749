"""What a part of each kind must expose, as ``typing.Protocol``s checked when the part is built.

A part needs no base class: any object with these members fits its slot, builtin or plugin. Values the
model infers (``in_dim``, ``in_dims``, ``num_classes``, ``modality``, ``class_counts``) are passed to the
constructor only if it names them. Any ``forward`` may return a ``PartOutput`` instead of its plain
value; it receives ``batch=`` only if its signature has a ``batch`` parameter (``parts.takes_batch``).
A part that emits loss terms declares them as ``EmitsLosses`` says; emitting an undeclared term is an error.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from ..errors import ConfigError

if TYPE_CHECKING:  # annotations only: checking a part's members needs no torch import
    import torch

__all__ = ["Adapter", "CONTRACTS", "EmitsLosses", "Encoder", "Fusion", "Head", "Interaction", "Loss",
           "SplitProtocol", "check_contract", "contract_members"]


@runtime_checkable
class Encoder(Protocol):
    """``[B, T, D_in]`` input (or raw audio / text) → ``[B, T, out_dim]`` frames and their mask."""

    out_dim: int

    def forward(self, x: Any, mask: torch.Tensor | None) -> tuple[torch.Tensor, torch.Tensor]:
        """Encode one modality's batch; padded steps are False in the returned mask."""
        ...


@runtime_checkable
class Adapter(Protocol):
    """Per-modality ``[B, T, D]`` → ``[B, T, out_dim]`` under the same mask."""

    out_dim: int

    def forward(self, feats: torch.Tensor, mask: torch.Tensor | None) -> torch.Tensor:
        """Transform each step of one modality's stream, keeping its mask."""
        ...


@runtime_checkable
class Interaction(Protocol):
    """Modality streams → new named streams (it may rename or add some); their widths in ``out_dims``."""

    out_dims: dict[str, int]

    def forward(self, feats: dict[str, torch.Tensor], masks: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        """Exchange information between streams before fusion."""
        ...


@runtime_checkable
class Fusion(Protocol):
    """Named streams and masks → one ``[B, out_dim]`` vector per utterance."""

    out_dim: int

    def forward(self, feats: dict[str, torch.Tensor], masks: dict[str, torch.Tensor]) -> torch.Tensor:
        """Fuse the streams into one vector per utterance."""
        ...


@runtime_checkable
class Head(Protocol):
    """Fused ``[B, D]`` → ``[B, num_classes]`` logits."""

    def forward(self, fused: torch.Tensor) -> torch.Tensor:
        """Map fused vectors to class logits."""
        ...


@runtime_checkable
class Loss(Protocol):
    """Logits and labels → a ``LossOutput``, a ``{term: scalar}`` mapping or one scalar tensor (the term ``loss``).

    Its terms are named in an optional ``term_names`` (default ``("loss",)``), so a plain torch loss fits.
    """

    def forward(self, logits: torch.Tensor, labels: torch.Tensor) -> Any:
        """The loss of the main head's logits against the labels."""
        ...


@runtime_checkable
class SplitProtocol(Protocol):
    """A rule turning a corpus into train / val / test folds; ``speaker_independent`` is checked on each fold."""

    name: str
    speaker_independent: bool

    def folds(self, corpus: Any) -> list[Any]:
        """The train / val / test folds of ``corpus``."""
        ...


class EmitsLosses(Protocol):
    """Optional members of a part whose output carries losses: their names and default weights (1.0 if unset)."""

    term_names: tuple[str, ...]
    default_loss_weights: dict[str, float]


CONTRACTS: dict[str, type] = {"encoder": Encoder, "adapter": Adapter, "interaction": Interaction,
                              "fusion": Fusion, "head": Head, "loss": Loss, "protocol": SplitProtocol}


def contract_members(contract: type) -> list[str]:
    """The attributes and methods a contract requires."""
    methods = [k for k, v in vars(contract).items() if callable(v) and not k.startswith("_")]
    return sorted({*getattr(contract, "__annotations__", {}), *methods})


def check_contract(kind: str, part: Any, name: str, where: str) -> Any:
    """Return ``part`` if it exposes its kind's members; otherwise a config error naming what is missing."""
    contract = CONTRACTS.get(kind)
    if contract is None or isinstance(part, contract):
        return part
    missing = [m for m in contract_members(contract) if not hasattr(part, m)]
    raise ConfigError(f"{where}: {kind} '{name}' built a {type(part).__name__} without {missing}; a {kind} "
                      f"exposes {contract_members(contract)} (see mer_toolkit.components.contracts.{contract.__name__})")
