"""RAVDESS protocols: the speaker-independent split (actors 1–18 / 19–20 / 21–24), 6 folds of consecutive actors,
and the 6 speaker-independent folds of the EmoBox benchmark."""

from __future__ import annotations

from ...errors import DataError
from ..corpus import Corpus
from ..datasets.ravdess import actor
from .emobox import EmoBoxFolds, FoldSplits
from .speakers import BySpeaker, SpeakerKFold, speaker_groups

__all__ = ["RavdessSI", "Ravdess6Fold", "RavdessEmoBox"]

#: EmoBox's RAVDESS test actors, fold 1 to 6 (data/ravdess/fold_k/ravdess_test_fold_k.jsonl of emo-box/EmoBox)
EMOBOX_TEST_ACTORS = ((1, 11, 20, 21), (4, 10, 12, 14), (8, 9, 19, 23), (3, 5, 7, 24), (2, 15, 16, 18), (6, 13, 17, 22))


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


class RavdessEmoBox(EmoBoxFolds):
    """RAVDESS 6 folds with EmoBox's test actors on the plain ``ravdess`` dataset (no EmoBox metadata needed), so
    results sit beside EmoBox's table; EmoBox has no validation split, so each fold's validation actors (a ``val``
    fraction) are drawn from its training actors with ``seed``, as the ``emobox`` protocol does."""

    name = "ravdess_emobox"
    speaker_independent = True

    def fold_splits(self, corpus: Corpus) -> list[tuple[str, FoldSplits]]:
        groups = speaker_groups(corpus, self.name)
        listed = [actor(a) for fold in EMOBOX_TEST_ACTORS for a in fold]
        differ = sorted(set(listed) ^ set(groups))
        if differ:
            raise DataError(f"protocol '{self.name}': EmoBox's folds cover actors 1-24 but dataset '{corpus.name}' "
                            f"differs in {differ[:10]}; it needs every RAVDESS actor")
        pick = lambda speakers: [x for spk in sorted(speakers) for x in groups[spk]]  # noqa: E731
        return [(f"fold{i + 1}", {"train": pick(set(listed) - {actor(a) for a in test}), "val": [],
                                  "test": pick(actor(a) for a in test)}) for i, test in enumerate(EMOBOX_TEST_ACTORS)]
