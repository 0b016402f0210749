#!/usr/bin/env python3
"""Checks the README's demo table against the table `make demo` wrote, so the README cannot go stale.

The README holds the table between ``<!-- make-demo:start -->`` and ``<!-- make-demo:end -->``. Each cell
of the two tables must match: the same rows, columns and marks, numbers within ``--tolerance`` points
(0 = exact; training is deterministic on one machine, but another CPU's float reductions may flip an
utterance or two). ``--write`` copies the fresh table into the README instead.

    make demo && python scripts/check_readme_demo.py [--summary runs/demo/summary.md] [--tolerance 1.0]
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

START, END = "<!-- make-demo:start -->", "<!-- make-demo:end -->"
NUMBER = re.compile(r"-?\d+(?:\.\d+)?")


def table_lines(text: str) -> list[str]:
    """The first markdown table in ``text``: its contiguous ``|`` lines."""
    lines, started = [], False
    for line in text.splitlines():
        if line.startswith("|"):
            lines.append(line.strip())
            started = True
        elif started:
            break
    return lines


def readme_block(readme: str, where: str) -> tuple[int, int]:
    """Offsets of the text between the README's markers."""
    start, end = readme.find(START), readme.find(END)
    if start < 0 or end < start:
        raise SystemExit(f"{where}: the markers {START} and {END} around the demo table are missing")
    return start + len(START), end


def differences(expected: list[str], actual: list[str], tolerance: float) -> list[str]:
    """Cells that differ: other text (rows, marks, labels), or numbers further apart than ``tolerance``."""
    if len(expected) != len(actual):
        return [f"the README table has {len(expected)} lines, make demo's has {len(actual)}"]
    found = []
    for row_e, row_a in zip(expected, actual):
        if NUMBER.sub("#", row_e) != NUMBER.sub("#", row_a):
            found.append(f"README: {row_e}\n  demo: {row_a}")
            continue
        gaps = [abs(float(e) - float(a)) for e, a in zip(NUMBER.findall(row_e), NUMBER.findall(row_a))]
        if max(gaps, default=0.0) > tolerance:
            found.append(f"README: {row_e}\n  demo: {row_a}\n  (largest gap {max(gaps):.2f} > {tolerance})")
    return found


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--summary", default="runs/demo/summary.md", help="summary.md written by make demo")
    ap.add_argument("--readme", default="README.md")
    ap.add_argument("--tolerance", type=float, default=0.0, help="largest allowed gap per number, in points")
    ap.add_argument("--write", action="store_true", help="copy the fresh table into the README")
    args = ap.parse_args(argv)
    summary, readme_path = Path(args.summary), Path(args.readme)
    if not summary.is_file():
        raise SystemExit(f"{summary}: not found; run `make demo` first")
    actual = table_lines(summary.read_text(encoding="utf-8"))
    if not actual:
        raise SystemExit(f"{summary}: no markdown table in it")
    readme = readme_path.read_text(encoding="utf-8")
    start, end = readme_block(readme, str(readme_path))
    if args.write:
        readme_path.write_text(readme[:start] + "\n```\n" + "\n".join(actual) + "\n```\n" + readme[end:],
                               encoding="utf-8")
        print(f"{readme_path}: demo table updated from {summary}")
        return 0
    found = differences(table_lines(readme[start:end]), actual, args.tolerance)
    if found:
        print(f"{readme_path}: the demo table differs from what make demo wrote to {summary}:\n" + "\n".join(found)
              + "\nrun `make demo && python scripts/check_readme_demo.py --write` and commit the README")
        return 1
    print(f"{readme_path}: demo table matches {summary} ({len(actual) - 2} rows, tolerance {args.tolerance})")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
