"""The test-access ledger: one line per evaluation of a test split, kept with the feature cache.

Every ``mer bench`` cell, ``mer train`` fold and ``mer eval --split test`` appends (dataset, protocol, fold,
model, config hash, time) to ``$MER_CACHE_DIR/test_ledger.jsonl``. Results folders can be deleted or
started afresh; the ledger outlives them (``mer extract --clear`` keeps it), so the number of distinct
configs of a model that were ever scored on a test split, the trace of selection on test by repetition,
stays visible in every summary and comparison.
"""

from __future__ import annotations

import json
import time
from collections import defaultdict
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from ..errors import DataError
from ..locking import folder_lock

__all__ = ["LEDGER_NAME", "ledger_path", "log_test_access", "read_ledger", "config_counts", "access_lines"]

LEDGER_NAME = "test_ledger.jsonl"
FIELDS = ("dataset", "protocol", "fold", "model", "config_hash")


def ledger_path() -> Path:
    """``$MER_CACHE_DIR/test_ledger.jsonl`` (default ``~/.cache/mer-toolkit/features/test_ledger.jsonl``)."""
    from ..data.feature_cache import cache_root

    return cache_root() / LEDGER_NAME


def log_test_access(entry: dict[str, Any], source: str) -> None:
    """Append one test evaluation: ``entry`` holds the ``FIELDS`` (a run record does), ``source`` says which
    command evaluated (``bench``, ``train``, ``eval``). Written under the cache folder's lock."""
    line = {k: str(entry[k]) for k in FIELDS}
    line.update(source=source, time=time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime()) + "Z")
    for optional in ("seed", "run_dir", "checkpoint"):
        if entry.get(optional) is not None:
            line[optional] = entry[optional]
    path = ledger_path()
    with folder_lock(path.parent), open(path, "a", encoding="utf-8") as f:
        f.write(json.dumps(line, sort_keys=True) + "\n")


def read_ledger(dataset: str | None = None) -> list[dict[str, Any]]:
    """Every logged test evaluation (of ``dataset`` only, when given); a damaged line is an error naming it."""
    path = ledger_path()
    if not path.is_file():
        return []
    out = []
    for n, text in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not text.strip():
            continue
        try:
            entry = json.loads(text)
            missing = [k for k in FIELDS if k not in entry]
        except json.JSONDecodeError as err:
            raise DataError(f"{path}:{n}: not a JSON line of the test-access ledger ({err.msg})") from None
        if missing:
            raise DataError(f"{path}:{n}: a test-access ledger line needs {list(FIELDS)}; {missing} missing")
        if dataset is None or entry["dataset"] == dataset:
            out.append(entry)
    return out


def config_counts(entries: Iterable[dict[str, Any]]) -> dict[tuple[str, str, str], int]:
    """(model, dataset, fold) → number of distinct config hashes evaluated on that test split."""
    seen: dict[tuple[str, str, str], set[str]] = defaultdict(set)
    for e in entries:
        seen[(e["model"], e["dataset"], e["fold"])].add(e["config_hash"])
    return {k: len(v) for k, v in seen.items()}


def access_lines(entries: Iterable[dict[str, Any]], pairs: Iterable[tuple[str, str]]) -> list[str]:
    """``drkf: 9 configs on iemocap6/session5`` for each (model, dataset) of ``pairs`` and each of its test folds
    in the ledger, in order; pairs the ledger never saw are left out."""
    counts = config_counts(entries)
    lines = []
    for model, dataset in pairs:
        for (m, d, fold), n in sorted(counts.items()):
            if (m, d) == (model, dataset):
                lines.append(f"{model}: {n} config{'s' if n != 1 else ''} on {dataset}/{fold}")
    return lines
