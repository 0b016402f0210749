"""Audio file reading with soundfile: mono float32 waveforms, resampled to the rate asked for."""

from __future__ import annotations

from pathlib import Path

import torch

from ..errors import DataError
from .sample import Waveform

__all__ = ["load_waveform"]


def load_waveform(path: str | Path, sample_rate: int | None = 16000, max_seconds: float | None = None) -> Waveform:
    """Read WAV/FLAC/OGG as mono float32; resample to ``sample_rate`` (None keeps the file's rate)."""
    import soundfile as sf

    path = Path(path)
    if not path.is_file():
        raise DataError(f"audio file '{path}' does not exist")
    try:
        data, rate = sf.read(str(path), dtype="float32", always_2d=True)
    except (RuntimeError, sf.LibsndfileError) as err:  # type: ignore[attr-defined]
        raise DataError(f"audio file '{path}' cannot be decoded ({err}); expected a WAV/FLAC/OGG file") from None
    if data.shape[0] == 0:
        raise DataError(f"audio file '{path}' holds no samples (zero-length audio)")
    wav = torch.from_numpy(data).mean(dim=1)
    if max_seconds is not None:
        wav = wav[: int(max_seconds * rate)]
    if sample_rate is not None and rate != sample_rate:
        import torchaudio.functional as AF

        wav = AF.resample(wav, rate, sample_rate)
        rate = sample_rate
    return Waveform(wav.contiguous(), int(rate))
