"""The data contract: utterance ``Sample``s in, padded ``Batch``es out.

A modality value in a sample is one of
- ``str``: raw text, or a path to an audio/video file (resolved by the dataset),
- ``Waveform``: decoded audio samples with their rate,
- ``torch.Tensor``: a precomputed feature, 1-D ``[D]`` (pooled) or 2-D ``[T, D]`` (sequence),
- ``FeatureRows``: the same, as a reference into the memory-mapped feature cache (read when collated).

``collate`` turns tensors into ``[B, T, D]`` with a boolean mask ``[B, T]`` (True = real step;
pooled vectors become ``T = 1``), waveforms into ``[B, S]`` with a mask, and strings into lists.

Modality presence is per utterance: a sample without a modality (a missing or silent clip) gets a
zero row whose mask is all False, and ``Batch.present[m]`` is False for it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import torch

from .feature_rows import as_tensor

__all__ = ["Sample", "Waveform", "Batch", "collate", "pad_sequences"]


@dataclass
class Waveform:
    """Mono audio samples ``[S]`` (float32 in [-1, 1]) and their sample rate."""

    samples: torch.Tensor
    sample_rate: int


@dataclass
class Sample:
    """One utterance with its place in a dialogue, its label and its modalities."""

    id: str
    label: int
    modalities: dict[str, Any]
    dialogue_id: str = ""
    position: int = 0
    speaker: str = ""
    meta: dict[str, Any] = field(default_factory=dict)


@dataclass
class Batch:
    """A padded batch of utterances (whole dialogues, in order, when batched by dialogue).

    ``inputs[m]`` is ``[B, T, D]`` features, ``[B, S]`` waveforms or a list of strings;
    ``masks[m]`` is the matching boolean mask (absent for strings). ``dialogue_index[b]`` numbers the
    dialogues inside the batch (0..n-1) so context models can group utterances. ``present[m]`` ``[B]``
    is False where an utterance lacks modality ``m`` (its row is zeros, its mask all False).
    """

    ids: list[str]
    labels: torch.Tensor
    inputs: dict[str, Any]
    masks: dict[str, torch.Tensor]
    dialogue_ids: list[str]
    dialogue_index: torch.Tensor
    positions: torch.Tensor
    speakers: list[str]
    sample_rates: dict[str, int] = field(default_factory=dict)
    present: dict[str, torch.Tensor] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.ids)

    @property
    def modalities(self) -> list[str]:
        return list(self.inputs)

    def to(self, device: torch.device | str, non_blocking: bool = False) -> Batch:
        """Move every tensor to ``device`` (strings stay where they are)."""

        def move(x: Any) -> Any:
            return x.to(device, non_blocking=non_blocking) if isinstance(x, torch.Tensor) else x

        return Batch(
            ids=self.ids,
            labels=move(self.labels),
            inputs={k: move(v) for k, v in self.inputs.items()},
            masks={k: move(v) for k, v in self.masks.items()},
            dialogue_ids=self.dialogue_ids,
            dialogue_index=move(self.dialogue_index),
            positions=move(self.positions),
            speakers=self.speakers,
            sample_rates=self.sample_rates,
            present={k: move(v) for k, v in self.present.items()},
        )

    def pin_memory(self) -> Batch:
        """Pin tensors so host→GPU copies can overlap compute (used by DataLoader)."""

        def pin(x: Any) -> Any:
            return x.pin_memory() if isinstance(x, torch.Tensor) else x

        return Batch(self.ids, pin(self.labels), {k: pin(v) for k, v in self.inputs.items()},
                     {k: pin(v) for k, v in self.masks.items()}, self.dialogue_ids,
                     pin(self.dialogue_index), pin(self.positions), self.speakers, self.sample_rates,
                     {k: pin(v) for k, v in self.present.items()})


def pad_sequences(items: Sequence[torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor]:
    """Stack ``[T_i, ...]`` tensors into ``[B, T_max, ...]`` plus a ``[B, T_max]`` bool mask (T_max ≥ 1)."""
    lengths = [int(x.shape[0]) for x in items]
    t_max = max([1, *lengths])
    first = items[0]
    out = first.new_zeros((len(items), t_max, *first.shape[1:]))
    mask = torch.zeros(len(items), t_max, dtype=torch.bool)
    for i, (x, n) in enumerate(zip(items, lengths)):
        out[i, :n] = x
        mask[i, :n] = True
    return out, mask


def _absent_like(first: Any) -> Any:
    """The stand-in for a missing modality: empty text, a zero-length waveform, a zero-length feature sequence."""
    if isinstance(first, str):
        return ""
    if isinstance(first, Waveform):
        return Waveform(first.samples.new_zeros(0), first.sample_rate)
    return first.new_zeros((0, first.shape[-1]))


def _collate_modality(name: str, values: list[Any], ids: list[str]) -> tuple[Any, torch.Tensor | None, int | None]:
    values = [None if v is None else as_tensor(v) for v in values]
    first = next(v for v in values if v is not None)  # collate only asks for modalities some sample has
    values = [_absent_like(first) if v is None else v for v in values]
    if isinstance(first, str):
        return list(values), None, None
    if isinstance(first, Waveform):
        rates = {v.sample_rate for v in values}
        if len(rates) != 1:
            raise ValueError(f"modality '{name}': waveforms with different sample rates {sorted(rates)} in one "
                             "batch; resample them to one rate when loading")
        padded, mask = pad_sequences([v.samples.reshape(-1) for v in values])
        return padded, mask, rates.pop()
    if isinstance(first, torch.Tensor):
        seqs = []
        for sid, v in zip(ids, values):
            if not isinstance(v, torch.Tensor) or v.dim() not in (1, 2):
                raise ValueError(f"modality '{name}' of utterance '{sid}': expected a 1-D or 2-D tensor, got "
                                 f"{type(v).__name__} {tuple(getattr(v, 'shape', ()))}")
            seqs.append(v.unsqueeze(0) if v.dim() == 1 else v)
        dims = {s.shape[-1] for s in seqs}
        if len(dims) != 1:
            raise ValueError(f"modality '{name}': feature dimensions differ within a batch {sorted(dims)}")
        padded, mask = pad_sequences([s.float() for s in seqs])
        return padded, mask, None
    raise ValueError(f"modality '{name}': unsupported value type {type(first).__name__}; expected str, "
                     "Waveform or Tensor")


def collate(samples: Sequence[Sample]) -> Batch:
    """Pad a list of samples into a ``Batch`` (the default ``collate_fn`` of every loader)."""
    ids = [s.id for s in samples]
    modalities = list(dict.fromkeys(m for s in samples for m in s.modalities))
    inputs: dict[str, Any] = {}
    masks: dict[str, torch.Tensor] = {}
    rates: dict[str, int] = {}
    present: dict[str, torch.Tensor] = {}
    for m in modalities:
        value, mask, rate = _collate_modality(m, [s.modalities.get(m) for s in samples], ids)
        present[m] = torch.tensor([m in s.modalities for s in samples], dtype=torch.bool)
        inputs[m] = value
        if mask is not None:
            masks[m] = mask
        if rate is not None:
            rates[m] = rate
    order: dict[str, int] = {}
    dialogue_index = torch.tensor([order.setdefault(s.dialogue_id, len(order)) for s in samples], dtype=torch.long)
    return Batch(
        ids=ids,
        labels=torch.tensor([s.label for s in samples], dtype=torch.long),
        inputs=inputs,
        masks=masks,
        dialogue_ids=[s.dialogue_id for s in samples],
        dialogue_index=dialogue_index,
        positions=torch.tensor([s.position for s in samples], dtype=torch.long),
        speakers=[s.speaker for s in samples],
        sample_rates=rates,
        present=present,
    )
