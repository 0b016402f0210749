"""Audio file reading with soundfile: mono float32 waveforms, resampled to the rate asked for."""

from __future__ import annotations

import io
import shutil
import subprocess
from pathlib import Path

import torch

from ..errors import DataError
from .sample import Waveform

__all__ = ["load_waveform", "is_silent", "VIDEO_SUFFIXES", "SILENCE_PEAK"]

VIDEO_SUFFIXES = (".mp4", ".mkv", ".avi", ".webm", ".mov")
SILENCE_PEAK = 1e-4  # below -80 dBFS everywhere: no speech to encode (MELD has such test clips)


def is_silent(wav: Waveform) -> bool:
    """True when the waveform never rises above ``SILENCE_PEAK``; such a clip counts as absent audio."""
    return wav.samples.numel() == 0 or float(wav.samples.abs().max()) < SILENCE_PEAK


def _ffmpeg_wav(path: Path, sample_rate: int | None) -> bytes:
    """Decode the audio track of a video container to mono WAV bytes with the ffmpeg program."""
    exe = shutil.which("ffmpeg")
    if exe is None:
        raise DataError(f"'{path}' is a video container; decoding its audio needs the ffmpeg program "
                        "(Debian/Ubuntu: apt-get install ffmpeg)")
    cmd = [exe, "-nostdin", "-v", "error", "-i", str(path), "-vn", "-ac", "1"]
    cmd += ["-ar", str(sample_rate)] if sample_rate else []
    proc = subprocess.run(cmd + ["-f", "wav", "-"], capture_output=True, timeout=120)
    if proc.returncode != 0 or not proc.stdout:
        reason = proc.stderr.decode(errors="replace").strip().splitlines()
        raise DataError(f"'{path}': ffmpeg could not decode an audio track ({reason[-1] if reason else 'no output'})")
    return proc.stdout


def load_waveform(path: str | Path, sample_rate: int | None = 16000, max_seconds: float | None = None) -> Waveform:
    """Read WAV/FLAC/OGG as mono float32; resample to ``sample_rate`` (None keeps the file's rate)."""
    import soundfile as sf

    path = Path(path)
    if not path.is_file():
        raise DataError(f"audio file '{path}' does not exist")
    source: str | io.BytesIO = str(path)
    if path.suffix.lower() in VIDEO_SUFFIXES:
        source = io.BytesIO(_ffmpeg_wav(path, sample_rate))
    try:
        data, rate = sf.read(source, dtype="float32", always_2d=True)
    except (RuntimeError, sf.LibsndfileError) as err:  # type: ignore[attr-defined]
        raise DataError(f"audio file '{path}' cannot be decoded ({err}); expected a WAV/FLAC/OGG file "
                        f"(or {'/'.join(VIDEO_SUFFIXES)} with ffmpeg)") from None
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
