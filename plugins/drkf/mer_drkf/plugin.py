"""Registers DRKF's parts and model configs with mer-toolkit (entry point ``drkf``).

Parts are registered by import path: listing them imports neither torch nor DRKF's modules.
"""

from __future__ import annotations

from pathlib import Path

from mer_toolkit.api import hookimpl, register_config_dir

CONFIG_DIR = Path(__file__).parent / "configs"
PUBLISHED = Path(__file__).with_name("published.yaml")


@hookimpl
def mer_register_parts(registry) -> None:  # noqa: ANN001 - the staged registry view
    registry.interaction.register("drkf.orl", "mer_drkf.orl:ORL")
    registry.fusion.register("drkf.fusion_encoder", "mer_drkf.fusion_encoder:FusionEncoder")
    registry.head.register("drkf.ec", "mer_drkf.heads:EmotionClassifier")
    register_config_dir(registry, CONFIG_DIR)


@hookimpl
def mer_published_figures() -> Path:
    return PUBLISHED
