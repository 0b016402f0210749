"""The ``official`` protocol: the split each sample's ``meta['split']`` names (train / val / test)."""

from __future__ import annotations

from ...errors import DataError
from ..corpus import Corpus, Fold, Protocol

__all__ = ["OfficialSplit", "SPLIT_ALIASES"]

SPLIT_ALIASES = {"train": "train", "val": "val", "valid": "val", "dev": "val", "validation": "val", "test": "test"}


class OfficialSplit(Protocol):
    """One fold from the dataset's own split labels; validation is used for selection, test only to report."""

    name = "official"

    def folds(self, corpus: Corpus) -> list[Fold]:
        parts: dict[str, list] = {"train": [], "val": [], "test": []}
        for s in corpus.samples:
            split = SPLIT_ALIASES.get(str(s.meta.get("split", "")).lower())
            if split is None:
                raise DataError(f"dataset '{corpus.name}' ({corpus.source}): utterance '{s.id}' has split "
                                f"{s.meta.get('split')!r}; the official protocol expects one of "
                                f"{sorted(SPLIT_ALIASES)}")
            parts[split].append(s)
        return [Fold("official", parts["train"], parts["val"], parts["test"], protocol=self.name)]


def register(registry) -> None:  # noqa: ANN001 - the staged registry view
    registry.protocol.register("official", OfficialSplit)
