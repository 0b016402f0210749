"""Cell throughput of `mer bench --jobs 2` vs one job on the same grid (target ≥ 1.6× on 2 cores).

One job trains the cells one after another in this process with every core's threads; two jobs run them
in two worker processes with the threads divided. Both include everything a bench pays (worker start-up,
planning excluded). The load average is printed because on a shared machine it bounds what two jobs can gain.
A third run, one job on one thread, gives the ceiling of the ratio on these cells: two single-thread workers
can at most double one thread's throughput, so the ratio cannot exceed 2 × (1 thread / all threads).
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

import torch

from _common import machine, registry
from mer_toolkit.bench.grid import plan_grid
from mer_toolkit.bench.runner import run_bench
from mer_toolkit.bench.launchers import LaunchOptions, cpu_count


def throughput(jobs: int, seeds: list[int], args: argparse.Namespace, threads: int | None = None) -> float:
    """Cells per second of one bench run with ``jobs`` concurrent cells (one job: on ``threads`` threads)."""
    reg = registry()
    cells = plan_grid(args.models.split(","), ["demo"], seeds, reg, epochs=args.epochs, device="cpu",
                      overrides=[f"data.dataset_options.dialogues={args.dialogues}"])
    torch.set_num_threads(threads or cpu_count())
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        recs = run_bench(cells, Path(tmp), reg, resume=False,
                         launch_opts=LaunchOptions(jobs=jobs))
        seconds = time.perf_counter() - t0
    if len(recs) != len(cells):
        raise SystemExit(f"{len(cells) - len(recs)} cell(s) failed")
    print(f"{jobs} job(s), {threads or cpu_count()} thread(s) per job: {len(cells)} cells in {seconds:.1f} s = {len(cells) / seconds:.3f} cells/s "
          f"(load average {os.getloadavg()[0]:.1f})", flush=True)
    return len(cells) / seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="a CI-size grid")
    parser.add_argument("--models", default="concat_mlp,gated_mlp")
    args = parser.parse_args()
    args.epochs, args.dialogues = (3, 60) if args.quick else (8, 200)
    seeds = list(range(1, 3 if args.quick else 5))
    print(f"machine: {machine()}; load average before: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    throughput(1, [99], args)  # warm-up: imports and first allocations are not charged to the 1-job run
    one = throughput(1, seeds, args)
    single = throughput(1, seeds, args, threads=1)
    two = throughput(2, seeds, args, threads=max(1, cpu_count() // 2))
    print(f"ceiling of the ratio on these cells (2 x 1-thread / {cpu_count()}-thread throughput): {2 * single / one:.2f}")
    print(f"ratio (2 jobs / 1 job cell throughput, target >= 1.6): {two / one:.2f}")


if __name__ == "__main__":
    main()
