"""Epoch time and peak memory for 1k-8k utterances of IEMOCAP-like pooled features (time exponent ≤ 1.1)."""

from __future__ import annotations

import argparse
import math

import torch

from _common import build, machine, peak_rss_mb, synthetic_samples
from mer_toolkit.data.loader import make_loader
from mer_toolkit.sections import TrainConfig
from mer_toolkit.train import Trainer


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="250..2000 utterances")
    parser.add_argument("--model", default="drkf")
    args = parser.parse_args()
    torch.set_num_threads(2)
    sizes = [250, 500, 1000, 2000] if args.quick else [1000, 2000, 4000, 8000]
    dims = {"text": 768, "audio": 1024}
    print(f"machine: {machine()}; model {args.model}")
    times = []
    for n in sizes:
        samples = synthetic_samples(n, dims, seed=n)
        model = build(args.model, dims)
        trainer = Trainer(model, TrainConfig(epochs=1, device="cpu"), label_names=[str(i) for i in range(6)])
        loader = make_loader(samples, 32, shuffle=True)
        trainer.train_epoch(make_loader(samples[:64], 32, shuffle=True), 1, 0, 2, 0)
        t = trainer.train_epoch(loader, 1, 0, len(loader), 0)["seconds"]
        times.append(t)
        print(f"{n:>5} utterances: {t:7.2f} s/epoch, peak RSS {peak_rss_mb():7.0f} MiB")
    xs, ys = [math.log(n) for n in sizes], [math.log(t) for t in times]
    mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
    slope = sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / sum((x - mx) ** 2 for x in xs)
    print(f"fitted time exponent: {slope:.3f} (target <= 1.1: {'met' if slope <= 1.1 else 'MISSED'})")


if __name__ == "__main__":
    main()
