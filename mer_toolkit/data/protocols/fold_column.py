"""The ``by_fold`` protocol: cross-validation over the folds a dataset names itself (a manifest's ``fold`` column)."""

from __future__ import annotations

from .groups import LeaveOneGroupOut

__all__ = ["ByFold"]


class ByFold(LeaveOneGroupOut):
    """One fold per value of ``meta['fold']``: that fold tests, validation = ``val_fraction`` of the other folds'
    dialogues (chosen with ``seed``), the rest trains."""

    name = "by_fold"

    def __init__(self, val_fraction: float = 0.1, seed: int = 0) -> None:
        super().__init__(group_key="fold", val_fraction=val_fraction, seed=seed)
