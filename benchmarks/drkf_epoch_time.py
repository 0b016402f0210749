"""DRKF's training epoch: on an IEMOCAP-6-sized input (5810 utterances, 1024-d text and audio vectors), and on
the demo corpus beside MulT in the same run, whose ratio (DRKF / MulT seconds per demo epoch) prints last.

Each demo cell is built as ``mer bench --dataset demo`` builds it; the two models' epochs alternate
(``--rounds`` of each, best kept), so a machine shared with other work loads both alike. DRKF's demo
evaluation pass is also timed with ORL in evaluation mode (no auto-encoders) and with ORL computing its
views and terms as in training, the cost evaluation used to pay.
"""

from __future__ import annotations

import argparse
import time

import torch

from _common import build, demo_cell, machine, synthetic_samples
from mer_toolkit.config.sections import TrainConfig
from mer_toolkit.data.loader import make_loader
from mer_toolkit.run.trainer import Trainer


def iemocap_sized(quick: bool) -> None:
    """Seconds of one DRKF epoch over 5810 pooled 1024-d text + audio utterances (580 with ``quick``, scaled)."""
    n = 580 if quick else 5810
    dims = {"text": 1024, "audio": 1024}
    model = build("drkf", dims)
    trainer = Trainer(model, TrainConfig(epochs=1, device="cpu"), label_names=[str(i) for i in range(6)])
    loader = make_loader(synthetic_samples(n, dims), 32, shuffle=True)
    trainer.train_epoch(loader, 1, 0, len(loader), 0)  # warm-up
    stats = trainer.train_epoch(loader, 2, 0, len(loader), 0)
    per_epoch = stats["seconds"] * 5810 / n
    print(f"DRKF epoch on {n} utterances: {stats['seconds']:.2f} s (loader wait {stats['loader_wait_fraction']:.1%})")
    verdict = "met" if per_epoch <= 10 else "MISSED"
    print(f"DRKF epoch time for 5810 utterances: {per_epoch:.2f} s (target <= 10 s: {verdict})")


def eval_seconds(model: torch.nn.Module, loader, orl_views: bool) -> float:  # noqa: ANN001
    """One evaluation pass; ``orl_views`` puts ORL (no dropout) in training mode so that it computes its views."""
    model.eval()
    if orl_views:
        model.interaction.train()
    t0 = time.perf_counter()
    with torch.no_grad():
        for batch in loader:
            model(batch)
    model.eval()
    return time.perf_counter() - t0


def demo_ratio(rounds: int, threads: int) -> None:
    """DRKF and MulT demo epochs, alternated; the best of ``rounds`` each, and the ratio."""
    cells = {name: demo_cell(name, threads=threads) for name in ("drkf", "mult")}
    best = {name: float("inf") for name in cells}
    for r in range(rounds + 1):  # round 0 warms up
        for name, (_, trainer, loader, _) in cells.items():
            stats = trainer.train_epoch(loader, r + 1, r * len(loader), (rounds + 1) * len(loader), 0)
            if r:
                best[name] = min(best[name], stats["seconds"])
    model, _, _, val = cells["drkf"]
    skip = min(eval_seconds(model, val, False) for _ in range(3))
    views = min(eval_seconds(model, val, True) for _ in range(3))
    print(f"DRKF demo evaluation pass ({len(val.dataset)} utterances): {skip:.3f} s without the auto-encoders, "
          f"{views:.3f} s with ORL's views and terms computed")
    for name, seconds in best.items():
        print(f"{name} demo training epoch: {seconds:.2f} s (best of {rounds})")
    print(f"DRKF / MulT seconds per demo epoch: {best['drkf'] / best['mult']:.2f} "
          f"(target <= 1.0: {'met' if best['drkf'] <= best['mult'] else 'MISSED'})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="580 utterances instead of 5810, 2 demo rounds")
    parser.add_argument("--threads", type=int, default=1, help="CPU threads")
    parser.add_argument("--rounds", type=int, default=3, help="demo epochs timed per model (after one warm-up)")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    print(f"machine: {machine()}, threads {args.threads}")
    iemocap_sized(args.quick)
    demo_ratio(2 if args.quick else args.rounds, args.threads)


if __name__ == "__main__":
    main()
