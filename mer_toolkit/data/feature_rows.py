"""References to one utterance's rows of a memory-mapped feature file, turned into tensors only when read.

A cached corpus holds one of these per utterance and modality instead of a tensor view: a view costs
about 1.2 KB of process memory each (tensor, storage and array objects), a reference under 100 bytes,
so a corpus of pooled features keeps its memory nearly flat in its size.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

__all__ = ["FeatureRows", "StandardizedRows", "as_tensor", "is_feature"]


class FeatureRows:
    """Rows ``offset .. offset+length`` of a ``[N, D]`` array; ``pooled`` gives a ``[D]`` vector (length 1)."""

    __slots__ = ("data", "offset", "length", "pooled")

    def __init__(self, data: np.ndarray, offset: int, length: int, pooled: bool) -> None:
        self.data, self.offset, self.length, self.pooled = data, offset, length, pooled

    @property
    def shape(self) -> tuple[int, ...]:
        dim = int(self.data.shape[1])
        return (dim,) if self.pooled else (self.length, dim)

    def tensor(self) -> torch.Tensor:
        """A tensor view of the rows (pages are read from the file on access, never copied here)."""
        x = torch.from_numpy(self.data[self.offset:self.offset + self.length])
        return x[0] if self.pooled else x

    def __repr__(self) -> str:
        return f"FeatureRows(offset={self.offset}, shape={self.shape})"


class StandardizedRows:
    """A feature (tensor or ``FeatureRows``) read as ``(x - mean) / scale``: standardised when collated, so a
    cached corpus stays memory-mapped (``data.feature_norm``)."""

    __slots__ = ("base", "mean", "scale")

    def __init__(self, base: Any, mean: torch.Tensor, scale: torch.Tensor) -> None:
        self.base, self.mean, self.scale = base, mean, scale

    @property
    def shape(self) -> tuple[int, ...]:
        return tuple(self.base.shape)

    def tensor(self) -> torch.Tensor:
        return (as_tensor(self.base).float() - self.mean) / self.scale

    def __repr__(self) -> str:
        return f"StandardizedRows({self.base!r})"


def as_tensor(value: Any) -> Any:
    """``value`` as a tensor when it is a ``FeatureRows`` or ``StandardizedRows`` reference; anything else unchanged."""
    return value.tensor() if isinstance(value, (FeatureRows, StandardizedRows)) else value


def is_feature(value: Any) -> bool:
    """Whether ``value`` is a precomputed feature (a tensor or a reference to one), not text or audio."""
    return isinstance(value, (torch.Tensor, FeatureRows, StandardizedRows))
