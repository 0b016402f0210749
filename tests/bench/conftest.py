"""Helpers of the bench tests."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from mer_toolkit.results import read_records


@pytest.fixture
def cell_metrics() -> Callable[[Path], dict[tuple, dict]]:
    """``results.jsonl`` → {(model, dataset, fold, seed, config hash): test metrics}, to compare two benches."""

    def read(path: Path) -> dict[tuple, dict]:
        return {(r["model"], r["dataset"], r["fold"], r["seed"], r["config_hash"]): r["metrics"]["test"]
                for r in read_records(path)}

    return read
