"""The ``official`` protocol: the split each sample's ``meta['split']`` names (train / val / test)."""

from __future__ import annotations

from ...errors import DataError
from ..corpus import Corpus, Fold, Protocol

__all__ = ["OfficialSplit", "SPLIT_ALIASES"]

SPLIT_ALIASES = {"train": "train", "val": "val", "valid": "val", "dev": "val", "validation": "val", "test": "test"}


class OfficialSplit(Protocol):
    """One fold from the dataset's own split labels; validation is used for selection, test only to report.

    Sources that define only train and test (e.g. the ERC feature pickles) get a validation split of
    ``val_fraction`` of the training dialogues, chosen with ``seed``.
    """

    name = "official"

    def __init__(self, val_fraction: float = 0.1, seed: int = 0) -> None:
        self.val_fraction, self.seed = val_fraction, seed

    def folds(self, corpus: Corpus) -> list[Fold]:
        parts: dict[str, list] = {"train": [], "val": [], "test": []}
        for s in corpus.samples:
            split = SPLIT_ALIASES.get(str(s.meta.get("split", "")).lower())
            if split is None:
                raise DataError(f"dataset '{corpus.name}' ({corpus.source}): utterance '{s.id}' has split "
                                f"{s.meta.get('split')!r}; the official protocol expects one of "
                                f"{sorted(SPLIT_ALIASES)}")
            parts[split].append(s)
        if not parts["val"] and parts["train"]:
            from .groups import carve_validation

            parts["train"], parts["val"] = carve_validation(parts["train"], self.val_fraction, self.seed)
        return [Fold("official", parts["train"], parts["val"], parts["test"], protocol=self.name)]
