"""The ``emobox`` protocol: the folds EmoBox (Ma et al. 2024) publishes with its metadata, as the ``emobox``
dataset records them (``meta['emobox_folds']``: fold number → train / valid / test).

Each fold keeps EmoBox's train and test lists. Its validation split is the fold's own valid list where
EmoBox has one (M3ED, MELD); elsewhere EmoBox splits 20 % of the training utterances at random, which puts
validation speakers in training, so here a ``val`` fraction of the fold's training speakers is held out
whole instead (drawn with ``seed``).
"""

from __future__ import annotations

import random

from ...errors import DataError
from ..corpus import Corpus, Fold, Protocol
from ..sample import Sample
from .random_split import check_fractions
from .speakers import draw_speakers

__all__ = ["EmoBoxFolds", "FoldSplits"]

FoldSplits = dict[str, list[Sample]]
EMOBOX_SPLITS = {"train": "train", "valid": "val", "test": "test"}


class EmoBoxFolds(Protocol):
    """One fold per EmoBox fold, in fold order; validation from the fold's valid list or held-out training
    speakers. Subclasses that know the folds without the metadata override ``fold_splits``."""

    name = "emobox"

    def __init__(self, val: float = 0.1, seed: int = 0) -> None:
        check_fractions(self.name, val)
        self.val, self.seed = val, seed

    def fold_splits(self, corpus: Corpus) -> list[tuple[str, FoldSplits]]:
        """(fold name, split → utterances) of every EmoBox fold the corpus' utterances name."""
        folds: dict[int, FoldSplits] = {}
        for s in corpus.samples:
            membership = s.meta.get("emobox_folds")
            if not isinstance(membership, dict):
                raise DataError(f"protocol '{self.name}': utterance '{s.id}' of dataset '{corpus.name}' "
                                f"({corpus.source or 'in memory'}) has no EmoBox folds; this protocol needs a corpus "
                                "read from EmoBox's metadata (dataset 'emobox')")
            for fold, split in membership.items():
                folds.setdefault(int(fold), {"train": [], "val": [], "test": []})[EMOBOX_SPLITS[split]].append(s)
        return [(f"fold{k}", folds[k]) for k in sorted(folds)]

    def folds(self, corpus: Corpus) -> list[Fold]:
        out = []
        for i, (name, parts) in enumerate(self.fold_splits(corpus)):
            train, val = parts["train"], parts["val"]
            if not val:
                train, val = self._hold_out_speakers(corpus, train, random.Random(self.seed * 1000 + i))
            out.append(Fold(name, train, val, parts["test"], protocol=self.name))
        return out

    def _hold_out_speakers(self, corpus: Corpus, train: list[Sample], rng: random.Random) -> tuple[list, list]:
        """(train, val): a ``val`` fraction of the training speakers (at least one) moved whole to validation."""
        nameless = next((s.id for s in train if not s.speaker), None)
        if nameless is not None:
            raise DataError(f"protocol '{self.name}': utterance '{nameless}' of dataset '{corpus.name}' has no speaker; "
                            "validation is drawn from the training speakers")
        speakers = sorted({s.speaker for s in train})
        if len(speakers) < 2:
            raise DataError(f"protocol '{self.name}': a fold of dataset '{corpus.name}' trains on {len(speakers)} "
                            "speaker(s) and has no valid list; drawing validation speakers needs at least 2")
        held = set(draw_speakers(speakers, self.val, rng))
        return [s for s in train if s.speaker not in held], [s for s in train if s.speaker in held]
