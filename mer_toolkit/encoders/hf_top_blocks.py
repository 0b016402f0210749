"""The top blocks of a Hugging Face text encoder, trained on cached hidden states.

``finetune: k`` re-runs every frozen block below the top k in each epoch, which dominates its cost on a
CPU. Caching hidden state ``start`` once (``data.features: {text: {type: minilm, layer: start, pooling:
none}}``) and training blocks ``start+1 .. N`` here computes the same function as ``finetune: N - start``
for a fraction of the time; the only difference is that the frozen blocks run without dropout.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from ..errors import ConfigError
from ._hf import HFEncoder, load_pretrained, pool_steps, resolve_weights, transformer_blocks
from .hf_text import minilm_path

__all__ = ["HFTextTopBlocks", "MiniLMTopBlocks"]

# architectures whose transformer blocks are the last step of the encoder (no final norm or pooling in between)
BLOCK_FAMILIES = ("bert", "roberta", "xlm-roberta", "electra", "camembert")
CACHING_ENCODERS = {"hf_text": None, "minilm": minilm_path}  # encoder type → its fixed weights (None: its `path`)


def cached_state(features: Any, path: str, n_layers: int, name: str) -> int:
    """The hidden-state index that ``data.features`` caches, after checking it comes from ``path``'s model as tokens."""
    node = {"type": features} if isinstance(features, str) else dict(features)
    kind = node.get("type")
    where = f"{name}: data.features ({features!r})"
    if kind not in CACHING_ENCODERS:
        raise ConfigError(f"{where} is not a hidden state of a text encoder; cache one with "
                          f"{{type: hf_text|minilm, layer: <start>, pooling: none}}")
    source = node.get("path") if CACHING_ENCODERS[kind] is None else CACHING_ENCODERS[kind]()
    if source is None or resolve_weights(str(source), name).resolve() != resolve_weights(path, name).resolve():
        raise ConfigError(f"{where} caches the states of '{source}', but the blocks are '{path}'; the cache and the "
                          "blocks must come from the same model")
    if node.get("pooling", "mean") != "none":
        raise ConfigError(f"{where} caches pooled vectors; the blocks need the token states: pooling: none")
    layer = node.get("layer", -1)
    if (not isinstance(layer, int) or isinstance(layer, bool) or not -(n_layers + 1) <= layer <= n_layers
            or layer % (n_layers + 1) == n_layers):
        raise ConfigError(f"{where} caches hidden state {layer!r}; cache one of 0..{n_layers - 1} "
                          "(the last has no block above it)")
    return layer % (n_layers + 1)


class HFTextTopBlocks(nn.Module):
    """Blocks ``start+1 .. N`` of a BERT-family encoder on its cached hidden state ``start`` ``[B, T, D]``.

    ``start`` is the ``layer`` the features were cached at (0 = embeddings), read from ``data.features``
    when the model is built from a config; the blocks start from the pretrained weights and all of them
    train; ``pooling`` as in ``hf_text``.
    """

    def __init__(self, in_dim: int | None, path: str, start: int | None = None, pooling: str = "mean",
                 features: Any = None) -> None:
        super().__init__()
        _, config, model = load_pretrained(path, "hf_text_top")
        name = type(self).__name__
        if config.model_type not in BLOCK_FAMILIES:
            raise ConfigError(f"{name}: '{path}' is a {config.model_type} model; only the BERT family "
                              f"({', '.join(BLOCK_FAMILIES)}) is supported, whose blocks end the encoder")
        n_layers = config.num_hidden_layers
        if in_dim is None:
            raise ConfigError(f"{name} reads a cached hidden state of '{path}', not raw transcripts; cache one with "
                              "data.features: {text: {type: hf_text|minilm, layer: <k>, pooling: none}}")
        if features is not None:
            cached = cached_state(features, path, n_layers, name)
            if start is not None and start != cached:
                raise ConfigError(f"{name}: start is {start} but data.features caches hidden state {cached}; "
                                  "the blocks must start where the cache stops (leave start out to take the cache's)")
            start = cached
        if isinstance(start, bool) or not isinstance(start, int) or not 0 <= start < n_layers:
            raise ConfigError(f"{name}: start must be the cached hidden state's index 0..{n_layers - 1} "
                              f"(0 = embeddings; blocks start+1..{n_layers} train; data.features sets it when the "
                              f"model is built from a config), got {start!r}")
        if pooling not in HFEncoder.poolings:
            raise ConfigError(f"{name}: pooling must be one of {list(HFEncoder.poolings)}, got '{pooling}'")
        if in_dim != config.hidden_size:
            raise ConfigError(f"{name}: the cached features are {in_dim}-d but '{path}' has {config.hidden_size}-d "
                              "hidden states; cache a hidden state of the same model (data.features: {text: {type: "
                              f"..., layer: {start}, pooling: none}})")
        self.blocks = nn.ModuleList(list(transformer_blocks(model, n_layers))[start:])
        self.start, self.pooling, self.out_dim = start, pooling, config.hidden_size

    def forward(self, x: torch.Tensor, mask: torch.Tensor | None) -> tuple[torch.Tensor, torch.Tensor]:
        if mask is None:
            mask = torch.ones(x.shape[:2], dtype=torch.bool, device=x.device)
        h = x.to(next(self.blocks.parameters()).dtype)
        bias = (~mask)[:, None, None, :].to(h.dtype) * torch.finfo(h.dtype).min  # padded keys get no attention
        for block in self.blocks:
            out: Any = block(h, attention_mask=bias)
            h = out[0] if isinstance(out, tuple) else out
        return pool_steps(h, mask, self.pooling)


class MiniLMTopBlocks(HFTextTopBlocks):
    """``hf_text_top`` with the packaged MiniLM-L6 weights (6 blocks, 384-d)."""

    def __init__(self, in_dim: int | None, start: int | None = None, pooling: str = "mean",
                 features: Any = None) -> None:
        super().__init__(in_dim, minilm_path(), start, pooling, features)
