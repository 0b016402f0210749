"""Wall time of the test suite as ``make test`` runs it (two xdist workers) against the 3-minute target.

Usage: python benchmarks/suite_time.py [--serial] [-- PYTEST_ARGS...]   (run from the repository root)
The load average before and after is printed: on a machine shared with other work the time says little.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

from _common import machine

TARGET_SECONDS = 180.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--serial", action="store_true", help="one process, as before pytest-xdist")
    parser.add_argument("pytest_args", nargs="*", help="extra pytest arguments (after --)")
    args = parser.parse_args()
    workers = [] if args.serial else ["-n", "2", "--dist", "worksteal"]
    cmd = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *workers, *args.pytest_args]
    load_before = os.getloadavg()[0]
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, cwd=Path(__file__).resolve().parents[1], capture_output=True, text=True)
    wall = time.perf_counter() - t0
    print(proc.stdout.strip().splitlines()[-1] if proc.stdout.strip() else proc.stderr[-2000:])
    print(f"machine: {machine()}; load average before {load_before:.1f}, after {os.getloadavg()[0]:.1f}")
    print(f"command: {' '.join(cmd[1:])} (exit {proc.returncode})")
    print(f"suite wall time {wall:.0f} s / target {TARGET_SECONDS:.0f} s = {wall / TARGET_SECONDS:.2f}")


if __name__ == "__main__":
    main()
