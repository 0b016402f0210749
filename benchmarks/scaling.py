"""Epoch time and memory over 1k-8k utterances of IEMOCAP-like pooled features (768-d text, 1024-d audio).

The features go through the real feature cache (``extract`` writes ``data.npy``, ``load_cached`` maps
it); each run is a fresh interpreter, so its peak memory is its own. Modes: ``cached`` trains on the
memory-mapped references, ``in-ram`` on copies of the features (what loading a feature pickle does).
Memory is the growth of the process's anonymous (owned, not file-backed) memory from after a warm-up
step, so model, gradients and optimizer state are excluded. Each utterance costs some bookkeeping
(its ``Sample``, ids) whatever its features; to isolate the features, the largest size runs again
with features 4x wider. Printed last: the fitted exponent of epoch time in dataset size (best of
``--repeats`` epochs per size, so a burst of other load does not pass for super-linear growth;
target <= 1.1) and the share of the extra feature bytes that became process memory (target: flat,
<= 0.05, for cached features; about 1 is what holding them in RAM costs).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import subprocess
import sys
import tempfile
import threading
import time

import torch
from torch import nn

from _common import build, machine, registry, synthetic_samples
from mer_toolkit.data.corpus import Corpus
from mer_toolkit.data.feature_rows import FeatureRows
from mer_toolkit.data.loader import make_loader
from mer_toolkit.data.sample import Sample
from mer_toolkit.data.feature_cache import extract, load_cached
from mer_toolkit.config.sections import TrainConfig
from mer_toolkit.run.trainer import Trainer

DIMS = {"text": 768, "audio": 1024}
CLASSES = 6
MODES = ("cached", "in-ram")
WIDE = 4


class SyntheticFeatures(nn.Module):
    """A frozen 'encoder' turning ``"<label> <index>"`` into a class prototype plus seeded noise."""

    input_modality = "text"

    def __init__(self, dim: int = 768, seed: int = 0) -> None:
        super().__init__()
        self.dim, self.seed = dim, seed
        self.protos = torch.randn(CLASSES, dim, generator=torch.Generator().manual_seed(seed))

    def forward(self, x: list[str], mask: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        rows = []
        for text in x:
            label, index = (int(v) for v in text.split())
            noise = torch.randn(self.dim, generator=torch.Generator().manual_seed(self.seed * 1_000_003 + index))
            rows.append(self.protos[label] + noise)
        return torch.stack(rows).unsqueeze(1), torch.ones(len(x), 1, dtype=torch.bool)


def corpus(n: int) -> Corpus:
    """``n`` utterances whose raw 'input' names their label and index (a few bytes each)."""
    samples = [Sample(id=f"u{i}", label=i % CLASSES, modalities={"text": f"{i % CLASSES} {i}"}, dialogue_id=f"d{i}")
               for i in range(n)]
    return Corpus(name=f"synthetic{n}", label_names=[str(c) for c in range(CLASSES)], samples=samples)


def dims(width: int) -> dict[str, int]:
    return {m: d * width for m, d in DIMS.items()}


def features(data: Corpus, width: int = 1) -> dict[str, dict[str, FeatureRows]]:
    """Modality -> id -> reference into the memory-mapped cache, extracted on first use."""
    reg = registry()
    if "synthetic_features" not in reg.encoder:
        reg.encoder.register("synthetic_features", SyntheticFeatures)
    out = {}
    for k, (modality, dim) in enumerate(dims(width).items()):
        res = extract(data, "text", {"type": "synthetic_features", "dim": dim, "seed": k + 1}, reg, batch_size=256)
        out[modality] = load_cached(res.path)
    return out


def memory_mb() -> dict[str, float]:
    """Resident memory of this process by origin (Linux): anonymous (owned) and file-backed (mapped files)."""
    try:
        with open("/proc/self/status") as f:
            fields = dict(line.split(":", 1) for line in f)
    except OSError:
        return {}
    return {k: int(fields[k].split()[0]) / 1024 for k in ("RssAnon", "RssFile") if k in fields}


class PeakMemory:
    """Samples ``memory_mb`` every few milliseconds in a thread and keeps the largest values."""

    def __init__(self, every: float = 0.005) -> None:
        self.every, self.peak, self._stop = every, memory_mb(), threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.wait(self.every):
            for k, v in memory_mb().items():
                self.peak[k] = max(self.peak.get(k, 0.0), v)

    def __enter__(self) -> PeakMemory:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def run_one(n: int, mode: str, width: int, model_name: str, repeats: int) -> dict[str, float]:
    """One size in one mode: best epoch time of ``repeats``, growth of anonymous memory, feature bytes."""
    torch.set_num_threads(2)
    model = build(model_name, dims(width), CLASSES)
    trainer = Trainer(model, TrainConfig(epochs=1, device="cpu"), label_names=[str(c) for c in range(CLASSES)])
    trainer.train_epoch(make_loader(synthetic_samples(64, dims(width)), 32, shuffle=True), 1, 0, 2, 0)
    before = memory_mb()  # model, gradients and optimizer state now exist
    with PeakMemory() as peak:
        data = corpus(n)
        feats = features(data, width)
        if mode == "in-ram":
            feats = {m: {uid: x.tensor().clone() for uid, x in by_id.items()} for m, by_id in feats.items()}
        samples = [Sample(id=s.id, label=s.label, modalities={m: feats[m][s.id] for m in DIMS}, dialogue_id=s.id)
                   for s in data.samples]
        del data
        del feats
        loader = make_loader(samples, 32, shuffle=True)
        seconds = min(trainer.train_epoch(loader, 1, 0, len(loader), 0)["seconds"] for _ in range(repeats))
    return {"seconds": seconds, "feature_mb": n * sum(dims(width).values()) * 4 / 2**20,
            "anon_growth_mb": peak.peak.get("RssAnon", math.nan) - before.get("RssAnon", math.nan),
            "file_peak_mb": peak.peak.get("RssFile", math.nan)}


def fit_exponent(sizes: list[int], values: list[float]) -> float:
    """Least-squares slope of log(value) on log(size)."""
    xs, ys = [math.log(n) for n in sizes], [math.log(v) for v in values]
    mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
    return sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / sum((x - mx) ** 2 for x in xs)


def measure(n: int, mode: str, width: int, args: argparse.Namespace, env: dict[str, str]) -> dict[str, float]:
    """``run_one`` in a fresh interpreter, with its line of the table printed."""
    proc = subprocess.run([sys.executable, __file__, "--one", str(n), mode, str(width), "--model", args.model,
                           "--repeats", str(args.repeats)], capture_output=True, text=True, env=env)
    if proc.returncode != 0:
        raise SystemExit(f"size {n} ({mode}, width x{width}) failed:\n{proc.stderr[-3000:]}")
    r = json.loads(proc.stdout.strip().splitlines()[-1])
    print(f"{mode:>7} x{width} {n:>5} utterances: {r['seconds']:6.2f} s/epoch; features {r['feature_mb']:6.1f} MiB; "
          f"anonymous memory +{r['anon_growth_mb']:6.1f} MiB ({r['anon_growth_mb'] * 1024 / n:5.2f} KiB/utterance); "
          f"file-backed peak {r['file_peak_mb']:5.0f} MiB", flush=True)
    return r


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="250..2000 utterances, one timed epoch each")
    parser.add_argument("--model", default="drkf")
    parser.add_argument("--repeats", type=int, default=None, help="timed epochs per size, best kept (default 3)")
    parser.add_argument("--one", nargs=3, metavar=("N", "MODE", "WIDTH"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    args.repeats = args.repeats or (1 if args.quick else 3)
    if args.one:
        print(json.dumps(run_one(int(args.one[0]), args.one[1], int(args.one[2]), args.model, args.repeats)))
        return
    sizes = [250, 500, 1000, 2000] if args.quick else [1000, 2000, 4000, 8000]
    print(f"machine: {machine()}; model {args.model}; load average {os.getloadavg()[0]:.2f}; best of {args.repeats}")
    with tempfile.TemporaryDirectory() as cache:
        env = {**os.environ, "MER_CACHE_DIR": cache, "OMP_NUM_THREADS": "2"}
        os.environ["MER_CACHE_DIR"] = cache
        for n in sizes:  # fill the cache here, so the measured processes only map it
            features(corpus(n))
        features(corpus(sizes[-1]), WIDE)
        runs = {mode: [measure(n, mode, 1, args, env) for n in sizes] for mode in MODES}
        wide = {mode: measure(sizes[-1], mode, WIDE, args, env) for mode in MODES}
    share = {mode: (wide[mode]["anon_growth_mb"] - runs[mode][-1]["anon_growth_mb"])
             / (wide[mode]["feature_mb"] - runs[mode][-1]["feature_mb"]) for mode in MODES}
    print(f"in-RAM time exponent: {fit_exponent(sizes, [r['seconds'] for r in runs['in-ram']]):.3f}")
    exponent = fit_exponent(sizes, [r["seconds"] for r in runs["cached"]])
    print(f"fitted time exponent (cached): {exponent:.3f} (target <= 1.1: {'met' if exponent <= 1.1 else 'MISSED'}); "
          f"share of extra feature bytes held in process memory: cached {share['cached']:.3f}, in RAM "
          f"{share['in-ram']:.3f} (target flat for cached, <= 0.05: {'met' if share['cached'] <= 0.05 else 'MISSED'})")


if __name__ == "__main__":
    main()
