"""openSMILE acoustic parameter sets: eGeMAPSv02 (the standard for affective speech) and ComParE 2016.

``level: functionals`` gives one utterance vector (eGeMAPS 88-d, ComParE 6373-d); ``level: lld`` gives the
low-level descriptors per 10-ms frame (eGeMAPS 25-d, ComParE 65-d) as a sequence with a mask.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from ..data.sample import pad_sequences
from ..errors import ConfigError
from ._waveforms import batch_rate, prepare_waveforms

__all__ = ["OpenSmileEncoder"]

FEATURE_SETS = ("eGeMAPSv02", "ComParE_2016")
LEVELS = {"functionals": "Functionals", "lld": "LowLevelDescriptors"}
MIN_SECONDS = 0.1  # openSMILE's pitch and jitter windows need some signal; shorter inputs are padded with silence


class OpenSmileEncoder(nn.Module):
    """openSMILE features of ``[B, S]`` waveforms (no trainable weights; give the model ``norm: standardize``)."""

    input_modality = "audio"

    def __init__(self, feature_set: str = "eGeMAPSv02", level: str = "functionals", sample_rate: int = 16000,
                 max_seconds: float | None = 30.0, modality: str = "audio") -> None:
        super().__init__()
        if feature_set not in FEATURE_SETS:
            raise ConfigError(f"egemaps: feature_set must be one of {list(FEATURE_SETS)}, got '{feature_set}'")
        if level not in LEVELS:
            raise ConfigError(f"egemaps: level must be one of {list(LEVELS)}, got '{level}'")
        try:
            import opensmile
        except ImportError:
            raise ConfigError("encoder 'egemaps' needs the opensmile package: pip install 'mer-toolkit[speech]' "
                              "(or pip install opensmile)") from None
        self.smile = opensmile.Smile(feature_set=getattr(opensmile.FeatureSet, feature_set),
                                     feature_level=getattr(opensmile.FeatureLevel, LEVELS[level]))
        self.out_dim = len(self.smile.feature_names)
        self.feature_set, self.level, self.sample_rate = feature_set, level, sample_rate
        self.max_seconds, self.modality = max_seconds, modality

    @classmethod
    def weights_id(cls, feature_set: str = "eGeMAPSv02", level: str = "functionals", **_: Any) -> str:
        """The openSMILE version and parameter set (the feature cache keys on them)."""
        import opensmile

        return f"opensmile-{opensmile.__version__}-{feature_set}-{level}"

    @torch.no_grad()
    def forward(self, x: torch.Tensor, mask: torch.Tensor | None,
                batch: Any = None) -> tuple[torch.Tensor, torch.Tensor]:
        x, mask = prepare_waveforms(x, mask, rate_in=batch_rate(batch, self.modality, self.sample_rate),
                                    rate=self.sample_rate, max_seconds=self.max_seconds, name="egemaps")
        shortest = int(MIN_SECONDS * self.sample_rate)
        out = []
        for wav, n in zip(x.float().cpu(), mask.sum(1).tolist()):
            signal = torch.nn.functional.pad(wav[: int(n)], (0, max(0, shortest - int(n)))).numpy()
            values = self.smile.process_signal(signal, self.sample_rate).to_numpy(dtype="float32")
            out.append(torch.nan_to_num(torch.from_numpy(values.copy())))
        feats, fmask = pad_sequences(out)
        return feats.to(x.device), fmask.to(x.device)
