"""Hugging Face speech encoders on waveforms: wav2vec2, HuBERT, WavLM (raw samples) and the Whisper encoder (log-mel).

Input preprocessing follows the model's own ``preprocessor_config.json`` when the folder has one
(sample rate, per-utterance normalisation, whether padding is masked), else the family's defaults.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F

from ..data.sample import pad_sequences
from ..errors import ConfigError
from ._hf import HFEncoder, load_pretrained, resolve_weights, weights_fingerprint
from ._waveforms import batch_rate, prepare_waveforms

__all__ = ["HFAudioEncoder"]

MIN_SAMPLES = 400  # one 25 ms window at 16 kHz: the shortest input the convolutional front-ends accept


def _preprocessor(folder: Path) -> dict[str, Any]:
    path = folder / "preprocessor_config.json"
    return json.loads(path.read_text()) if path.is_file() else {}


class HFAudioEncoder(HFEncoder):
    """wav2vec2 / HuBERT / WavLM / Whisper encoder from a local folder or the HF cache; ``x`` is ``[B, S]`` audio.

    Audio at another rate than the model's is resampled; utterances are clipped to ``max_seconds``
    (Whisper sees at most 30 s). ``pooling``: ``mean`` (``[B, 1, D]``) or ``none`` (frames with a mask).
    Features of an utterance never depend on the rest of its batch: models whose front-end cannot
    mask padding (group norm, e.g. wav2vec2-base) encode each utterance on its own.
    """

    input_modality = "audio"
    poolings = ("mean", "none")

    def __init__(self, path: str, layer: int | str = -1, pooling: str = "mean", finetune: bool | int = False,
                 max_seconds: float | None = 30.0, modality: str = "audio") -> None:
        folder, config, model = load_pretrained(path, "hf_audio")
        prep = _preprocessor(folder)
        whisper = getattr(config, "model_type", "") == "whisper"
        if whisper:
            from transformers import WhisperFeatureExtractor

            extractor = (WhisperFeatureExtractor.from_pretrained(folder) if prep
                         else WhisperFeatureExtractor(feature_size=config.num_mel_bins))
            if max_seconds is None or max_seconds > extractor.chunk_length:
                raise ConfigError(f"hf_audio: the Whisper encoder sees at most {extractor.chunk_length} s of audio; "
                                  f"set max_seconds <= {extractor.chunk_length} (got {max_seconds})")
            model, n_layers, hidden = model.get_encoder(), config.encoder_layers, config.d_model
        elif hasattr(model, "_get_feat_extract_output_lengths"):
            extractor, n_layers, hidden = None, config.num_hidden_layers, config.hidden_size
        else:
            raise ConfigError(f"hf_audio: '{path}' is a {type(model).__name__}, not a speech encoder (wav2vec2, "
                              "HuBERT, WavLM, Data2VecAudio, Whisper); text models go through hf_text")
        super().__init__(model, n_layers, hidden, layer, pooling, finetune)
        self.is_whisper, self.extractor = whisper, extractor
        self.sample_rate = int(prep.get("sampling_rate", 16000))
        self.normalize = bool(prep.get("do_normalize", True))
        self.mask_padding = bool(prep.get("return_attention_mask", getattr(config, "feat_extract_norm", "") == "layer"))
        self.path, self.max_seconds, self.modality = str(path), max_seconds, modality

    @classmethod
    def weights_id(cls, path: str, **_: Any) -> str:
        """Fingerprint of the weight files behind ``path`` (the feature cache keys on it)."""
        return weights_fingerprint(resolve_weights(path, "hf_audio"))

    def forward(self, x: torch.Tensor, mask: torch.Tensor | None,
                batch: Any = None) -> tuple[torch.Tensor, torch.Tensor]:
        x, mask = prepare_waveforms(x, mask, rate_in=batch_rate(batch, self.modality, self.sample_rate),
                                    rate=self.sample_rate, max_seconds=self.max_seconds, name="hf_audio")
        x = x.to(self.device)
        mask = mask.to(self.device)
        if self.is_whisper:
            h, frames = self._whisper(x, mask)
        else:
            h, frames = self._ssl(x, mask)
        fmask = torch.arange(h.shape[1], device=h.device).unsqueeze(0) < frames.clamp(1, h.shape[1]).unsqueeze(1)
        return self.pool(h, fmask)

    def _ssl(self, x: torch.Tensor, mask: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """wav2vec2-style models on raw samples, normalised per utterance over its valid samples."""
        if x.shape[1] < MIN_SAMPLES:
            x, mask = F.pad(x, (0, MIN_SAMPLES - x.shape[1])), F.pad(mask, (0, MIN_SAMPLES - mask.shape[1]))
        m = mask.to(x.dtype)
        if self.normalize:
            n = m.sum(1, keepdim=True).clamp_min(1.0)
            mean = (x * m).sum(1, keepdim=True) / n
            var = (((x - mean) * m) ** 2).sum(1, keepdim=True) / n
            x = (x - mean) / torch.sqrt(var + 1e-7)
        x = x * m
        lengths = mask.sum(1)
        frames = self.model._get_feat_extract_output_lengths(lengths).long()
        if self.mask_padding:
            return self.select(self.hidden_states(input_values=x, attention_mask=mask.long())), frames
        # group-norm front-ends normalise over the whole input, padding included: run each utterance alone
        # so that its features never depend on the other utterances of the batch
        outs = [self.select(self.hidden_states(input_values=x[i:i + 1, :max(int(n), MIN_SAMPLES)]))[0]
                for i, n in enumerate(lengths.tolist())]
        return pad_sequences(outs)[0], frames

    def _whisper(self, x: torch.Tensor, mask: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """The Whisper encoder on 30 s log-mel windows; valid frames are those covering real samples."""
        lengths = mask.sum(1)
        arrays = [w[: int(n)].float().cpu().numpy() for w, n in zip(x, lengths.tolist())]
        feats = self.extractor(arrays, sampling_rate=self.sample_rate, return_tensors="pt")["input_features"]
        h = self.select(self.hidden_states(input_features=feats.to(self.device, next(self.model.parameters()).dtype)))
        window = self.extractor.chunk_length * self.sample_rate
        return h, torch.ceil(lengths.double() * h.shape[1] / window).long()
