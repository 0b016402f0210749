"""Builtin model parts, registered through the same plugin hook third-party parts use."""

from __future__ import annotations

from ..hookspecs import hookimpl
from .adapters import MLPAdapter
from .features_encoder import FeatureEncoder
from .fusion import ConcatFusion, GatedSumFusion, MeanFusion
from .heads import LinearHead, MLPHead
from .losses import CrossEntropy, LossOutput, TermLoss

__all__ = ["FeatureEncoder", "MLPAdapter", "ConcatFusion", "MeanFusion", "GatedSumFusion", "LinearHead",
           "MLPHead", "CrossEntropy", "TermLoss", "LossOutput"]


@hookimpl
def mer_register_parts(registry) -> None:  # noqa: ANN001 - the staged registry view
    registry.encoder.register("features", FeatureEncoder)
    registry.adapter.register("mlp", MLPAdapter)
    registry.fusion.register("concat", ConcatFusion)
    registry.fusion.register("mean", MeanFusion)
    registry.fusion.register("gated_sum", GatedSumFusion)
    registry.head.register("linear", LinearHead)
    registry.head.register("mlp", MLPHead)
    registry.loss.register("cross_entropy", CrossEntropy)
