"""Classic acoustic features computed on the fly: Kaldi-compatible log-mel filterbanks and MFCCs (torchaudio).

Input is a padded waveform batch ``[B, S]`` with its mask; each utterance is featurised on its valid
samples only; frame sequences get per-utterance mean/variance normalisation (``cmvn``) by default,
pooled outputs do not (it would make their statistics constant). ``pool``:
``none`` keeps frames ``[B, T, D]``, ``mean`` gives ``[B, 1, D]``, ``stats`` gives mean and standard
deviation ``[B, 1, 2D]`` (the usual utterance-level baseline).
"""

from __future__ import annotations

from typing import Any

import torch
import torchaudio.compliance.kaldi as kaldi
from torch import nn

from ..data.sample import pad_sequences
from ..errors import ConfigError
from ..components.parts import masked_mean, masked_stats, uniform_weights
from ._waveforms import batch_rate, prepare_waveforms

__all__ = ["AcousticEncoder", "Fbank", "MFCC", "pool_frames"]

POOLS = ("none", "mean", "stats")
WINDOW_MS = 25.0


def pool_frames(feats: torch.Tensor, mask: torch.Tensor, pool: str) -> tuple[torch.Tensor, torch.Tensor]:
    """Pool ``[B, T, D]`` frames over valid steps into one step (or keep them for ``none``)."""
    if pool == "none":
        return feats, mask
    out = masked_mean(feats, mask) if pool == "mean" else masked_stats(feats, uniform_weights(mask))
    return out.unsqueeze(1), mask.any(1, keepdim=True)


class AcousticEncoder(nn.Module):
    """Base of frame-level acoustic encoders (no trainable weights); subclasses compute ``frames``."""

    input_modality = "audio"

    def __init__(self, dim: int, sample_rate: int = 16000, pool: str = "none", cmvn: bool | None = None,
                 frame_shift_ms: float = 10.0, max_seconds: float | None = 30.0, modality: str = "audio") -> None:
        super().__init__()
        if pool not in POOLS:
            raise ConfigError(f"{type(self).__name__}: pool must be one of {list(POOLS)}, got '{pool}'")
        if cmvn is None:  # per-utterance CMVN only for frame sequences: pooled statistics would become constant
            cmvn = pool == "none"
        elif cmvn and pool != "none":
            raise ConfigError(f"{type(self).__name__}: cmvn: true with pool: {pool} normalises every utterance to "
                              "mean 0 / std 1 before pooling, so the pooled features carry no information; use "
                              "cmvn: false (the default for pooled output)")
        if sample_rate < 4000:
            raise ConfigError(f"{type(self).__name__}: sample_rate must be at least 4000 Hz, got {sample_rate}")
        self.dim, self.sample_rate, self.pool, self.cmvn = dim, sample_rate, pool, cmvn
        self.frame_shift_ms, self.max_seconds, self.modality = frame_shift_ms, max_seconds, modality
        self.out_dim = 2 * dim if pool == "stats" else dim

    def frames(self, wav: torch.Tensor) -> torch.Tensor:
        """``[T, dim]`` features of one mono waveform ``[1, S]`` scaled to 16-bit range."""
        raise NotImplementedError

    def forward(self, x: torch.Tensor, mask: torch.Tensor | None,
                batch: Any = None) -> tuple[torch.Tensor, torch.Tensor]:
        x, mask = prepare_waveforms(x, mask, rate_in=batch_rate(batch, self.modality, self.sample_rate),
                                    rate=self.sample_rate, max_seconds=self.max_seconds, name=type(self).__name__)
        window = int(self.sample_rate * WINDOW_MS / 1000)
        out = []
        for wav, n in zip(x, mask.sum(1).tolist()):
            wav = wav[: int(n)].float()
            if wav.numel() < window:  # shorter than one analysis window: pad with silence
                wav = torch.nn.functional.pad(wav, (0, window - wav.numel()))
            f = self.frames(wav.unsqueeze(0) * 32768.0)
            if self.cmvn:
                f = f - f.mean(0)
                if f.shape[0] > 1:
                    f = f / f.std(0).clamp_min(1e-5)
            out.append(f)
        feats, fmask = pad_sequences(out)
        return pool_frames(feats.to(x.device), fmask.to(x.device), self.pool)


class Fbank(AcousticEncoder):
    """Kaldi log-mel filterbank energies (25 ms windows, 10 ms shift), ``n_mels`` bins."""

    def __init__(self, n_mels: int = 80, sample_rate: int = 16000, pool: str = "none", cmvn: bool | None = None,
                 max_seconds: float | None = 30.0, modality: str = "audio") -> None:
        super().__init__(n_mels, sample_rate, pool, cmvn, max_seconds=max_seconds, modality=modality)

    def frames(self, wav: torch.Tensor) -> torch.Tensor:
        return kaldi.fbank(wav, num_mel_bins=self.dim, sample_frequency=self.sample_rate,
                           frame_length=WINDOW_MS, frame_shift=self.frame_shift_ms, dither=0.0)


class MFCC(AcousticEncoder):
    """Kaldi MFCCs, ``n_ceps`` coefficients from ``n_mels`` mel bins (default 23)."""

    def __init__(self, n_ceps: int = 13, n_mels: int = 23, sample_rate: int = 16000, pool: str = "none",
                 cmvn: bool | None = None, max_seconds: float | None = 30.0, modality: str = "audio") -> None:
        if n_ceps > n_mels:
            raise ConfigError(f"MFCC: n_ceps ({n_ceps}) cannot exceed n_mels ({n_mels})")
        super().__init__(n_ceps, sample_rate, pool, cmvn, max_seconds=max_seconds, modality=modality)
        self.n_mels = n_mels

    def frames(self, wav: torch.Tensor) -> torch.Tensor:
        return kaldi.mfcc(wav, num_ceps=self.dim, num_mel_bins=self.n_mels, sample_frequency=self.sample_rate,
                          frame_length=WINDOW_MS, frame_shift=self.frame_shift_ms, dither=0.0)
