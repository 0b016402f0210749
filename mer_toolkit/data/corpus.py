"""A loaded dataset (``Corpus``), the splits a protocol makes of it (``Fold``), and the ``Protocol`` base.

Datasets are registered factories ``(root=None, **options) -> Corpus``; protocols are registered
classes whose ``folds(corpus)`` returns the folds. A fold's validation split (used for model
selection) never overlaps its test split: ``Fold`` refuses to exist otherwise.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import torch

from ..errors import DataError
from .feature_rows import as_tensor
from .sample import Sample

__all__ = ["Corpus", "Fold", "Protocol"]


@dataclass
class Corpus:
    """Utterances of one dataset with its label names and the protocol it is usually run with.

    ``audio_modalities`` are the modalities whose string values are audio files (decoded when read); the
    dataset declares them when it registers (``audio=``), and loading a dataset by name sets them here.
    ``unrestricted`` holds every utterance as loaded when ``samples`` was cut to some labels (cross-corpus).
    """

    name: str
    label_names: list[str]
    samples: list[Sample]
    default_protocol: str = "official"
    source: str = ""
    problems: list[str] = field(default_factory=list)
    info: dict[str, Any] = field(default_factory=dict)
    audio_modalities: tuple[str, ...] = ("audio",)
    unrestricted: list[Sample] = field(default_factory=list, repr=False)

    def __post_init__(self) -> None:
        seen: set[str] = set()
        dups = [s.id for s in self.samples if s.id in seen or seen.add(s.id)]  # type: ignore[func-returns-value]
        if dups:
            raise DataError(f"dataset '{self.name}' ({self.source or 'in memory'}): duplicated utterance ids "
                            f"{dups[:5]}{' ...' if len(dups) > 5 else ''}; every utterance id must be unique")

    @property
    def population(self) -> list[Sample]:
        """Every utterance of the corpus whatever its label: the unlabelled population of ``data.feature_norm``."""
        return self.unrestricted or self.samples

    @property
    def num_classes(self) -> int:
        return len(self.label_names)

    @property
    def modalities(self) -> list[str]:
        """Modalities any utterance has (presence is per utterance: see ``absent``)."""
        return list(dict.fromkeys(m for s in self.samples for m in s.modalities))

    def absent(self) -> dict[str, list[str]]:
        """Modality → ids of the utterances that lack it (a missing clip, a file without that stream)."""
        mods = self.modalities
        return {m: ids for m in mods if (ids := [s.id for s in self.samples if m not in s.modalities])}

    def label_counts(self, samples: list[Sample] | None = None) -> dict[str, int]:
        """Utterances per label name (``unlabeled`` for -1)."""
        counts = Counter(s.label for s in (self.samples if samples is None else samples))
        return {(self.label_names[k] if k >= 0 else "unlabeled"): v for k, v in sorted(counts.items())}

    def by_id(self) -> dict[str, Sample]:
        """Samples keyed by utterance id."""
        return {s.id: s for s in self.samples}

    def check_features(self) -> None:
        """Refuse NaN/inf in precomputed features: they would silently poison training."""
        bad = [f"{s.id} ({m})" for s in self.samples for m, value in s.modalities.items()
               if isinstance(v := as_tensor(value), torch.Tensor) and v.is_floating_point()
               and not bool(torch.isfinite(v).all())]
        if bad:
            raise DataError(f"dataset '{self.name}' ({self.source or 'in memory'}): {len(bad)} utterance(s) have "
                            f"NaN or inf feature values, e.g. {', '.join(bad[:5])}; clean or re-extract the features")


@dataclass
class Fold:
    """Sample lists of one train/val/test split; ``name`` identifies the fold (e.g. ``session5``).

    ``test_corpus`` names another corpus whose utterances form the test split (a cross-corpus fold), else empty;
    ``test_population`` is then every utterance of that corpus, whatever its label.
    """

    name: str
    train: list[Sample]
    val: list[Sample]
    test: list[Sample]
    protocol: str = ""
    selection: str = "val"
    test_corpus: str = ""
    test_population: list[Sample] = field(default_factory=list, repr=False)

    def __post_init__(self) -> None:
        for split in ("train", "val", "test"):
            if not getattr(self, split):
                raise DataError(f"protocol '{self.protocol}' fold '{self.name}': the {split} split is empty; "
                                "check the dataset root and the label filter")
        test_ids = {s.id for s in self.test}
        leak_val = [s.id for s in self.val if s.id in test_ids]
        leak_train = [s.id for s in self.train if s.id in test_ids]
        if leak_val or leak_train:
            raise DataError(f"protocol '{self.protocol}' fold '{self.name}': {len(leak_val)} validation and "
                            f"{len(leak_train)} training utterances are also in the test split (e.g. "
                            f"{(leak_val + leak_train)[:3]}); model selection on test data is refused")

    def sizes(self) -> dict[str, int]:
        """Utterances per split."""
        return {"train": len(self.train), "val": len(self.val), "test": len(self.test)}


class Protocol:
    """A named rule that turns a corpus into folds. Subclasses implement ``folds``.

    ``speaker_independent`` is the protocol's claim that no test speaker is seen in training; the
    guardrails check it on every fold.
    """

    name = "protocol"
    speaker_independent = False

    def folds(self, corpus: Corpus) -> list[Fold]:
        """The train / val / test folds of ``corpus`` under this protocol."""
        raise NotImplementedError
