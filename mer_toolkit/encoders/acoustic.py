"""Classic acoustic features computed on the fly: Kaldi-compatible log-mel filterbanks and MFCCs (torchaudio).

Input is a padded waveform batch ``[B, S]`` with its mask; each utterance is featurised on its valid
samples only. ``pool``: ``none`` keeps frames ``[B, T, D]``, ``mean`` gives ``[B, 1, D]``, ``stats``
gives mean and standard deviation ``[B, 1, 2D]`` (the usual utterance-level baseline).
"""

from __future__ import annotations

import torch
import torchaudio.compliance.kaldi as kaldi
from torch import nn

from ..data.sample import pad_sequences

__all__ = ["AcousticEncoder", "Fbank", "MFCC", "pool_frames"]

POOLS = ("none", "mean", "stats")


def pool_frames(feats: torch.Tensor, mask: torch.Tensor, pool: str) -> tuple[torch.Tensor, torch.Tensor]:
    """Pool ``[B, T, D]`` frames over valid steps into one step (or keep them for ``none``)."""
    if pool == "none":
        return feats, mask
    m = mask.unsqueeze(-1).to(feats.dtype)
    n = m.sum(1).clamp_min(1.0)
    mean = (feats * m).sum(1) / n
    if pool == "mean":
        out = mean
    else:
        var = (((feats - mean.unsqueeze(1)) ** 2) * m).sum(1) / n
        out = torch.cat([mean, var.clamp_min(1e-8).sqrt()], dim=-1)
    return out.unsqueeze(1), mask.any(1, keepdim=True)


class AcousticEncoder(nn.Module):
    """Base of frame-level acoustic encoders (no trainable weights)."""

    def __init__(self, dim: int, sample_rate: int = 16000, pool: str = "none", cmvn: bool = True,
                 frame_shift_ms: float = 10.0, max_seconds: float | None = 30.0) -> None:
        super().__init__()
        if pool not in POOLS:
            raise ValueError(f"pool must be one of {POOLS}, got '{pool}'")
        self.dim, self.sample_rate, self.pool, self.cmvn = dim, sample_rate, pool, cmvn
        self.frame_shift_ms, self.max_seconds = frame_shift_ms, max_seconds
        self.out_dim = 2 * dim if pool == "stats" else dim

    def frames(self, wav: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError

    def forward(self, x: torch.Tensor, mask: torch.Tensor | None) -> tuple[torch.Tensor, torch.Tensor]:
        if x.dim() != 2:
            raise ValueError(f"{type(self).__name__} expects waveforms [B, S], got {tuple(x.shape)}; give the "
                             "dataset's audio as file paths or Waveform values")
        lengths = mask.sum(1).tolist() if mask is not None else [x.shape[1]] * x.shape[0]
        limit = int(self.max_seconds * self.sample_rate) if self.max_seconds else None
        out = []
        for wav, n in zip(x, lengths):
            wav = wav[: int(n)][:limit]
            if wav.numel() < 400:  # shorter than one 25 ms frame: pad with silence
                wav = torch.nn.functional.pad(wav, (0, 400 - wav.numel()))
            f = self.frames(wav.float().unsqueeze(0) * 32768.0)
            if self.cmvn:
                f = (f - f.mean(0)) / f.std(0).clamp_min(1e-5) if f.shape[0] > 1 else f - f.mean(0)
            out.append(f)
        feats, fmask = pad_sequences(out)
        return pool_frames(feats.to(x.device), fmask.to(x.device), self.pool)


class Fbank(AcousticEncoder):
    """Kaldi log-mel filterbank energies (25 ms windows, 10 ms shift), ``n_mels`` bins."""

    def __init__(self, n_mels: int = 80, sample_rate: int = 16000, pool: str = "none", cmvn: bool = True,
                 max_seconds: float | None = 30.0) -> None:
        super().__init__(n_mels, sample_rate, pool, cmvn, max_seconds=max_seconds)

    def frames(self, wav: torch.Tensor) -> torch.Tensor:
        return kaldi.fbank(wav, num_mel_bins=self.dim, sample_frequency=self.sample_rate,
                           frame_shift=self.frame_shift_ms, dither=0.0)


class MFCC(AcousticEncoder):
    """Kaldi MFCCs, ``n_ceps`` coefficients from 23 mel bins."""

    def __init__(self, n_ceps: int = 13, sample_rate: int = 16000, pool: str = "none", cmvn: bool = True,
                 max_seconds: float | None = 30.0) -> None:
        super().__init__(n_ceps, sample_rate, pool, cmvn, max_seconds=max_seconds)

    def frames(self, wav: torch.Tensor) -> torch.Tensor:
        return kaldi.mfcc(wav, num_ceps=self.dim, sample_frequency=self.sample_rate,
                          frame_shift=self.frame_shift_ms, dither=0.0)


def register(registry) -> None:  # noqa: ANN001 - the staged registry view
    registry.encoder.register("fbank", Fbank)
    registry.encoder.register("mfcc", MFCC)
