"""Wall time of the full test suite as ``make test`` runs it, alone and beside one other CPU-bound process.

Usage: python benchmarks/suite_time.py [--only quiet|loaded] [--serial] [-- PYTEST_ARGS...]   (repository root)

The suite runs twice: once as is, once with a busy-loop process (one core's worth of work, like a
second job on a developer's machine or a CI runner) running beside it for the whole run. Both wall
times are printed against their targets (2 and 3 minutes), with their ratio and the tests whose time
grew most under that load. The load average before each run is printed: on a machine already shared
with other work the "quiet" figure is not quiet, and says so.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import time
from pathlib import Path

from _common import machine

ROOT = Path(__file__).resolve().parents[1]
TARGETS = {"quiet": 120.0, "loaded": 180.0}
# `make test`'s pytest command (two workers, work stealing), every test's duration over 0.5 s reported
MAKE_TEST = ["-q", "-p", "no:cacheprovider", "-n", "2", "--dist", "worksteal", "--durations=0", "--durations-min=0.5"]
DURATION = re.compile(r"^\s*([\d.]+)s (?:call|setup|teardown)\s+(\S+)")


def run_suite(cmd: list[str], busy: bool) -> tuple[float, str, dict[str, float], float]:
    """Wall time, pytest's summary line, seconds per test (its phases added) and the load average before."""
    load = os.getloadavg()[0]
    loop = subprocess.Popen([sys.executable, "-c", "while True: pass"]) if busy else None
    try:
        t0 = time.perf_counter()
        proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
        wall = time.perf_counter() - t0
    finally:
        if loop is not None:
            loop.kill()
            loop.wait()
    lines = proc.stdout.strip().splitlines()
    per_test: dict[str, float] = {}
    for line in lines:
        if m := DURATION.match(line):
            per_test[m[2]] = per_test.get(m[2], 0.0) + float(m[1])
    summary = lines[-1] if lines else proc.stderr[-2000:]
    return wall, f"{summary} (exit {proc.returncode})", per_test, load


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", choices=sorted(TARGETS), help="run the suite once, quiet or loaded")
    parser.add_argument("--serial", action="store_true", help="one pytest process instead of two workers")
    parser.add_argument("--top", type=int, default=10, help="how many of the most slowed-down tests to list")
    parser.add_argument("pytest_args", nargs="*", help="extra pytest arguments (after --)")
    args = parser.parse_args()
    base = [a for a in MAKE_TEST if not (args.serial and a in ("-n", "2", "--dist", "worksteal"))]
    cmd = [sys.executable, "-m", "pytest", *base, *args.pytest_args]
    print(f"machine: {machine()}\ncommand: {' '.join(cmd[1:])}")
    results = {}
    for kind in [args.only] if args.only else ["quiet", "loaded"]:
        wall, summary, per_test, load = run_suite(cmd, busy=kind == "loaded")
        results[kind] = (wall, per_test)
        beside = "beside one busy-loop process" if kind == "loaded" else "alone"
        print(f"{kind}: {summary}; {beside}, load average before {load:.1f}")
        print(f"{kind}: suite wall time {wall:.0f} s / target {TARGETS[kind]:.0f} s = {wall / TARGETS[kind]:.2f}")
    if len(results) == 2:
        (quiet, q_tests), (loaded, l_tests) = results["quiet"], results["loaded"]
        grown = sorted(((l_tests[t] - q_tests.get(t, 0.0), t) for t in l_tests), reverse=True)[:args.top]
        print("slowed down most by the other process (seconds alone -> beside it): "
              + ("; ".join(f"{t} {q_tests.get(t, 0.0):.1f} -> {l_tests[t]:.1f}" for _, t in grown)
                 or "no test took 0.5 s or more"))
        print(f"loaded / quiet = {loaded:.0f} s / {quiet:.0f} s = {loaded / quiet:.2f}")


if __name__ == "__main__":
    main()
