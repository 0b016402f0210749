"""Random and speaker-based protocols for any corpus (manifests, RAVDESS, ...).

- ``random``: stratified by label, seeded fractions; validation and test never share an utterance.
- ``by_speaker``: speaker-independent; explicit speaker lists or seeded fractions of speakers.
- ``speaker_kfold``: k folds by speaker, validation speakers carved from the training speakers.
- ``ravdess_si`` (actors 1–18 / 19–20 / 21–24) and ``ravdess_6fold`` (6 folds of 4 actors).
"""

from __future__ import annotations

import random
from collections import defaultdict

from ...errors import DataError
from ..corpus import Corpus, Fold, Protocol
from ..sample import Sample

__all__ = ["RandomSplit", "BySpeaker", "SpeakerKFold", "RavdessSI", "Ravdess6Fold"]


def _by_speaker(corpus: Corpus) -> dict[str, list[Sample]]:
    groups: dict[str, list[Sample]] = defaultdict(list)
    for s in corpus.samples:
        if not s.speaker:
            raise DataError(f"dataset '{corpus.name}': utterance '{s.id}' has no speaker; speaker protocols need one "
                            "(add a speaker column to the manifest)")
        groups[s.speaker].append(s)
    return dict(groups)


class RandomSplit(Protocol):
    """Stratified random split of utterances (``val`` and ``test`` fractions, ``seed``)."""

    name = "random"

    def __init__(self, val: float = 0.1, test: float = 0.2, seed: int = 0) -> None:
        if not (0 < val < 1 and 0 < test < 1 and val + test < 1):
            raise DataError(f"random protocol: val ({val}) and test ({test}) must be fractions summing below 1")
        self.val, self.test, self.seed = val, test, seed

    def folds(self, corpus: Corpus) -> list[Fold]:
        rng = random.Random(self.seed)
        by_label: dict[int, list[Sample]] = defaultdict(list)
        for s in corpus.samples:
            by_label[s.label].append(s)
        train, val, test = [], [], []
        for label in sorted(by_label):
            items = sorted(by_label[label], key=lambda s: s.id)
            rng.shuffle(items)
            enough = len(items) >= 3  # keep every class in every split when it has at least 3 utterances
            n_test = max(int(enough), round(len(items) * self.test))
            n_val = max(int(enough), round(len(items) * self.val))
            test += items[:n_test]
            val += items[n_test:n_test + n_val]
            train += items[n_test + n_val:]
        return [Fold(f"random{self.seed}", train, val, test, protocol=self.name)]


def _split_speakers(speakers: list[str], fraction: float, rng: random.Random) -> tuple[list[str], list[str]]:
    order = sorted(speakers)
    rng.shuffle(order)
    k = max(1, round(len(order) * fraction))
    return order[k:], order[:k]


class BySpeaker(Protocol):
    """Speaker-independent split: ``val_speakers``/``test_speakers`` lists, or seeded fractions of speakers."""

    name = "by_speaker"

    def __init__(self, val_speakers: list[str] | None = None, test_speakers: list[str] | None = None,
                 val: float = 0.1, test: float = 0.2, seed: int = 0) -> None:
        self.val_speakers, self.test_speakers = val_speakers, test_speakers
        self.val, self.test, self.seed = val, test, seed

    def folds(self, corpus: Corpus) -> list[Fold]:
        groups = _by_speaker(corpus)
        rng = random.Random(self.seed)
        test_spk = [str(s) for s in self.test_speakers] if self.test_speakers else None
        if test_spk is None:
            _, test_spk = _split_speakers(list(groups), self.test, rng)
        rest = [s for s in groups if s not in test_spk]
        val_spk = [str(s) for s in self.val_speakers] if self.val_speakers else _split_speakers(rest, self.val, rng)[1]
        unknown = sorted(set(test_spk + val_spk) - set(groups))
        if unknown:
            raise DataError(f"by_speaker: speakers {unknown} are not in dataset '{corpus.name}' "
                            f"(speakers: {sorted(groups)[:10]}...)")
        train_spk = [s for s in rest if s not in val_spk]
        pick = lambda spk: [x for s in spk for x in groups[s]]  # noqa: E731
        return [Fold(self.name, pick(train_spk), pick(val_spk), pick(test_spk), protocol=self.name)]


class SpeakerKFold(Protocol):
    """``k`` folds over speakers; each fold's validation speakers come from its training speakers."""

    name = "speaker_kfold"

    def __init__(self, k: int = 5, val: float = 0.15, seed: int = 0, speaker_order: list[str] | None = None) -> None:
        if k < 2:
            raise DataError(f"speaker_kfold needs k >= 2, got {k}")
        self.k, self.val, self.seed, self.order = k, val, seed, speaker_order

    def folds(self, corpus: Corpus) -> list[Fold]:
        groups = _by_speaker(corpus)
        if len(groups) < self.k:
            raise DataError(f"speaker_kfold: {len(groups)} speakers cannot make {self.k} folds")
        order = list(self.order) if self.order else sorted(groups)
        if not self.order:
            random.Random(self.seed).shuffle(order)
        chunks = [order[i::self.k] for i in range(self.k)] if not self.order else \
            [order[i * len(order) // self.k:(i + 1) * len(order) // self.k] for i in range(self.k)]
        folds = []
        for i, test_spk in enumerate(chunks):
            rest = [s for s in order if s not in test_spk]
            train_spk, val_spk = _split_speakers(rest, self.val, random.Random(self.seed + i))
            pick = lambda spk: [x for s in spk for x in groups[s]]  # noqa: E731
            folds.append(Fold(f"fold{i + 1}", pick(train_spk), pick(val_spk), pick(test_spk), protocol=self.name))
        return folds


class RavdessSI(BySpeaker):
    """RAVDESS speaker-independent split: actors 1–18 train, 19–20 validation, 21–24 test."""

    name = "ravdess_si"

    def __init__(self) -> None:
        super().__init__(val_speakers=["actor19", "actor20"], test_speakers=[f"actor{a}" for a in range(21, 25)])


class Ravdess6Fold(SpeakerKFold):
    """RAVDESS 6-fold by actor (actors 1–4, 5–8, ...); validation actors from each fold's training actors."""

    name = "ravdess_6fold"

    def __init__(self, val: float = 0.1, seed: int = 0) -> None:
        super().__init__(k=6, val=val, seed=seed, speaker_order=[f"actor{a:02d}" for a in range(1, 25)])


def register(registry) -> None:  # noqa: ANN001 - the staged registry view
    for cls in (RandomSplit, BySpeaker, SpeakerKFold, RavdessSI, Ravdess6Fold):
        registry.protocol.register(cls.name, cls)
