"""``mer bench``: run a grid's cells, each trained with selection on validation, evaluated once on test and
appended to ``results.jsonl`` the moment it finishes.

Resumable (finished cells are matched by model, dataset, fold, seed and config hash; an interrupted cell
continues from its ``last.pt``), shardable (``--shard i/n``), safe to kill (SIGTERM/SIGINT stop after writing
state, at most the current epoch is lost) and safe to run twice on one folder: every cell is claimed before it is
trained (``claims.py``), so concurrent benches share the grid instead of repeating it.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

from ..config import load_yaml
from ..errors import MerError, RunError
from ..locking import folder_lock
from ..results.records import append_record, read_records, record_key
from ..run.distributed import is_main
from ..run.interrupts import stop_on_signals
from .cells import CellJob, run_cell
from .claims import Claims
from .grid import Cell, parse_shard, plan_grid, shard_cells
from .launchers import LaunchOptions, launch

__all__ = ["Cell", "BenchInterrupted", "parse_shard", "plan_grid", "tune_grid", "run_bench", "append_result",
           "write_bench_file"]

WAIT_SECONDS = 2.0  # how often a bench looks again at cells another bench holds
Event = Callable[[str, Cell, dict[str, Any]], None]


class BenchInterrupted(MerError):
    """The bench received SIGINT/SIGTERM; finished cells are saved and ``--resume`` continues."""

    exit_code = 130


def tune_grid(models: list[str], datasets: list[str], trials: int, out: Path, registry: Any, *, seed: int,
              overrides: list[str] | None = None, epochs: int | None = None, device: str | None = None,
              amp: str | None = None, root: str | None = None,
              on_trial: Callable[[Any, Any], None] | None = None) -> dict[tuple[str, str], Any]:
    """Equal budget: ``trials`` Optuna trials per (model, dataset) on the tuning fold's validation split.

    Each study lives in ``out/tune/MODEL-DATASET/study.db``, so ``--resume`` continues unfinished studies.
    """
    from .tune import run_tune, study_name

    return {(model, dataset): run_tune(model, dataset, registry, trials=trials, out=out / "tune" /
                                       study_name(model, dataset, registry), overrides=overrides, epochs=epochs, device=device,
                                       amp=amp, root=root, seed=seed, on_trial=on_trial)
            for model in models for dataset in datasets}


def run_bench(cells: list[Cell], out: Path, registry: Any, *, resume: bool, shard: tuple[int, int] = (1, 1),
              on_event: Event | None = None, launch_opts: LaunchOptions | None = None) -> list[dict[str, Any]]:
    """Run this shard's cells, appending each record to ``out/results.jsonl`` as soon as it finishes.

    With ``launch_opts`` (``--jobs``, ``--launcher``) the cells run concurrently elsewhere and come back here.
    Cells another live bench holds are waited for; a cell whose bench died is taken over.
    """
    out.mkdir(parents=True, exist_ok=True)
    results = out / "results.jsonl"
    existing = {record_key(r) for r in read_records(results)}
    if existing and not resume:
        raise RunError(f"'{results}' already holds {len(existing)} records; pass --resume to continue this bench "
                       "or choose another --out directory")
    emit = on_event or (lambda *_: None)
    pending: list[Cell] = []
    for cell in shard_cells(cells, shard):
        if cell.key in existing:
            emit("skip", cell, {})
        else:
            pending.append(cell)
    opts = launch_opts or LaunchOptions()
    new: list[dict[str, Any]] = []
    with Claims(out) as claims, stop_on_signals():
        waiting: set[tuple] = set()

        def finish(cell: Cell, status: str, result: Any) -> None:
            if status == "failed":  # e.g. NaN loss: record the failure, keep the other cells going
                emit("failed", cell, {"error": result})
                _log_failure(out, cell, result)
            elif append_result(out, {**result, "bench_shard": f"{shard[0]}/{shard[1]}"}):
                new.append(result)
                emit("done", cell, result)
            else:  # trained, but recorded meanwhile by another bench (claims prevent this; never recorded twice)
                emit("duplicate", cell, result)
            claims.release(cell.key)

        def claim(limit: int | None) -> list[Cell]:
            """Claim up to ``limit`` cells; drop the settled ones; report each cell held elsewhere once."""
            mine: list[Cell] = []
            for cell in list(pending):
                if limit is not None and len(mine) >= limit:
                    break
                state, owner = claims.take(cell.key)
                if state == "busy":
                    if cell.key not in waiting:
                        waiting.add(cell.key)
                        emit("wait", cell, owner or {})
                    continue
                pending.remove(cell)
                if state == "settled":
                    emit("skip", cell, {})
                else:
                    mine.append(cell)
            return mine

        serial = opts.launcher == "local" and opts.jobs == 1
        current = "the running cells"
        try:
            while pending:
                batch = claim(1 if serial else None)
                if not batch:
                    if pending:
                        time.sleep(WAIT_SECONDS)
                    continue
                if serial:
                    (cell,) = batch
                    current = cell.name
                    emit("start", cell, {})
                    finish(cell, *run_cell(CellJob(cell, str(out), resume), registry,
                                           on_epoch=lambda row, c=cell: emit("epoch", c, row)))
                else:
                    jobs = [CellJob(c, str(out), resume, opts.threads) for c in batch]
                    with launch(jobs, opts, registry) as finished:
                        for k, status, result in finished:
                            finish(batch[k], status, result)
        except KeyboardInterrupt:
            raise BenchInterrupted(f"bench interrupted during {current}; {len(new)} cell(s) finished in this run are "
                                   f"saved in {results}. Continue with the same command plus --resume.") from None
    return new


def append_result(out: Path, record: dict[str, Any]) -> bool:
    """Append to ``out/results.jsonl`` under the folder's lock, unless the cell is recorded already (by this or
    another bench); only the main process of a data-parallel run writes. Returns whether it was written."""
    if not is_main():
        return False
    with folder_lock(out):
        path = out / "results.jsonl"
        if any(record_key(r) == record_key(record) for r in read_records(path)):
            return False
        append_record(path, record)
    return True


def _log_failure(out: Path, cell: Cell, error: str) -> None:
    with folder_lock(out), open(out / "failures.jsonl", "a", encoding="utf-8") as f:
        f.write(json.dumps({"model": cell.model, "dataset": cell.corpus.name, "fold": cell.fold.name,
                            "seed": cell.seed, "key": list(cell.key), "error": error, "time": time.time()}) + "\n")


def write_bench_file(out: Path, grid: dict[str, Any]) -> None:
    """``bench.yaml``: the grid and the command that produced it; a different bench writing into the same folder
    keeps the earlier grids under ``earlier`` (oldest first), so every command behind its records stays on file."""
    path = out / "bench.yaml"
    earlier: list[dict[str, Any]] = []
    if path.is_file():
        previous = load_yaml(path)[0]
        earlier = list(previous.pop("earlier", None) or [])
        if previous and previous != grid:
            earlier.append(previous)
    record = {**grid, "earlier": earlier} if earlier else grid
    path.write_text(yaml.safe_dump(record, sort_keys=False))
