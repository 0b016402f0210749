"""Cells cheap enough for many seeds: N early-fusion cells on cached RAVDESS Whisper-base statistics, each timed
whole (planning share, model, loaders, training loop, test, record) against its training loop (``Trainer.fit``);
the difference is the per-cell overhead (target <= 1 s). Then the wall time of a pooled grid: 6 folds x 5 seeds x
7 models (audio Whisper-base statistics + MiniLM text) with ``--jobs 2``.

The features must be in the cache (``mer extract --dataset ravdess --root ../shared/data/ravdess --encoder
'{type: whisper_ct2, path: base, pool: stats}'`` and ``--encoder minilm``); the script refuses to extract.
Run from the repository root: the cache keys on the audio paths as given (``--root``, default
``../shared/data/ravdess`` as in the commands of RESULTS.md).
Usage: python benchmarks/many_cells.py [--quick] [--cells N] [--grid-epochs E] [--no-grid] [--profile]
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import statistics
import sys
import tempfile
import time
from pathlib import Path

from _common import machine, registry
from mer_toolkit.bench.cells import CellJob, run_cell
from mer_toolkit.bench.grid import plan_grid
from mer_toolkit.bench.launchers import LaunchOptions
from mer_toolkit.bench.runner import run_bench
from mer_toolkit.run.trainer import Trainer

AUDIO = "{type: whisper_ct2, path: base, pool: stats}"
CELL_SETTINGS = [f"data.features={{audio: {AUDIO}}}", "train.monitor=ua", "train.threads=1",
                 "model.encoders={_delete_: true, audio: {type: features, norm: standardize}}"]
GRID_MODELS = ["drkf", "early_fusion", "late_fusion", "tfn", "lmf", "mult", "misa"]
GRID_SETTINGS = [f"data.features={{audio: {AUDIO}, text: minilm}}", "train.monitor=ua", "data.protocol=ravdess_6fold",
                 "model.encoders.audio.norm=standardize", "model.encoders.text.norm=standardize"]


class FitClock:
    """Wall time of every ``Trainer.fit`` call (the training loop: epochs, validation, checkpoints)."""

    def __init__(self) -> None:
        self.seconds: list[float] = []
        self._fit = Trainer.fit

    def __enter__(self) -> FitClock:
        clock = self

        def timed_fit(trainer: Trainer, *args, **kwargs):  # noqa: ANN002, ANN003, ANN202
            t0 = time.perf_counter()
            try:
                return clock._fit(trainer, *args, **kwargs)
            finally:
                clock.seconds.append(time.perf_counter() - t0)

        Trainer.fit = timed_fit
        return self

    def __exit__(self, *exc: object) -> None:
        Trainer.fit = self._fit


def refuse_extraction() -> None:
    """Stop if a feature set is missing from the cache (an encoder is built only then): this times cells, not
    extraction."""
    from mer_toolkit.data import feature_cache

    def no_encoder(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
        sys.exit("many_cells.py: a feature set is not in the cache; run the `mer extract` commands in the docstring")

    feature_cache.feature_encoder = no_encoder


def cells_overhead(n: int, epochs: int, profile: bool, root: str) -> None:
    reg = registry()
    t0 = time.perf_counter()
    cells = plan_grid(["early_fusion"], ["ravdess"], list(range(1, n + 1)), reg, overrides=CELL_SETTINGS,
                      epochs=epochs, root=root)
    plan = time.perf_counter() - t0
    profiler = cProfile.Profile() if profile else None
    walls, loops, trains = [], [], []
    with tempfile.TemporaryDirectory() as out, FitClock() as clock:
        for cell in cells:
            if profiler:
                profiler.enable()
            t0 = time.perf_counter()
            status, rec = run_cell(CellJob(cell, out, resume=False), reg)
            walls.append(time.perf_counter() - t0)
            if profiler:
                profiler.disable()
            if status != "done":
                sys.exit(f"cell {cell.name} failed: {rec}")
            loops.append(clock.seconds[-1])
            trains.append(rec["train_seconds"])
    overhead = [w - f for w, f in zip(walls, loops)]
    share = plan / n
    print(f"machine: {machine()}")
    print(f"{n} cells of early_fusion (audio: Whisper base statistics, RAVDESS ravdess_si, {epochs} epochs max)")
    print(f"planning (corpus from the cache, folds, settings): {plan:.2f} s, {share:.3f} s per cell")
    print(f"cell wall {statistics.median(walls):.3f} s median; training loop (fit) {statistics.median(loops):.3f} s; "
          f"of which training epochs {statistics.median(trains):.3f} s")
    per_cell = statistics.median(overhead) + share
    mean = statistics.mean(overhead) + share
    print(f"overhead per cell (cell wall - training loop + planning share): median {per_cell:.3f} s, mean {mean:.3f} s, "
          f"first cell {overhead[0] + share:.3f} s, max {max(overhead) + share:.3f} s "
          f"(target <= 1 s: {'met' if max(per_cell, mean) <= 1.0 else 'MISSED'})")
    if profiler:
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(25)


def grid_time(folds: int, seeds: int, models: list[str], epochs: int | None, root: str) -> None:
    reg = registry()
    t0 = time.perf_counter()
    cells = plan_grid(models, ["ravdess"], list(range(1, seeds + 1)), reg, overrides=GRID_SETTINGS, epochs=epochs,
                      root=root)
    cells = [c for c in cells if int(c.fold.name.removeprefix("fold")) <= folds]
    with tempfile.TemporaryDirectory() as out:
        records = run_bench(cells, Path(out), reg, resume=False, launch_opts=LaunchOptions(jobs=2))
    wall = time.perf_counter() - t0
    train = sum(r["train_seconds"] for r in records)
    print(f"pooled grid: {folds} folds x {seeds} seeds x {len(models)} models = {len(cells)} cells "
          f"({len(records)} done), --jobs 2, epochs {epochs or 'as configured'}: wall {wall:.1f} s "
          f"({wall / 60:.1f} min); training epochs summed over cells {train:.1f} s")
    for model in models:
        mine = [r for r in records if r["model"] == model]
        if mine:
            per_epoch = sum(r["train_seconds"] for r in mine) / sum(r["epochs_run"] for r in mine)
            print(f"  {model}: {per_epoch:.2f} s per training epoch, {len(mine)} cells, "
                  f"{sum(r['epochs_run'] for r in mine) / len(mine):.1f} epochs per cell")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="5 cells of 3 epochs; grid of 2 folds x 1 seed")
    parser.add_argument("--cells", type=int, default=20)
    parser.add_argument("--epochs", type=int, default=30, help="epochs per overhead cell (patience applies)")
    parser.add_argument("--grid-epochs", type=int, default=None, help="cap the grid's epochs (default: configs')")
    parser.add_argument("--no-grid", action="store_true")
    parser.add_argument("--profile", action="store_true", help="cProfile the cells, top 25 by cumulative time")
    parser.add_argument("--root", default="../shared/data/ravdess", help="RAVDESS folder, as the cache was filled")
    args = parser.parse_args()
    refuse_extraction()
    if args.quick:
        cells_overhead(5, 3, args.profile, args.root)
        if not args.no_grid:
            grid_time(2, 1, GRID_MODELS, 2, args.root)
        return
    cells_overhead(args.cells, args.epochs, args.profile, args.root)
    if not args.no_grid:
        grid_time(6, 5, GRID_MODELS, args.grid_epochs, args.root)


if __name__ == "__main__":
    main()
