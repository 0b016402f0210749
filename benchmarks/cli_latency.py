"""CLI latency: CPU time of `mer` commands that only list or explain, against `python -c "import torch"`.

Each command runs in a fresh interpreter, as a user types it; its CPU time (user + system, children
included) is read from ``getrusage``, which other jobs on the machine disturb far less than wall time.
Commands are interleaved and each figure is the median of the repeats. Printed: per command its median
CPU and wall time and its ratio to the torch import; the last line is the `mer list` ratio.
Target: `mer list` <= 0.3 of the torch import.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import time

from _common import machine

MER = [sys.executable, "-m", "mer_toolkit.cli.main"]
COMMANDS = {
    "import torch": [sys.executable, "-c", "import torch"],
    "mer list": [*MER, "list"],
    "mer --help": [*MER, "--help"],
    "mer info drkf": [*MER, "info", "drkf"],
    "mer config show drkf": [*MER, "config", "show", "drkf"],
    "mer train (error: unknown model)": [*MER, "train", "--model", "drkff", "--dataset", "demo"],
}
EXPECTED_EXIT = {"mer train (error: unknown model)": 2}


def cpu_and_wall(cmd: list[str], expected: int) -> tuple[float, float]:
    """CPU seconds (user + system) and wall seconds of one run of ``cmd`` in a child process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                          env={**os.environ, "COLUMNS": "160"})
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode != expected:
        sys.exit(f"`{' '.join(cmd)}` exited {proc.returncode}, expected {expected}: {proc.stderr[-500:]}")
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime), wall


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=7, help="runs of each command (default 7)")
    ap.add_argument("--quick", action="store_true", help="3 repeats")
    args = ap.parse_args()
    repeats = 3 if args.quick else args.repeats
    print(f"machine: {machine()}; load average {os.getloadavg()[0]:.2f}; {repeats} interleaved runs per command")
    runs: dict[str, list[tuple[float, float]]] = {name: [] for name in COMMANDS}
    for _ in range(repeats):
        for name, cmd in COMMANDS.items():
            runs[name].append(cpu_and_wall(cmd, EXPECTED_EXIT.get(name, 0)))
    cpu = {name: statistics.median(c for c, _ in r) for name, r in runs.items()}
    wall = {name: statistics.median(w for _, w in r) for name, r in runs.items()}
    base = cpu["import torch"]
    print(f"{'command':<34} {'CPU s':>7} {'wall s':>7} {'CPU / import torch':>19}")
    for name in COMMANDS:
        print(f"{name:<34} {cpu[name]:>7.3f} {wall[name]:>7.3f} {cpu[name] / base:>19.3f}")
    print(f"mer train error path / import torch CPU-time ratio: {cpu['mer train (error: unknown model)'] / base:.3f}")
    print(f"mer list / import torch CPU-time ratio (goal <= 0.3): {cpu['mer list'] / base:.3f}")


if __name__ == "__main__":
    main()
