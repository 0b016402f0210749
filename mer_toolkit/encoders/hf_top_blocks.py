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
from ._hf import load_pretrained, pool_steps, transformer_blocks
from .hf_text import minilm_path

__all__ = ["HFTextTopBlocks", "MiniLMTopBlocks"]

# architectures whose transformer blocks are the last step of the encoder (no final norm or pooling in between)
BLOCK_FAMILIES = ("bert", "roberta", "xlm-roberta", "electra", "camembert")
POOLINGS = ("mean", "cls", "none")


class HFTextTopBlocks(nn.Module):
    """Blocks ``start+1 .. N`` of a BERT-family encoder on its cached hidden state ``start`` ``[B, T, D]``.

    ``start`` is the ``layer`` the features were cached at (0 = embeddings); the blocks start from the
    pretrained weights and all of them train; ``pooling`` as in ``hf_text``.
    """

    def __init__(self, in_dim: int, path: str, start: int, pooling: str = "mean") -> None:
        super().__init__()
        _, config, model = load_pretrained(path, "hf_text_top")
        name = type(self).__name__
        if config.model_type not in BLOCK_FAMILIES:
            raise ConfigError(f"{name}: '{path}' is a {config.model_type} model; only the BERT family "
                              f"({', '.join(BLOCK_FAMILIES)}) is supported, whose blocks end the encoder")
        n_layers = config.num_hidden_layers
        if isinstance(start, bool) or not isinstance(start, int) or not 0 <= start < n_layers:
            raise ConfigError(f"{name}: start must be the cached hidden state's index 0..{n_layers - 1} "
                              f"(0 = embeddings; blocks start+1..{n_layers} train), got {start!r}")
        if pooling not in POOLINGS:
            raise ConfigError(f"{name}: pooling must be one of {list(POOLINGS)}, got '{pooling}'")
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

    def __init__(self, in_dim: int, start: int, pooling: str = "mean") -> None:
        super().__init__(in_dim, minilm_path(), start, pooling)
