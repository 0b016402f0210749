"""Paired significance tests between two models over the same (dataset, fold, seed) cells.

Both tests are exact for up to 20 pairs (all sign flips enumerated) and need no SciPy:
- paired sign-flip permutation test on the mean difference;
- Wilcoxon signed-rank test (ranks of |differences|, ties averaged, zero differences dropped).
"""

from __future__ import annotations

import itertools
import random
from dataclasses import dataclass

__all__ = ["PairedTest", "paired_test"]

EXACT_LIMIT = 20


@dataclass
class PairedTest:
    """Result of comparing model A with model B on matched cells."""

    n: int
    mean_a: float
    mean_b: float
    mean_diff: float
    p_permutation: float
    p_wilcoxon: float


def _ranks(values: list[float]) -> list[float]:
    order = sorted(range(len(values)), key=lambda i: values[i])
    ranks = [0.0] * len(values)
    k = 0
    while k < len(order):
        j = k
        while j + 1 < len(order) and values[order[j + 1]] == values[order[k]]:
            j += 1
        for t in range(k, j + 1):
            ranks[order[t]] = (k + j) / 2 + 1
        k = j + 1
    return ranks


def _sign_flip_p(values: list[float], stat, rng_seed: int = 0, samples: int = 20000) -> float:  # noqa: ANN001
    """Two-sided p-value of ``stat`` under random sign flips of ``values``."""
    observed = abs(stat(values))
    n = len(values)
    if n <= EXACT_LIMIT:
        flips = itertools.product((1, -1), repeat=n)
        total = hits = 0
        for signs in flips:
            total += 1
            hits += abs(stat([s * v for s, v in zip(signs, values)])) >= observed - 1e-12
        return hits / total
    rng = random.Random(rng_seed)
    hits = sum(abs(stat([v if rng.random() < 0.5 else -v for v in values])) >= observed - 1e-12 for _ in range(samples))
    return (hits + 1) / (samples + 1)


def paired_test(a: list[float], b: list[float]) -> PairedTest:
    """Compare matched scores ``a[i]`` vs ``b[i]``; raises ValueError on mismatched or empty input."""
    if len(a) != len(b) or not a:
        raise ValueError(f"paired test needs two equally long, non-empty lists (got {len(a)} and {len(b)})")
    diffs = [x - y for x, y in zip(a, b)]
    p_perm = _sign_flip_p(diffs, lambda v: sum(v) / len(v))
    nonzero = [d for d in diffs if d != 0]
    if nonzero:
        ranks = _ranks([abs(d) for d in nonzero])
        signed = [r if d > 0 else -r for r, d in zip(ranks, nonzero)]
        p_wil = _sign_flip_p(signed, sum)
    else:
        p_wil = 1.0
    return PairedTest(len(a), sum(a) / len(a), sum(b) / len(b), sum(diffs) / len(diffs), p_perm, p_wil)
