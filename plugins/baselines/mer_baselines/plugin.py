"""Registers the baseline parts and model configs with mer-toolkit (entry point ``baselines``).

Parts are registered by import path: listing them imports neither torch nor the baseline modules.
"""

from __future__ import annotations

from pathlib import Path

from mer_toolkit.api import hookimpl, register_config_dir

CONFIG_DIR = Path(__file__).parent / "configs"


@hookimpl
def mer_register_parts(registry) -> None:  # noqa: ANN001 - the staged registry view
    registry.fusion.register("baselines.late_fusion", "mer_baselines.late_fusion:LateFusion")
    registry.head.register("baselines.logits", "mer_baselines.late_fusion:LogitsHead")
    registry.fusion.register("baselines.tfn", "mer_baselines.tensor_fusion:TensorFusion")
    registry.fusion.register("baselines.lmf", "mer_baselines.tensor_fusion:LowRankFusion")
    registry.fusion.register("baselines.mult", "mer_baselines.mult:MulT")
    registry.interaction.register("baselines.misa", "mer_baselines.misa:MISA")
    registry.fusion.register("baselines.token_transformer", "mer_baselines.misa:TokenTransformerFusion")
    registry.fusion.register("baselines.mmgcn", "mer_baselines.mmgcn:MMGCN")
    register_config_dir(registry, CONFIG_DIR)
