"""Registers the baseline parts and model configs with mer-toolkit (entry point ``baselines``)."""

from __future__ import annotations

from pathlib import Path

from mer_toolkit import hookimpl
from mer_toolkit.configs import register_config_dir

from .late_fusion import LateFusion, LogitsHead
from .misa import MISA, TokenTransformerFusion
from .mmgcn import MMGCN
from .mult import MulT
from .tensor_fusion import LowRankFusion, TensorFusion

CONFIG_DIR = Path(__file__).parent / "configs"


@hookimpl
def mer_register_parts(registry) -> None:  # noqa: ANN001 - the staged registry view
    registry.fusion.register("baselines.late_fusion", LateFusion)
    registry.head.register("baselines.logits", LogitsHead)
    registry.fusion.register("baselines.tfn", TensorFusion)
    registry.fusion.register("baselines.lmf", LowRankFusion)
    registry.fusion.register("baselines.mult", MulT)
    registry.interaction.register("baselines.misa", MISA)
    registry.fusion.register("baselines.token_transformer", TokenTransformerFusion)
    registry.fusion.register("baselines.mmgcn", MMGCN)
    register_config_dir(registry, CONFIG_DIR)
