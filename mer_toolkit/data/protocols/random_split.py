"""The ``random`` protocol: a seeded split of utterances, stratified by label, for corpora without speakers."""

from __future__ import annotations

import random
from collections import defaultdict

from ...errors import DataError
from ..corpus import Corpus, Fold, Protocol
from ..sample import Sample

__all__ = ["RandomSplit", "check_fractions"]


def check_fractions(protocol: str, val: float, test: float | None = None) -> None:
    """Refuse fractions outside (0, 1), or val + test that leave nothing for training."""
    parts = {"val": val} if test is None else {"val": val, "test": test}
    if not all(isinstance(v, (int, float)) and 0 < v < 1 for v in parts.values()) or sum(parts.values()) >= 1:
        given = ", ".join(f"{k}={v!r}" for k, v in parts.items())
        raise DataError(f"protocol '{protocol}': {given}; expected fractions between 0 and 1 that sum below 1")


class RandomSplit(Protocol):
    """Stratified random split: per label, ``test`` and ``val`` fractions of its utterances, chosen with ``seed``.

    A class with at least three utterances gets at least one in each split, so per-class scores exist.
    """

    name = "random"

    def __init__(self, val: float = 0.1, test: float = 0.2, seed: int = 0) -> None:
        check_fractions(self.name, val, test)
        self.val, self.test, self.seed = val, test, seed

    def folds(self, corpus: Corpus) -> list[Fold]:
        rng = random.Random(self.seed)
        by_label: dict[int, list[Sample]] = defaultdict(list)
        for s in corpus.samples:
            by_label[s.label].append(s)
        train: list[Sample] = []
        val: list[Sample] = []
        test: list[Sample] = []
        for label in sorted(by_label):
            items = sorted(by_label[label], key=lambda s: s.id)
            rng.shuffle(items)
            least = int(len(items) >= 3)
            n_test = max(least, round(len(items) * self.test))
            n_val = max(least, round(len(items) * self.val))
            test += items[:n_test]
            val += items[n_test:n_test + n_val]
            train += items[n_test + n_val:]
        return [Fold(f"random{self.seed}", train, val, test, protocol=self.name)]
