"""Group-based protocols: leave-one-group-out (IEMOCAP's leave-one-session-out) and held-out groups.

Validation always comes from the training groups, so model selection never sees the test group: whole
dialogues chosen by a seeded shuffle, or (leave-one-group-out with ``validation: speakers``) every speaker of
one training group, so that validation speakers are unseen in training as the test speakers are.
"""

from __future__ import annotations

import random
from collections import defaultdict

from ...errors import DataError
from ..corpus import Corpus, Fold, Protocol
from ..sample import Sample

__all__ = ["carve_validation", "LeaveOneGroupOut", "HeldOutGroups", "IEMOCAP4", "IEMOCAP6", "IEMOCAP6Sessions"]

VALIDATION = ("dialogues", "speakers")


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
    """One fold per group value (e.g. session): that group is the test split, validation comes from the rest.

    ``validation: dialogues`` carves ``val_fraction`` of the training groups' dialogues; ``validation: speakers``
    holds out every speaker of one training group (the next group after the test one, in sorted order, so each
    group validates once): a group's dialogues stay whole, and no validation speaker is a training speaker.
    """

    name = "leave_one_group_out"

    def __init__(self, group_key: str = "session", val_fraction: float = 0.1, seed: int = 0,
                 validation: str = "dialogues") -> None:
        if validation not in VALIDATION:
            raise DataError(f"protocol '{self.name}': validation={validation!r}; expected one of {list(VALIDATION)}")
        self.group_key, self.val_fraction, self.seed, self.validation = group_key, val_fraction, seed, validation

    def folds(self, corpus: Corpus) -> list[Fold]:
        groups = _groups(corpus, self.group_key)
        need = 3 if self.validation == "speakers" else 2
        if len(groups) < need:
            raise DataError(f"dataset '{corpus.name}': leave-one-{self.group_key}-out with validation="
                            f"{self.validation} needs at least {need} {self.group_key}s, found {sorted(groups)}")
        order = sorted(groups)
        folds = []
        for i, g in enumerate(order):
            rest = [s for k in order if k != g for s in groups[k]]
            if self.validation == "speakers":
                train, val = self._speaker_validation(corpus, groups, rest, order[(i + 1) % len(order)])
            else:
                train, val = carve_validation(rest, self.val_fraction, self.seed)
            folds.append(Fold(f"{self.group_key}{g}", train, val, groups[g], protocol=self.name))
        return folds

    def _speaker_validation(self, corpus: Corpus, groups: dict[str, list[Sample]], rest: list[Sample],
                            held: str) -> tuple[list[Sample], list[Sample]]:
        """(train, val): validation is every utterance of the speakers of group ``held``."""
        anonymous = [s.id for s in rest if not s.speaker]
        if anonymous:
            raise DataError(f"protocol '{self.name}' with validation=speakers: {len(anonymous)} utterance(s) of "
                            f"dataset '{corpus.name}' have no speaker (e.g. {anonymous[:3]}); use "
                            "validation=dialogues")
        speakers = {s.speaker for s in groups[held]}
        shared = sorted(speakers & {s.speaker for k, v in groups.items() if k != held for s in v})
        if shared:
            raise DataError(f"protocol '{self.name}' with validation=speakers: speakers {shared[:5]} of "
                            f"{self.group_key} {held} also speak in other {self.group_key}s of dataset "
                            f"'{corpus.name}', so they cannot be held out of training")
        return [s for s in rest if s.speaker not in speakers], [s for s in rest if s.speaker in speakers]


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


class IEMOCAP6Sessions(LeaveOneGroupOut):
    """IEMOCAP 6-class leave-one-session-out over all five sessions (5 folds, each session tested once);
    validation from the training sessions' dialogues, or (``validation: speakers``) one training session's
    two actors."""

    name = "iemocap6_loso"
    speaker_independent = True


class IEMOCAP6(HeldOutGroups):
    """IEMOCAP 6-class ERC split: sessions 1–4 train+val (the file's own valid ids when given), session 5 test."""

    name = "iemocap6"
    speaker_independent = True
