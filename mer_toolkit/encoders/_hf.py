"""What the Hugging Face encoders share: weights found on local disk only, layer selection, pooling, freezing.

``layer`` picks one hidden state (``0`` = embeddings, ``-1`` = last) or ``weighted``: a learned softmax
over all of them. ``finetune`` is ``false`` (frozen: features can be cached), ``true`` (every weight
trains) or ``k`` (the top k transformer blocks train).
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import torch
from torch import nn

from ..errors import ConfigError
from ..components.parts import masked_mean

__all__ = ["HFEncoder", "load_pretrained", "pool_steps", "resolve_weights", "transformer_blocks", "weights_fingerprint"]


def _hub_cache() -> str:
    from huggingface_hub import constants

    return str(constants.HF_HUB_CACHE)


def resolve_weights(path: str, kind: str) -> Path:
    """The local folder of ``path``: a folder as given, or the snapshot of a model id in the HF cache."""
    local = Path(path).expanduser()
    if local.is_dir():
        if not (local / "config.json").is_file():
            raise ConfigError(f"{kind} encoder: folder '{local}' has no config.json; give a folder written by "
                              "save_pretrained (config.json plus the weights) or a model id in the Hugging Face cache")
        return local
    try:
        from huggingface_hub import snapshot_download

        return Path(snapshot_download(path, local_files_only=True))
    except (OSError, ValueError):
        raise ConfigError(
            f"{kind} encoder: '{path}' is neither a local model folder nor a model id in the Hugging Face cache "
            f"({_hub_cache()}). mer-toolkit never downloads weights at run time: set `path` to a folder with "
            "config.json and the weights (as written by save_pretrained), or fetch the model once on a machine with "
            f"network (`huggingface-cli download {path}`) and point HF_HOME at that cache; HF_HUB_OFFLINE=1 keeps "
            "every Hugging Face library offline as well.") from None


def weights_fingerprint(folder: Path) -> str:
    """Names, sizes and modification times of the files in ``folder``: cheap, and it changes with the weights."""
    h = hashlib.sha256()
    for f in sorted(folder.rglob("*")):
        if f.is_file() and ".cache" not in f.relative_to(folder).parts:
            st = f.stat()
            h.update(f"{f.relative_to(folder)}:{st.st_size}:{st.st_mtime_ns}\n".encode())
    return h.hexdigest()[:16]


def load_pretrained(path: str, kind: str) -> tuple[Path, Any, nn.Module]:
    """Folder, config and ``AutoModel`` of ``path``, read from local files only."""
    from transformers import AutoConfig, AutoModel
    from transformers.utils import logging as hf_logging

    folder = resolve_weights(path, kind)
    hf_logging.set_verbosity_error()
    hf_logging.disable_progress_bar()
    try:
        config = AutoConfig.from_pretrained(folder, local_files_only=True)
        model = AutoModel.from_pretrained(folder, local_files_only=True)
    except (OSError, ValueError) as err:
        first = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        raise ConfigError(f"{kind} encoder: cannot load the model in '{folder}' ({first}); the folder needs "
                          "config.json and weights (model.safetensors or pytorch_model.bin) of one model") from None
    return folder, config, model


def transformer_blocks(model: nn.Module, n_layers: int) -> nn.ModuleList | None:
    """The ``ModuleList`` of the model's ``n_layers`` transformer blocks (preferring one inside ``encoder``)."""
    lists = [(name, m) for name, m in model.named_modules() if isinstance(m, nn.ModuleList) and len(m) > 0]
    exact = sorted(((name.startswith("encoder") or ".encoder" in name, name, m) for name, m in lists
                    if len(m) == n_layers), key=lambda t: t[0])
    if exact:
        return exact[-1][2]
    return max((m for _, m in lists), key=len, default=None)


def pool_steps(h: torch.Tensor, mask: torch.Tensor, pooling: str) -> tuple[torch.Tensor, torch.Tensor]:
    """``none``: every step; ``cls``: the first step; ``mean``: the mean over valid steps (``T = 1``)."""
    if pooling == "none":
        return h, mask
    if pooling == "cls":
        return h[:, :1], mask[:, :1]
    return masked_mean(h, mask).unsqueeze(1), mask.any(1, keepdim=True)


class HFEncoder(nn.Module):
    """Layer selection, pooling and freezing around a Hugging Face backbone (``self.model``)."""

    poolings: tuple[str, ...] = ("mean", "cls", "none")

    def __init__(self, model: nn.Module, n_layers: int, hidden: int, layer: int | str, pooling: str,
                 finetune: bool | int) -> None:
        super().__init__()
        name = type(self).__name__
        if pooling not in self.poolings:
            raise ConfigError(f"{name}: pooling must be one of {list(self.poolings)}, got '{pooling}'")
        if layer != "weighted" and (isinstance(layer, bool) or not isinstance(layer, int)
                                    or not -(n_layers + 1) <= layer <= n_layers):
            raise ConfigError(f"{name}: layer must be 'weighted' or an index of the {n_layers + 1} hidden states "
                              f"(0 = embeddings, {n_layers} or -1 = last), got {layer!r}")
        if not isinstance(finetune, bool) and (not isinstance(finetune, int) or not 0 <= finetune <= n_layers):
            raise ConfigError(f"{name}: finetune must be true, false or a number of top layers 0..{n_layers}, "
                              f"got {finetune!r}")
        self.model = model
        self.layer = layer
        self.pooling = pooling
        self.layer_weights = nn.Parameter(torch.zeros(n_layers + 1)) if layer == "weighted" else None
        self.out_dim = hidden
        self.frozen = finetune is False or finetune == 0
        for p in self.model.parameters():
            p.requires_grad = finetune is True
        blocks = transformer_blocks(model, n_layers)
        if not isinstance(finetune, bool) and finetune > 0 and blocks is not None:
            for p in blocks[-finetune:].parameters():
                p.requires_grad = True
        if self.frozen:
            self.model.eval()

    def train(self, mode: bool = True) -> HFEncoder:
        super().train(mode)
        if self.frozen:
            self.model.eval()  # a frozen feature extractor never runs dropout
        return self

    def select(self, hidden_states: tuple[torch.Tensor, ...]) -> torch.Tensor:
        """The chosen hidden state, or the softmax-weighted sum of all of them."""
        if self.layer_weights is None:
            return hidden_states[self.layer]
        w = torch.softmax(self.layer_weights, 0)
        return torch.stack(hidden_states, 0).mul(w.view(-1, 1, 1, 1).to(hidden_states[0].dtype)).sum(0)

    def pool(self, h: torch.Tensor, mask: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        return pool_steps(h, mask, self.pooling)

    def hidden_states(self, **inputs: torch.Tensor) -> tuple[torch.Tensor, ...]:
        """Every hidden state of the backbone; no autograd graph when it is frozen."""
        with torch.set_grad_enabled(torch.is_grad_enabled() and not self.frozen):
            return self.model(**inputs, output_hidden_states=True).hidden_states

    @property
    def device(self) -> torch.device:
        return next(self.model.parameters()).device
