"""``data.feature_norm``: standardise precomputed features per modality by the statistics of a group of utterances.

- ``train`` (default): the features pass as cached; a model standardises them by training-split statistics with
  its ``features`` encoder's ``norm: standardize`` (in the model, so its checkpoint carries them to new data).
- ``corpus``: each corpus by its own statistics, over all of its utterances (train, validation and test); a
  cross-corpus test corpus by its own.
- ``speaker``: each speaker (within its corpus) by the statistics of its own utterances, test speakers included.

Statistics are per dimension, over pooled vectors or over every frame of frame sequences. No label is read, not
even to choose the utterances: a corpus cut to the emotions it shares with another (cross-corpus) is standardised
by the statistics of all its utterances (``Corpus.population``), as an unlabelled corpus would be.
A speaker with fewer than ``MIN_UTTERANCES`` utterances of a modality (one pooled vector has no variance) is
standardised by its corpus's statistics instead, and a dimension that is constant within a group is only
centred, so the result is always finite.
"""

from __future__ import annotations

import dataclasses
import typing
from collections import defaultdict
from typing import Any

import torch

from ..config.sections import FeatureNorm
from ..errors import ConfigError
from .corpus import Corpus, Fold
from .feature_rows import StandardizedRows, as_tensor, is_feature
from .sample import Sample

__all__ = ["FeatureNorm", "FEATURE_NORMS", "MIN_UTTERANCES", "normalize_fold", "group_statistics"]

FEATURE_NORMS: tuple[str, ...] = typing.get_args(FeatureNorm)
MIN_UTTERANCES = 2
EPS = 1e-6

Group = tuple[str, str]  # (corpus, speaker or "" for the whole corpus)


@dataclasses.dataclass
class Moments:
    """Running per-dimension sums of one group's steps (float64, so long frame sequences stay exact enough)."""

    utterances: int = 0
    steps: int = 0
    total: torch.Tensor | None = None
    squares: torch.Tensor | None = None

    def add(self, x: torch.Tensor) -> None:
        x = x.reshape(-1, x.shape[-1]).double()
        self.utterances += 1
        self.steps += x.shape[0]
        s, q = x.sum(0), (x * x).sum(0)
        self.total = s if self.total is None else self.total + s
        self.squares = q if self.squares is None else self.squares + q

    def standardizer(self) -> tuple[torch.Tensor, torch.Tensor]:
        """``(mean, scale)`` in float32; a constant dimension gets scale 1 (centred only)."""
        assert self.total is not None and self.squares is not None
        mean = self.total / self.steps
        std = (self.squares / self.steps - mean * mean).clamp_min(0).sqrt()
        return mean.float(), torch.where(std > EPS, std, torch.ones_like(std)).float()


def group_statistics(groups: dict[Group, list[Sample]], modalities: list[str]
                     ) -> dict[tuple[Group, str], Moments]:
    """Moments of every (group, modality) over the utterances that have the modality."""
    stats: dict[tuple[Group, str], Moments] = defaultdict(Moments)
    for key, samples in groups.items():
        for s in samples:
            for m in modalities:
                if m in s.modalities:
                    stats[(key, m)].add(as_tensor(s.modalities[m]))
    return stats


def _populations(fold: Fold, corpus: Corpus) -> dict[str, list[Sample]]:
    """Corpus name → its utterances whatever their label, with the fold's own (so every one is in its group)."""
    splits = fold.train + fold.val + ([] if fold.test_corpus else fold.test)
    out = {corpus.name: _unique(corpus.population + splits)}
    if fold.test_corpus:
        out[fold.test_corpus] = _unique(fold.test_population + fold.test)
    return out


def _unique(samples: list[Sample]) -> list[Sample]:
    return list({s.id: s for s in reversed(samples)}.values())


def normalize_fold(fold: Fold, mode: str, corpus: Corpus) -> tuple[Fold, dict[str, Any]]:
    """``fold`` of ``corpus`` with its feature modalities standardised per group, and a summary for the record."""
    if mode not in FEATURE_NORMS:
        raise ConfigError(f"data.feature_norm = {mode!r} is not one of {list(FEATURE_NORMS)}")
    if mode == "train":
        return fold, {"mode": "train"}
    splits = {"train": fold.train, "val": fold.val, "test": fold.test}
    home = {name: (fold.test_corpus if name == "test" and fold.test_corpus else corpus.name) for name in splits}
    populations = _populations(fold, corpus)
    if mode == "speaker":
        anonymous = {name: [s.id for s in samples if not s.speaker] for name, samples in populations.items()}
        if any(anonymous.values()):
            ids = [i for v in anonymous.values() for i in v]
            raise ConfigError(f"data.feature_norm = 'speaker': {len(ids)} utterance(s) of "
                              f"{sorted(k for k, v in anonymous.items() if v)} have no speaker id (e.g. {ids[:3]}); "
                              "speaker statistics need one per utterance (a speaker column in the manifest). Use "
                              "data.feature_norm=corpus or train instead")
    modalities = sorted({m for samples in populations.values() for s in samples for m, v in s.modalities.items()
                         if is_feature(v)})
    corpus_groups: dict[Group, list[Sample]] = {(name, ""): samples for name, samples in populations.items()}
    speaker_groups: dict[Group, list[Sample]] = defaultdict(list)
    if mode == "speaker":
        for name, samples in populations.items():
            for s in samples:
                speaker_groups[(name, s.speaker)].append(s)
    corpus_stats = {k: v.standardizer() for k, v in group_statistics(corpus_groups, modalities).items()}
    own: dict[tuple[Group, str], tuple[torch.Tensor, torch.Tensor]] = {}
    fallback: dict[str, int] = defaultdict(int)
    for (key, m), moments in group_statistics(speaker_groups, modalities).items():
        if moments.utterances >= MIN_UTTERANCES:
            own[(key, m)] = moments.standardizer()
        else:
            fallback[m] += moments.utterances

    def standardized(s: Sample, name: str) -> Sample:
        mods = {}
        for m, v in s.modalities.items():
            if m in modalities:
                mean, scale = own.get(((name, s.speaker), m)) or corpus_stats[((name, ""), m)]
                v = StandardizedRows(v, mean, scale)
            mods[m] = v
        return dataclasses.replace(s, modalities=mods)

    new = {name: [standardized(s, home[name]) for s in samples] for name, samples in splits.items()}
    summary: dict[str, Any] = {"mode": mode, "modalities": modalities,
                               "groups": len(speaker_groups if mode == "speaker" else corpus_groups)}
    if mode == "speaker":
        summary["corpus_fallback_utterances"] = dict(fallback)
    return dataclasses.replace(fold, **new), summary
