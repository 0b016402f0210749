"""Waveform batches as audio encoders need them: at the encoder's sample rate, clipped to a maximum length."""

from __future__ import annotations

from typing import Any

import torch

from ..errors import DataError

__all__ = ["batch_rate", "prepare_waveforms"]


def batch_rate(batch: Any, modality: str, default: int) -> int:
    """Sample rate of ``modality`` recorded by ``collate`` (``default`` when the caller gave no batch)."""
    rates = getattr(batch, "sample_rates", None) or {}
    return int(rates.get(modality, default))


def prepare_waveforms(x: torch.Tensor, mask: torch.Tensor | None, *, rate_in: int, rate: int,
                      max_seconds: float | None, name: str) -> tuple[torch.Tensor, torch.Tensor]:
    """Resample ``[B, S]`` waveforms from ``rate_in`` to ``rate`` (masks follow) and keep ``max_seconds``.

    Resampling is the documented fallback for audio at another rate than the encoder's: the result is
    the same as decoding the file at the encoder's rate, so features are never computed at a wrong rate.
    """
    if not isinstance(x, torch.Tensor) or x.dim() != 2:
        shape = tuple(x.shape) if isinstance(x, torch.Tensor) else type(x).__name__
        raise DataError(f"{name} expects padded waveforms [B, S], got {shape}; give the dataset's audio as file "
                        "paths or Waveform values (precomputed features go through the `features` encoder)")
    if mask is None:
        mask = torch.ones(x.shape, dtype=torch.bool, device=x.device)
    if rate_in != rate:
        import torchaudio.functional as AF

        lengths = torch.ceil(mask.sum(1).double() * rate / rate_in).long()
        x = AF.resample(x.float(), rate_in, rate)
        mask = torch.arange(x.shape[1], device=x.device).unsqueeze(0) < lengths.unsqueeze(1)
        x = x * mask
    if max_seconds:
        limit = int(max_seconds * rate)
        x, mask = x[:, :limit], mask[:, :limit]
    return x, mask
