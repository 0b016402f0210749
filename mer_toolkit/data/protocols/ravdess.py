"""RAVDESS protocols: the speaker-independent split (actors 1–18 / 19–20 / 21–24) and 6 folds by actor."""

from __future__ import annotations

from ..datasets.ravdess import actor
from .speakers import BySpeaker, SpeakerKFold

__all__ = ["RavdessSI", "Ravdess6Fold"]


class RavdessSI(BySpeaker):
    """RAVDESS speaker-independent split: actors 1–18 train, 19–20 validation, 21–24 test."""

    name = "ravdess_si"

    def __init__(self) -> None:
        super().__init__(val_speakers=[actor(a) for a in (19, 20)], test_speakers=[actor(a) for a in range(21, 25)])


class Ravdess6Fold(SpeakerKFold):
    """RAVDESS 6 folds of 4 consecutive actors (1–4, 5–8, ...); validation actors drawn from each fold's training
    actors with ``seed``."""

    name = "ravdess_6fold"

    def __init__(self, val: float = 0.1, seed: int = 0) -> None:
        super().__init__(k=6, val=val, seed=seed, speaker_order=[actor(a) for a in range(1, 25)])
