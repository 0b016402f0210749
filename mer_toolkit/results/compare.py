"""Comparisons of run records on their per-utterance predictions: A vs B with paired intervals, ties with the
best model of a summary, and the agreement breakdown (test utterances split by whether two unimodal models
of the same run agree).

Records are matched by dataset, fold and seed; within a matched cell, utterances are matched by id.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import asdict
from typing import Any

import numpy as np

from ..config.metrics import METRICS
from ..errors import DataError
from .predictions import Predictions, decode_predictions, describe, has_predictions, require_predictions
from .stats import BootstrapCell, Interval, bootstrap, paired_test

__all__ = ["cells_of", "compare_pair", "tie_table", "agreement_breakdown"]

N_BOOT = 2000


def cells_of(records: Sequence[dict[str, Any]], model: str, dataset: str) -> dict[tuple[str, int], dict[str, Any]]:
    """(fold, seed) → the model's record on ``dataset`` (the last one, for records of several configs)."""
    return {(str(r["fold"]), int(r["seed"])): r for r in records if r["model"] == model and r["dataset"] == dataset}


def _aligned(reference: Predictions, other: Predictions, rec: dict[str, Any], ref_rec: dict[str, Any]) -> Predictions:
    """``other`` reordered to ``reference``'s utterance ids; both must hold the same labelled test utterances."""
    if other.ids != reference.ids:
        pos = {u: i for i, u in enumerate(other.ids)}
        if set(pos) != set(reference.ids):
            raise DataError(f"record {describe(rec)} was tested on {len(pos)} utterances and {describe(ref_rec)} on "
                            f"{len(reference.ids)}, not the same ones ({len(set(pos) ^ set(reference.ids))} differ); "
                            "a paired comparison needs the same test split")
        order = np.array([pos[u] for u in reference.ids], dtype=np.int64)
        other = Predictions(list(reference.ids), other.labels[order], other.preds[order], other.probs[order])
    if not np.array_equal(other.labels, reference.labels):
        differ = int((other.labels != reference.labels).sum())
        raise DataError(f"records {describe(rec)} and {describe(ref_rec)} give {differ} of the same test utterances "
                        "different labels (another label map?); a paired comparison needs the same labels")
    return other


class _Folds:
    """Per fold, the first record's labelled predictions: the utterance order every cell of that fold uses."""

    def __init__(self) -> None:
        self.reference: dict[str, tuple[Predictions, dict[str, Any]]] = {}

    def align(self, rec: dict[str, Any]) -> Predictions:
        pred = decode_predictions(rec).labelled()
        fold = str(rec["fold"])
        if fold not in self.reference:
            self.reference[fold] = (pred, rec)
            return pred
        ref, ref_rec = self.reference[fold]
        return _aligned(ref, pred, rec, ref_rec)


def _num_classes(records: Sequence[dict[str, Any]]) -> int:
    sizes = {len(r["label_names"]) for r in records}
    if len(sizes) != 1:
        raise DataError(f"records to compare predict different numbers of classes: {sorted(sizes)}")
    return sizes.pop()


def _matched(records: Sequence[dict[str, Any]], a: str, b: str, dataset: str
             ) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    """(record of A, record of B) for every (fold, seed) cell both have on ``dataset``."""
    ca, cb = cells_of(records, a, dataset), cells_of(records, b, dataset)
    return [(ca[k], cb[k]) for k in sorted(set(ca) & set(cb))]


def _pair_cells(pairs: Sequence[tuple[dict[str, Any], dict[str, Any]]]) -> list[BootstrapCell]:
    """The bootstrap cells of matched records, utterances in one order per fold."""
    folds = _Folds()
    cells = []
    for ra, rb in pairs:
        pa, pb = folds.align(ra), folds.align(rb)
        cells.append(BootstrapCell(str(ra["fold"]), pa.labels, pa.preds, pb.preds))
    return cells


def compare_pair(records: Sequence[dict[str, Any]], a: str, b: str, dataset: str,
                 metrics: Sequence[str] = METRICS, n_boot: int = N_BOOT, seed: int = 0) -> dict[str, Any] | None:
    """A vs B on ``dataset``: per metric the bootstrap interval, p and MDE, and the sign-flip and Wilcoxon tests
    over the matched cells' recorded scores; ``None`` when the two share no (fold, seed) cell."""
    pairs = _matched(records, a, b, dataset)
    if not pairs:
        return None
    require_predictions([r for pair in pairs for r in pair], f"mer results compare --test {a},{b}")
    intervals = bootstrap(_pair_cells(pairs), _num_classes([r for pair in pairs for r in pair]), metrics, n_boot, seed)
    rows = []
    for iv in intervals:
        t = paired_test([ra["metrics"]["test"][iv.metric] for ra, _ in pairs],
                        [rb["metrics"]["test"][iv.metric] for _, rb in pairs])
        rows.append({**asdict(iv), "tied": iv.tied, "p_sign_flip": t.p_permutation, "p_wilcoxon": t.p_wilcoxon})
    return {"dataset": dataset, "a": a, "b": b, "cells": len(pairs), "utterances": intervals[0].utterances,
            "n_boot": n_boot, "metrics": rows}


def tie_table(records: Sequence[dict[str, Any]], rows: Sequence[dict[str, Any]], n_boot: int = N_BOOT,
              seed: int = 0) -> dict[tuple[str, str], dict[str, dict[str, Any]]]:
    """(dataset, model) → metric → its difference to that metric's best model of the dataset, with interval and
    ``tied`` (the interval covers 0). Left out where the two share no cell or a record lacks predictions."""
    out: dict[tuple[str, str], dict[str, dict[str, Any]]] = defaultdict(dict)
    cache: dict[tuple[str, str, str], list[Interval] | None] = {}
    for dataset in sorted({r["dataset"] for r in rows}):
        sub = [r for r in rows if r["dataset"] == dataset]
        for m in METRICS:
            best = max(sub, key=lambda r: r[m])["model"]
            for row in sub:
                if row["model"] == best:
                    continue
                key = (dataset, row["model"], best)
                if key not in cache:
                    pairs = _matched(records, row["model"], best, dataset)
                    used = [r for pair in pairs for r in pair]
                    cache[key] = bootstrap(_pair_cells(pairs), _num_classes(used), METRICS, n_boot, seed) \
                        if used and all(has_predictions(r) for r in used) else None
                if cache[key] is None:
                    continue
                iv = next(i for i in cache[key] if i.metric == m)
                out[(dataset, row["model"])][m] = {"best": best, "diff": iv.diff, "low": iv.low, "high": iv.high,
                                                   "tied": iv.tied}
    return dict(out)


PARTS: tuple[tuple[str, Callable[[np.ndarray], np.ndarray]], ...] = (("agree", lambda m: m),
                                                                  ("disagree", lambda m: ~m))


def agreement_breakdown(records: Sequence[dict[str, Any]], first: str, second: str, dataset: str,
                        models: Sequence[str] | None = None, metrics: Sequence[str] = METRICS,
                        n_boot: int = N_BOOT, seed: int = 0, pair: tuple[str, str] | None = None) -> dict[str, Any]:
    """Every model's metrics (95 % intervals) on the test utterances where ``first`` and ``second`` (e.g. a
    text-only and an audio-only model of the same run) predict the same class, and on those where they differ;
    with ``pair`` (A, B) also the paired interval of A − B on each part.

    Agreement is taken per (fold, seed) cell from the two models' predictions of that cell; a model is scored
    on the cells it shares with both.
    """
    c1, c2 = cells_of(records, first, dataset), cells_of(records, second, dataset)
    for name, cells in ((first, c1), (second, c2)):
        if not cells:
            raise DataError(f"no records of model '{name}' on dataset '{dataset}'")
    keys = sorted(set(c1) & set(c2))
    if not keys:
        raise DataError(f"models '{first}' and '{second}' share no (fold, seed) cell on dataset '{dataset}'")
    names = list(models) if models else sorted({r["model"] for r in records if r["dataset"] == dataset})
    used = [c[k] for k in keys for c in (c1, c2)] + [r for m in [*names, *(pair or ())]
                                                      for k, r in cells_of(records, m, dataset).items() if k in keys]
    require_predictions(used, f"mer results breakdown --by-agreement {first},{second}")
    folds = _Folds()
    agree = {k: folds.align(c1[k]).preds == folds.align(c2[k]).preds for k in keys}
    num_classes = _num_classes(used)
    out: dict[str, Any] = {"dataset": dataset, "by": [first, second], "cells": len(keys), "n_boot": n_boot,
                           "parts": {part: int(sum(np.count_nonzero(select(agree[k])) for k in keys))
                                     for part, select in PARTS}, "models": {}}
    for model in names:
        mine = cells_of(records, model, dataset)
        shared = [k for k in keys if k in mine]
        if shared:
            out["models"][model] = {"cells": len(shared), **{
                part: _subset(shared, mine, None, folds, agree, select, num_classes, metrics, n_boot, seed)
                for part, select in PARTS}}
    if pair is not None:
        ca, cb = cells_of(records, pair[0], dataset), cells_of(records, pair[1], dataset)
        shared = [k for k in keys if k in ca and k in cb]
        if not shared:
            raise DataError(f"models '{pair[0]}' and '{pair[1]}' share no (fold, seed) cell with '{first}' and "
                            f"'{second}' on dataset '{dataset}'")
        out["pair"] = {"a": pair[0], "b": pair[1], "cells": len(shared), **{
            part: _subset(shared, ca, cb, folds, agree, select, num_classes, metrics, n_boot, seed)
            for part, select in PARTS}}
    return out


def _subset(keys: list[tuple[str, int]], mine: dict[tuple[str, int], dict[str, Any]],
            other: dict[tuple[str, int], dict[str, Any]] | None, folds: _Folds,
            agree: dict[tuple[str, int], np.ndarray], select: Callable[[np.ndarray], np.ndarray], num_classes: int,
            metrics: Sequence[str], n_boot: int, seed: int) -> dict[str, Any]:
    """On the utterances ``select(agree)`` keeps, over ``keys``: one model's metrics with intervals, or with
    ``other`` the paired difference mine − other (interval, p, ``tied``)."""
    cells = []
    for k in keys:
        pred = folds.align(mine[k])
        pred_b = folds.align(other[k]).preds if other is not None else pred.preds
        cells.append(BootstrapCell(k[0], pred.labels, pred.preds, pred_b, mask=select(agree[k])))
    if not any(c.mask.any() for c in cells):
        return {"utterances": 0}
    ivs = bootstrap(cells, num_classes, metrics, n_boot, seed)
    if other is None:
        return {"utterances": ivs[0].utterances,
                **{iv.metric: {"mean": iv.mean_a, "low": iv.a_low, "high": iv.a_high} for iv in ivs}}
    return {"utterances": ivs[0].utterances,
            **{iv.metric: {"mean_a": iv.mean_a, "mean_b": iv.mean_b, "diff": iv.diff, "low": iv.low,
                           "high": iv.high, "p": iv.p, "tied": iv.tied} for iv in ivs}}
