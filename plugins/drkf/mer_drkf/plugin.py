"""Registers DRKF's parts and model configs with mer-toolkit (entry point ``drkf``)."""

from __future__ import annotations

from pathlib import Path

from mer_toolkit import hookimpl
from mer_toolkit.configs import register_config_dir

from .fusion_encoder import FusionEncoder
from .heads import EmotionClassifier
from .orl import ORL

CONFIG_DIR = Path(__file__).parent / "configs"


@hookimpl
def mer_register_parts(registry) -> None:  # noqa: ANN001 - the staged registry view
    registry.interaction.register("drkf.orl", ORL)
    registry.fusion.register("drkf.fusion_encoder", FusionEncoder)
    registry.head.register("drkf.ec", EmotionClassifier)
    register_config_dir(registry, CONFIG_DIR)
