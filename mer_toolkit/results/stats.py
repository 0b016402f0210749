"""Paired statistics between two models evaluated on the same test utterances of the same (fold, seed) cells.

- ``paired_test``: sign-flip permutation test on the mean per-cell difference and Wilcoxon signed-rank test
  (zero differences dropped, tied ranks averaged), both through ``scipy.stats.permutation_test``: exact up to
  14 cells, 20,000 seeded random sign flips above.
- ``bootstrap``: two-level paired bootstrap on per-utterance predictions. Each replicate draws the cells with
  replacement and, per fold, the fold's test utterances with replacement; the seeds of one fold share that
  draw, since they were scored on the same utterances. Every metric is recomputed from the resampled
  confusion matrices of both models (same draws for both: the comparison is paired). Reported per metric:
  the difference, its 95 % percentile interval, a two-sided p-value (twice the smaller share of replicates
  on either side of 0, counted as (k + 1) / (B + 1) so that it is never 0) and the minimal detectable effect
  at α = 0.05 with power 0.8 (2.80 × the bootstrap standard error): a true difference smaller than that is
  likely to come out as a tie at this n.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
from scipy import stats

__all__ = ["PairedTest", "paired_test", "BootstrapCell", "Interval", "metric_scores", "bootstrap", "MDE_FACTOR"]

EXACT_LIMIT = 14  # up to this many cells the permutation tests enumerate every sign flip (2^14 of them)
RANDOM_FLIPS = 20000  # above that, this many random sign flips
ALPHA, POWER = 0.05, 0.8
MDE_FACTOR = float(stats.norm.ppf(1 - ALPHA / 2) + stats.norm.ppf(POWER))


@dataclass
class PairedTest:
    """Result of comparing model A with model B on matched cells (one score per cell)."""

    n: int
    mean_a: float
    mean_b: float
    mean_diff: float
    p_permutation: float
    p_wilcoxon: float


def paired_test(a: Sequence[float], b: Sequence[float]) -> PairedTest:
    """Compare matched scores ``a[i]`` vs ``b[i]``; raises ValueError on mismatched or empty input."""
    if len(a) != len(b) or not len(a):
        raise ValueError(f"paired test needs two equally long, non-empty lists (got {len(a)} and {len(b)})")
    diffs = np.asarray(a, dtype=float) - np.asarray(b, dtype=float)
    nonzero = diffs[diffs != 0]
    # one non-zero difference flips to ±d with equal odds: p = 1 (scipy needs two observations)
    p_perm = p_wil = 1.0
    if len(nonzero) >= 2:
        signed_ranks = np.sign(nonzero) * stats.rankdata(np.abs(nonzero))  # ties get their average rank
        p_perm, p_wil = (_sign_flip_p(values, statistic) for values, statistic in ((diffs, np.mean),
                                                                                   (signed_ranks, np.sum)))
    return PairedTest(len(diffs), float(np.mean(a)), float(np.mean(b)), float(diffs.mean()), p_perm, p_wil)


def _sign_flip_p(values: np.ndarray, statistic: Callable[..., np.ndarray]) -> float:
    """Two-sided p of ``statistic`` under random sign flips of ``values``: every flip enumerated up to
    ``EXACT_LIMIT`` values, else ``RANDOM_FLIPS`` seeded random ones."""
    exact = len(values) <= EXACT_LIMIT
    res = stats.permutation_test((values,), statistic, permutation_type="samples", vectorized=True,
                                 n_resamples=2 ** len(values) if exact else RANDOM_FLIPS,
                                 rng=np.random.default_rng(0))
    return min(1.0, float(res.pvalue))


@dataclass(frozen=True)
class BootstrapCell:
    """One matched (fold, seed) cell: labels and both models' predicted classes on the same utterances, in the
    fold's utterance order. ``mask`` keeps a subset of utterances (e.g. those two other models disagree on)."""

    fold: str
    labels: np.ndarray
    pred_a: np.ndarray
    pred_b: np.ndarray
    mask: np.ndarray | None = None


@dataclass
class Interval:
    """One metric of A vs B over the cells: means, difference with its 95 % interval, p-value and MDE, plus
    each model's own 95 % interval (``a_low``/``a_high``, ``b_low``/``b_high``)."""

    metric: str
    cells: int
    utterances: int
    mean_a: float
    mean_b: float
    diff: float
    low: float
    high: float
    p: float
    se: float
    mde: float
    a_low: float = field(default=float("nan"))
    a_high: float = field(default=float("nan"))
    b_low: float = field(default=float("nan"))
    b_high: float = field(default=float("nan"))

    @property
    def tied(self) -> bool:
        """The interval covers 0: the data cannot tell A from B on this metric."""
        return bool(self.low <= 0 <= self.high)


def metric_scores(conf: np.ndarray, metric: str) -> np.ndarray:
    """WA, UA, WF1 or macro-F1 (%) of confusion matrices ``[..., C, C]`` (rows true, columns predicted).

    As the recorded metrics (torchmetrics): a class neither present nor predicted is left out of the macro
    averages; one predicted but absent counts as 0.
    """
    conf = np.asarray(conf, dtype=float)
    tp = np.diagonal(conf, axis1=-2, axis2=-1)
    support, predicted = conf.sum(-1), conf.sum(-2)
    total = support.sum(-1)
    with np.errstate(divide="ignore", invalid="ignore"):
        if metric == "wa":
            out = tp.sum(-1) / total
        else:
            present = (support + predicted) > 0
            if metric == "ua":
                per_class = np.where(support > 0, tp / np.where(support > 0, support, 1), 0.0)
            else:
                denom = support + predicted
                per_class = np.where(denom > 0, 2 * tp / np.where(denom > 0, denom, 1), 0.0)
            if metric == "wf1":
                out = (per_class * support).sum(-1) / total
            elif metric in ("ua", "macro_f1"):
                out = (per_class * present).sum(-1) / present.sum(-1)
            else:
                raise KeyError(f"'{metric}' is not a metric the bootstrap computes (wa, ua, wf1, macro_f1)")
    return 100.0 * out


def _confusions(labels: np.ndarray, preds: np.ndarray, weights: np.ndarray, num_classes: int) -> np.ndarray:
    """Confusion matrices ``[R, C, C]`` of ``R`` weightings (``weights``: R × n counts) of the same utterances."""
    codes = labels * num_classes + preds
    rows = weights.shape[0]
    cc = num_classes * num_classes
    flat = np.broadcast_to(codes, weights.shape) + (np.arange(rows) * cc)[:, None]
    return np.bincount(flat.ravel(), weights=weights.ravel(), minlength=rows * cc).reshape(rows, num_classes,
                                                                                           num_classes)


def bootstrap(cells: Sequence[BootstrapCell], num_classes: int, metrics: Sequence[str], n_boot: int = 2000,
              seed: int = 0) -> list[Interval]:
    """Paired two-level bootstrap of A − B on every metric (see the module docstring); deterministic in ``seed``."""
    if not cells:
        raise ValueError("the bootstrap needs at least one matched cell")
    rng = np.random.default_rng(seed)
    sizes = {}
    for c in cells:
        if sizes.setdefault(c.fold, len(c.labels)) != len(c.labels):
            raise ValueError(f"fold {c.fold}: cells of one fold must hold the same utterances")
    draws = {fold: np.stack([np.bincount(rng.integers(0, n, n), minlength=n) for _ in range(n_boot)])
             for fold, n in sizes.items()}  # how often each utterance is drawn, per replicate
    picks = rng.integers(0, len(cells), size=(n_boot, len(cells)))  # which cells each replicate draws
    confusions = []
    for c in cells:
        keep = np.ones(len(c.labels)) if c.mask is None else c.mask.astype(float)
        weights = np.vstack([keep[None, :], draws[c.fold] * keep])  # row 0: the observed data itself
        confusions.append([_confusions(c.labels, p, weights, num_classes) for p in (c.pred_a, c.pred_b)])
    utterances = int(sum(np.count_nonzero(c.mask if c.mask is not None else np.ones(len(c.labels)))
                         for c in cells))
    out = []
    for metric in metrics:
        scores = np.array([[metric_scores(conf, metric) for conf in pair] for pair in confusions])  # K × 2 × (1+B)
        point = np.nanmean(scores[:, :, 0], axis=0)
        reps = np.nanmean(scores[:, :, 1:][picks, :, np.arange(n_boot)[:, None]], axis=1)  # B × 2
        diff = reps[:, 0] - reps[:, 1]
        low, high = np.nanpercentile(diff, [2.5, 97.5])
        p = min(1.0, 2 * (min(np.sum(diff <= 0), np.sum(diff >= 0)) + 1) / (n_boot + 1))
        se = float(np.nanstd(diff, ddof=1))
        (a_low, b_low), (a_high, b_high) = np.nanpercentile(reps, [2.5, 97.5], axis=0)
        out.append(Interval(metric, len(cells), utterances, float(point[0]), float(point[1]),
                            float(point[0] - point[1]), float(low), float(high), float(p), se, MDE_FACTOR * se,
                            float(a_low), float(a_high), float(b_low), float(b_high)))
    return out
