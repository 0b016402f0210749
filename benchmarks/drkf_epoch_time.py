"""DRKF frozen-feature training epoch on an IEMOCAP-6-sized input (5810 utterances, 1024-d text and audio)."""

from __future__ import annotations

import argparse

import torch

from _common import build, machine, synthetic_samples
from mer_toolkit.data.loader import make_loader
from mer_toolkit.config.sections import TrainConfig
from mer_toolkit.run.trainer import Trainer


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="580 utterances instead of 5810")
    parser.add_argument("--threads", type=int, default=2, help="CPU threads (the target is for 2 cores)")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    n = 580 if args.quick else 5810
    dims = {"text": 1024, "audio": 1024}
    samples = synthetic_samples(n, dims)
    model = build("drkf", dims)
    trainer = Trainer(model, TrainConfig(epochs=1, device="cpu"), label_names=[str(i) for i in range(6)])
    loader = make_loader(samples, 32, shuffle=True)
    trainer.train_epoch(loader, 1, 0, len(loader), 0)  # warm-up
    stats = trainer.train_epoch(loader, 2, 0, len(loader), 0)
    per_epoch = stats["seconds"] * 5810 / n
    print(f"machine: {machine()}, threads {args.threads}")
    print(f"DRKF epoch on {n} utterances: {stats['seconds']:.2f} s (loader wait {stats['loader_wait_fraction']:.1%})")
    print(f"DRKF epoch time for 5810 utterances: {per_epoch:.2f} s (target <= 10 s: {'met' if per_epoch <= 10 else 'MISSED'})")


if __name__ == "__main__":
    main()
