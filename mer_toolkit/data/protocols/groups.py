"""Group-based protocols: leave-one-group-out (IEMOCAP's leave-one-session-out) and held-out groups.

Validation is always carved from the training groups — whole dialogues, chosen by a seeded shuffle —
so model selection never sees the test group.
"""

from __future__ import annotations

import random
from collections import defaultdict

from ...errors import DataError
from ..corpus import Corpus, Fold, Protocol
from ..sample import Sample

__all__ = ["carve_validation", "LeaveOneGroupOut", "HeldOutGroups", "IEMOCAP4", "IEMOCAP6"]


def carve_validation(samples: list[Sample], fraction: float, seed: int) -> tuple[list[Sample], list[Sample]]:
    """Split ``samples`` into (train, val) by whole dialogues; ``fraction`` of dialogues go to val."""
    if not 0 < fraction < 1:
        raise DataError(f"val_fraction must be between 0 and 1, got {fraction}")
    dialogues = sorted({s.dialogue_id for s in samples})
    random.Random(seed).shuffle(dialogues)
    n_val = max(1, round(len(dialogues) * fraction))
    val_ids = set(dialogues[:n_val])
    return [s for s in samples if s.dialogue_id not in val_ids], [s for s in samples if s.dialogue_id in val_ids]


def _groups(corpus: Corpus, key: str) -> dict[str, list[Sample]]:
    out: dict[str, list[Sample]] = defaultdict(list)
    for s in corpus.samples:
        if key not in s.meta:
            raise DataError(f"dataset '{corpus.name}': utterance '{s.id}' has no '{key}'; this protocol groups by it")
        out[str(s.meta[key])].append(s)
    return dict(out)


class LeaveOneGroupOut(Protocol):
    """One fold per group value (e.g. session): that group is the test split, validation comes from the rest."""

    name = "leave_one_group_out"

    def __init__(self, group_key: str = "session", val_fraction: float = 0.1, seed: int = 0) -> None:
        self.group_key, self.val_fraction, self.seed = group_key, val_fraction, seed

    def folds(self, corpus: Corpus) -> list[Fold]:
        groups = _groups(corpus, self.group_key)
        if len(groups) < 2:
            raise DataError(f"dataset '{corpus.name}': leave-one-{self.group_key}-out needs at least two "
                            f"{self.group_key}s, found {sorted(groups)}")
        folds = []
        for g in sorted(groups):
            rest = [s for k, v in sorted(groups.items()) if k != g for s in v]
            train, val = carve_validation(rest, self.val_fraction, self.seed)
            folds.append(Fold(f"{self.group_key}{g}", train, val, groups[g], protocol=self.name))
        return folds


class HeldOutGroups(Protocol):
    """Fixed test groups; validation from the dataset's own ``val`` split if it has one, else carved."""

    name = "held_out_groups"

    def __init__(self, group_key: str = "session", test_groups: list[str] | None = None, val_fraction: float = 0.1,
                 seed: int = 0) -> None:
        self.group_key, self.test_groups = group_key, [str(g) for g in (test_groups or ["5"])]
        self.val_fraction, self.seed = val_fraction, seed

    def folds(self, corpus: Corpus) -> list[Fold]:
        groups = _groups(corpus, self.group_key)
        test = [s for g in self.test_groups for s in groups.get(g, [])]
        rest = [s for g, v in sorted(groups.items()) if g not in self.test_groups for s in v]
        given_val = [s for s in rest if s.meta.get("split") == "val"]
        if given_val:
            train, val = [s for s in rest if s.meta.get("split") != "val"], given_val
        else:
            train, val = carve_validation(rest, self.val_fraction, self.seed)
        name = f"{self.group_key}{'+'.join(self.test_groups)}"
        return [Fold(name, train, val, test, protocol=self.name)]


class IEMOCAP4(LeaveOneGroupOut):
    """IEMOCAP 4-class: leave-one-session-out, 5 folds; validation = 10 % of training-session dialogues."""

    name = "iemocap4"
    speaker_independent = True  # each session has its own two actors


class IEMOCAP6(HeldOutGroups):
    """IEMOCAP 6-class ERC split: sessions 1–4 train+val (the file's own valid ids when given), session 5 test."""

    name = "iemocap6"
    speaker_independent = True
