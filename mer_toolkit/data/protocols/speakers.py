"""Speaker-independent protocols for any corpus with speakers (manifests, RAVDESS, ...).

- ``by_speaker``: one split; explicit speaker lists, or seeded fractions of the speakers.
- ``speaker_kfold``: ``k`` folds by speaker; each fold's validation speakers come from its training speakers.

No speaker ever appears in two splits of a fold.
"""

from __future__ import annotations

import random
from collections import defaultdict

from ...errors import DataError
from ..corpus import Corpus, Fold, Protocol
from ..sample import Sample
from .random_split import check_fractions

__all__ = ["BySpeaker", "SpeakerKFold", "draw_speakers", "speaker_groups"]


def speaker_groups(corpus: Corpus, protocol: str) -> dict[str, list[Sample]]:
    """Utterances per speaker; an utterance without a speaker is an error naming it."""
    groups: dict[str, list[Sample]] = defaultdict(list)
    for s in corpus.samples:
        if not s.speaker:
            raise DataError(f"protocol '{protocol}': utterance '{s.id}' of dataset '{corpus.name}' "
                            f"({corpus.source or 'in memory'}) has no speaker; add a speaker column to the manifest "
                            "or use the random protocol")
        groups[s.speaker].append(s)
    return dict(groups)


def draw_speakers(speakers: list[str], fraction: float, rng: random.Random) -> list[str]:
    """A seeded ``fraction`` of ``speakers`` (at least one)."""
    order = sorted(speakers)
    rng.shuffle(order)
    return sorted(order[:max(1, round(len(order) * fraction))])


def _fold(name: str, protocol: str, groups: dict[str, list[Sample]], train: list[str], val: list[str],
          test: list[str]) -> Fold:
    pick = lambda speakers: [x for spk in sorted(speakers) for x in groups[spk]]  # noqa: E731
    return Fold(name, pick(train), pick(val), pick(test), protocol=protocol)


class BySpeaker(Protocol):
    """One speaker-independent split: ``val_speakers``/``test_speakers`` lists, or seeded ``val``/``test``
    fractions of the speakers; the remaining speakers train."""

    name = "by_speaker"
    speaker_independent = True

    def __init__(self, val_speakers: list[str] | None = None, test_speakers: list[str] | None = None,
                 val: float = 0.1, test: float = 0.2, seed: int = 0) -> None:
        check_fractions(self.name, val, test)
        self.val_speakers = [str(s) for s in val_speakers] if val_speakers else None
        self.test_speakers = [str(s) for s in test_speakers] if test_speakers else None
        both = sorted(set(self.val_speakers or ()) & set(self.test_speakers or ()))
        if both:
            raise DataError(f"protocol '{self.name}': speakers {both} are in both val_speakers and test_speakers")
        self.val, self.test, self.seed = val, test, seed

    def folds(self, corpus: Corpus) -> list[Fold]:
        groups = speaker_groups(corpus, self.name)
        unknown = sorted((set(self.val_speakers or ()) | set(self.test_speakers or ())) - set(groups))
        if unknown:
            raise DataError(f"protocol '{self.name}': speakers {unknown} are not in dataset '{corpus.name}' "
                            f"(its speakers: {', '.join(sorted(groups)[:30])}{' ...' if len(groups) > 30 else ''})")
        if len(groups) < 3:
            raise DataError(f"protocol '{self.name}': dataset '{corpus.name}' has {len(groups)} speaker(s); a "
                            "speaker-independent train/val/test split needs at least 3")
        rng = random.Random(self.seed)
        free = [s for s in groups if s not in (self.val_speakers or ())]
        test = self.test_speakers or draw_speakers(free, self.test, rng)
        rest = [s for s in groups if s not in test]
        val = self.val_speakers or draw_speakers(rest, self.val / (1 - self.test), rng)
        train = [s for s in rest if s not in val]
        return [_fold(self.name, self.name, groups, train, val, test)]


class SpeakerKFold(Protocol):
    """``k`` folds over the speakers, each tested once; validation = a ``val`` fraction of the training speakers.

    Speakers are shuffled with ``seed``, or taken in ``speaker_order`` as ``k`` consecutive blocks.
    """

    name = "speaker_kfold"
    speaker_independent = True

    def __init__(self, k: int = 5, val: float = 0.15, seed: int = 0, speaker_order: list[str] | None = None) -> None:
        if not isinstance(k, int) or k < 2:
            raise DataError(f"protocol '{self.name}': k={k!r}; expected a whole number of folds, at least 2")
        check_fractions(self.name, val)
        self.k, self.val, self.seed = k, val, seed
        self.order = [str(s) for s in speaker_order] if speaker_order else None

    def folds(self, corpus: Corpus) -> list[Fold]:
        groups = speaker_groups(corpus, self.name)
        n = len(groups)
        if n < self.k or n - -(-n // self.k) < 2:
            raise DataError(f"protocol '{self.name}': dataset '{corpus.name}' has {n} speaker(s); k={self.k} folds "
                            "need at least k speakers, and 2 speakers left for training and validation in every fold")
        if self.order:
            missing = sorted(set(self.order) ^ set(groups))
            if missing:
                raise DataError(f"protocol '{self.name}': speaker_order and the speakers of dataset '{corpus.name}' "
                                f"differ in {missing[:10]}; it must list each speaker once")
            order = list(self.order)
        else:
            order = sorted(groups)
            random.Random(self.seed).shuffle(order)
        blocks = [order[i * n // self.k:(i + 1) * n // self.k] for i in range(self.k)]
        folds = []
        for i, test in enumerate(blocks):
            rest = [s for s in order if s not in test]
            val = draw_speakers(rest, self.val, random.Random(self.seed * 1000 + i))
            train = [s for s in rest if s not in val]
            folds.append(_fold(f"fold{i + 1}", self.name, groups, train, val, test))
        return folds
