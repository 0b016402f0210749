"""Feature cache: the second `mer extract` (a cache hit) against the first (computing), on synthetic clips.

Both runs are the real command in a fresh interpreter. Printed: their wall times (what a user waits,
interpreter start and dataset reading included), the time spent in extraction itself (the ``seconds``
of ``--json``: fingerprint and lookup on a hit), and the second / first ratios. Target: the second run
does no work, extraction ratio <= 0.05.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import soundfile as sf

from _common import machine

WORDS = ["what a great day", "this is so sad", "leave me alone", "i can't believe it", "okay fine"]


def write_corpus(folder: Path, n: int) -> Path:
    """``n`` three-second WAV clips with a transcript each, listed in a manifest."""
    rng = np.random.default_rng(0)
    t = np.arange(48000) / 16000
    with open(folder / "corpus.csv", "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["id", "audio", "text", "label", "split"])
        for i in range(n):
            tone = 0.2 * np.sin(2 * np.pi * (120 + 20 * (i % 7)) * t) + 0.05 * rng.standard_normal(t.size)
            sf.write(folder / f"u{i}.wav", tone.astype(np.float32), 16000)
            w.writerow([f"u{i}", f"u{i}.wav", WORDS[i % len(WORDS)], ["a", "b", "c", "d"][i % 4],
                        ["train", "train", "train", "val", "test"][i % 5]])
    return folder / "corpus.csv"


def run_extract(manifest: Path, encoder: str, env: dict[str, str]) -> tuple[float, dict]:
    t0 = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "mer_toolkit.cli.main", "extract", "--dataset", str(manifest),
                           "--encoder", encoder, "--device", "cpu", "--json"], capture_output=True, text=True, env=env)
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        raise SystemExit(f"mer extract failed:\n{proc.stderr}")
    return wall, json.loads(proc.stdout)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="80 clips instead of 800")
    parser.add_argument("--encoder", default="fbank", help="encoder to cache (default fbank; minilm for text)")
    args = parser.parse_args()
    n = 80 if args.quick else 800
    with tempfile.TemporaryDirectory() as tmp:
        manifest = write_corpus(Path(tmp), n)
        env = {**os.environ, "MER_CACHE_DIR": os.path.join(tmp, "cache")}
        wall1, first = run_extract(manifest, args.encoder, env)
        wall2, second = run_extract(manifest, args.encoder, env)
    if first["hit"] or not second["hit"]:
        raise SystemExit(f"expected a miss then a hit, got hit={first['hit']} then hit={second['hit']}")
    ratio = second["seconds"] / first["seconds"]
    print(f"machine: {machine()}")
    print(f"mer extract --encoder {args.encoder} on {n} clips of 3 s ({first['dim']}-d)")
    print(f"first run:  {wall1:6.2f} s wall, {first['seconds']:8.3f} s extracting (hit={first['hit']})")
    print(f"second run: {wall2:6.2f} s wall, {second['seconds']:8.3f} s extracting (hit={second['hit']})")
    print(f"wall ratio (second / first): {wall2 / wall1:.3f}")
    print(f"extraction ratio (second / first): {ratio:.4f} (target <= 0.05: {'met' if ratio <= 0.05 else 'MISSED'})")


if __name__ == "__main__":
    main()
