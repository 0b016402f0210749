"""KF's EC head (DRKF, arXiv 2508.01644): emotion classification from the fused CLS vector.

ED, the other KF task, runs the Fusion Encoder itself on mismatched inputs, so it lives in
``fusion_encoder.py``.
"""

from __future__ import annotations

from mer_toolkit.api import LinearHead

__all__ = ["EmotionClassifier"]


class EmotionClassifier(LinearHead):
    """EC: a linear layer on the fused CLS representation (the ``drkf`` config sets no dropout, as the reference)."""
