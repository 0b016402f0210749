"""Per-utterance test predictions kept inside each run record, so that paired intervals, agreement breakdowns
and any later analysis read the record instead of retraining.

A record's ``predictions`` holds the test utterance ids, their labels (-1: unlabelled), the predicted class
(argmax of the float32 logits, so metrics recomputed from it equal the recorded ones) and the class
probabilities as little-endian float16 in base64 (about 2.7 bytes per probability). Inline, the record stays
one self-contained JSON line: merging shards, moving a bench folder or copying ``results.jsonl`` keeps them.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..errors import DataError

__all__ = ["Predictions", "encode_predictions", "decode_predictions", "has_predictions", "require_predictions"]

FORMAT = "ids+labels+preds+probs-f16-b64"


@dataclass(frozen=True)
class Predictions:
    """One record's test predictions: ``ids`` (n), ``labels`` (n, -1 = unlabelled), ``preds`` (n), ``probs`` (n, C)."""

    ids: list[str]
    labels: np.ndarray
    preds: np.ndarray
    probs: np.ndarray

    def labelled(self) -> Predictions:
        """Only the utterances with a label (those the metrics are computed on)."""
        keep = self.labels >= 0
        return Predictions([i for i, k in zip(self.ids, keep) if k], self.labels[keep], self.preds[keep],
                           self.probs[keep])


def encode_predictions(ids: list[str], labels: Any, logits: Any) -> dict[str, Any]:
    """The record field for ``ids``, integer ``labels`` and float ``logits`` (torch tensors or arrays, n × C)."""
    logits = np.asarray(logits, dtype=np.float32)
    labels = np.asarray(labels, dtype=np.int64)
    if logits.ndim != 2 or len(ids) != len(labels) or len(ids) != logits.shape[0]:
        raise ValueError(f"predictions need n ids, n labels and n × C logits, got {len(ids)}, {labels.shape}, "
                         f"{logits.shape}")
    shifted = logits - logits.max(axis=1, keepdims=True)
    probs = np.exp(shifted) / np.exp(shifted).sum(axis=1, keepdims=True)
    return {"format": FORMAT, "ids": [str(i) for i in ids], "labels": labels.tolist(),
            "preds": logits.argmax(axis=1).tolist(), "shape": list(probs.shape),
            "probs": base64.b64encode(probs.astype("<f2").tobytes()).decode("ascii")}


def has_predictions(record: dict[str, Any]) -> bool:
    """Whether the record keeps its test predictions (records older than this field do not)."""
    return isinstance(record.get("predictions"), dict)


def describe(record: dict[str, Any]) -> str:
    """``drkf fold session5 seed 1 (runs/x/cells/...)``: which record, for messages."""
    where = f" ({record['run_dir']})" if record.get("run_dir") else ""
    return f"{record['model']} on {record['dataset']} fold {record['fold']} seed {record['seed']}{where}"


def decode_predictions(record: dict[str, Any]) -> Predictions:
    """The record's predictions; a record without them, or with a damaged field, is a DataError naming it."""
    field = record.get("predictions")
    if not isinstance(field, dict):
        raise DataError(f"record {describe(record)} has no per-utterance predictions")
    try:
        if field.get("format") != FORMAT:
            raise ValueError(f"format {field.get('format')!r}, expected {FORMAT!r}")
        n, c = (int(x) for x in field["shape"])
        probs = np.frombuffer(base64.b64decode(field["probs"]), dtype="<f2").astype(np.float32).reshape(n, c)
        labels = np.asarray(field["labels"], dtype=np.int64)
        preds = np.asarray(field["preds"], dtype=np.int64)
        ids = [str(i) for i in field["ids"]]
        if not len(ids) == len(labels) == len(preds) == n:
            raise ValueError(f"{len(ids)} ids, {len(labels)} labels, {len(preds)} predictions, {n} probability rows")
    except (KeyError, TypeError, ValueError) as err:
        raise DataError(f"record {describe(record)}: its 'predictions' field is damaged ({err}); rerun the cell "
                        "to rewrite it") from None
    return Predictions(ids, labels, preds, probs)


def require_predictions(records: list[dict[str, Any]], command: str) -> None:
    """One error listing every record without predictions and how to get them (records older than this field)."""
    missing = [describe(r) for r in records if not has_predictions(r)]
    if missing:
        shown = "; ".join(missing[:5]) + (f"; and {len(missing) - 5} more" if len(missing) > 5 else "")
        raise DataError(f"{command} needs the per-utterance test predictions of each record, and {len(missing)} "
                        f"record(s) have none: {shown}. Records written before predictions were kept lack them: "
                        "rerun those cells (`mer bench` with the same grid into a new --out folder, or `mer train`) "
                        "and compare the new results.jsonl")
