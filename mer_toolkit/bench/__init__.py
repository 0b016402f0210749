"""Grids of cells: planning and running them (``runner``), where they run (``launchers``), tuning studies
(``tune``) and search spaces (``search``)."""

from __future__ import annotations

from typing import Any

__all__ = ["Cell", "BenchInterrupted", "parse_shard", "plan_grid", "tune_grid", "run_bench", "append_result",
           "write_bench_file"]


def __getattr__(name: str) -> Any:  # the runner imports torch: only when one of its names is asked for
    if name in __all__:
        from . import runner

        return getattr(runner, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
