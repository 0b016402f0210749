"""Share of a training epoch spent waiting for the data loader (target ≤ 5 %), with sequence features."""

from __future__ import annotations

import argparse

import torch

from _common import build, machine, synthetic_samples
from mer_toolkit.data.loader import make_loader
from mer_toolkit.config.sections import TrainConfig
from mer_toolkit.run.trainer import Trainer


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--model", default="mult")
    args = parser.parse_args()
    torch.set_num_threads(2)
    n = 400 if args.quick else 3000
    dims = {"text": 768, "audio": 80}
    samples = synthetic_samples(n, dims, seq=40)
    model = build(args.model, dims)
    trainer = Trainer(model, TrainConfig(epochs=1, device="cpu"), label_names=[str(i) for i in range(6)])
    loader = make_loader(samples, 32, shuffle=True)
    stats = trainer.train_epoch(loader, 1, 0, len(loader), 0)
    frac = stats["loader_wait_fraction"]
    print(f"machine: {machine()}; model {args.model}, {n} utterances of up to 40 steps")
    print(f"epoch {stats['seconds']:.2f} s")
    print(f"loader wait fraction: {frac:.2%} (target <= 5%: {'met' if frac <= 0.05 else 'MISSED'})")


if __name__ == "__main__":
    main()
