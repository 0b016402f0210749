"""Toolkit overhead: the trainer's epoch (loader, collate, loss terms, clipping, logging) vs a bare PyTorch
loop over the same pre-collated batches and the same model (target ratio ≤ 1.15)."""

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
    parser.add_argument("--model", default="drkf")
    args = parser.parse_args()
    torch.set_num_threads(2)
    n = 600 if args.quick else 4000
    dims = {"text": 768, "audio": 1024}
    samples = synthetic_samples(n, dims)
    model = build(args.model, dims)
    cfg = TrainConfig(epochs=1, device="cpu", grad_clip=1.0)
    trainer = Trainer(model, cfg, label_names=[str(i) for i in range(6)])
    loader = make_loader(samples, 32, shuffle=True, seed=0)
    batches = list(make_loader(samples, 32, shuffle=True, seed=0))
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3)

    def bare() -> float:
        import time

        model.train()
        t0 = time.perf_counter()
        for b in batches:
            out = model(b)
            loss, _ = model.compute_loss(out, b)
            opt.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
        return time.perf_counter() - t0

    bare()
    trainer.train_epoch(loader, 1, 0, len(loader), 0)
    pairs = []  # interleaved, so background load hits both sides alike; the median pair ratio is reported
    for _ in range(5):
        pairs.append((bare(), trainer.train_epoch(loader, 1, 0, len(loader), 0)["seconds"]))
    ratios = sorted(k / b for b, k in pairs)
    ratio = ratios[len(ratios) // 2]
    t_bare, t_kit = min(b for b, _ in pairs), min(k for _, k in pairs)
    print(f"machine: {machine()}; model {args.model}, {n} utterances")
    print(f"bare loop {t_bare:.3f} s/epoch, toolkit trainer {t_kit:.3f} s/epoch")
    print(f"overhead ratio (toolkit / bare loop): {ratio:.3f} (target <= 1.15: {'met' if ratio <= 1.15 else 'MISSED'})")


if __name__ == "__main__":
    main()
