"""Feature cache: time of a second `mer extract` (cache hit) over the first (target ratio ≤ 0.05)."""

from __future__ import annotations

import argparse
import os
import tempfile

import numpy as np
import soundfile as sf

from _common import machine, registry
from mer_toolkit.data.corpus import Corpus
from mer_toolkit.data.sample import Sample
from mer_toolkit.features import extract


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="80 clips instead of 800")
    args = parser.parse_args()
    n = 80 if args.quick else 800
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["MER_CACHE_DIR"] = os.path.join(tmp, "cache")
        rng = np.random.default_rng(0)
        samples = []
        for i in range(n):
            path = os.path.join(tmp, f"u{i}.wav")
            sf.write(path, (0.1 * rng.standard_normal(48000)).astype(np.float32), 16000)
            samples.append(Sample(id=f"u{i}", label=i % 4, modalities={"audio": path}))
        corpus = Corpus("synthetic", ["a", "b", "c", "d"], samples)
        spec = {"type": "fbank", "n_mels": 80, "pool": "none"}
        first = extract(corpus, "audio", spec, registry())
        second = extract(corpus, "audio", spec, registry())
    ratio = second.seconds / first.seconds
    print(f"machine: {machine()}; {n} clips of 3 s, fbank 80")
    print(f"first extract {first.seconds:.2f} s (hit={first.hit}), second {second.seconds:.3f} s (hit={second.hit})")
    print(f"cache ratio (second / first): {ratio:.4f} (target <= 0.05: {'met' if ratio <= 0.05 else 'MISSED'})")


if __name__ == "__main__":
    main()
