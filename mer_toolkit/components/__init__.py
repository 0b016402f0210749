"""Builtin model parts, registered through the same plugin hook third-party parts use.

Each is registered by import path, so listing them imports neither torch nor the part's module.
"""

from __future__ import annotations

from ..plugins.hookspecs import hookimpl


@hookimpl
def mer_register_parts(registry) -> None:  # noqa: ANN001 - the staged registry view
    registry.encoder.register("features", "mer_toolkit.components.features_encoder:FeatureEncoder")
    registry.adapter.register("mlp", "mer_toolkit.components.adapters:MLPAdapter")
    registry.fusion.register("concat", "mer_toolkit.components.fusion:ConcatFusion")
    registry.fusion.register("mean", "mer_toolkit.components.fusion:MeanFusion")
    registry.fusion.register("gated_sum", "mer_toolkit.components.fusion:GatedSumFusion")
    registry.head.register("linear", "mer_toolkit.components.heads:LinearHead")
    registry.head.register("mlp", "mer_toolkit.components.heads:MLPHead")
    registry.head.register("dialogue_rnn", "mer_toolkit.components.context_head:DialogueContextHead")
    registry.loss.register("cross_entropy", "mer_toolkit.components.losses:CrossEntropy")
