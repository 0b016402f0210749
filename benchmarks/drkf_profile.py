"""Where a DRKF demo training step spends its time: torch.profiler over the steps of one demo epoch.

The cell is built as ``mer bench --model drkf --dataset demo`` builds it (one CPU thread). Regions are
marked per part: the encoders' projections, ORL (its auto-encoders, projection heads, unimodal
classifiers and NT-Xent terms), the Fusion Encoder (its call holds the batch and ED's mismatched
pairs; ``--no-ed`` gives the FE on the batch alone), the EC head, the loss, backward, the optimiser step
and the batch's move to the device. The table lists each region's forward time; backward is one region.
"""

from __future__ import annotations

import argparse
import contextlib
import time

import torch
from torch.profiler import ProfilerActivity, profile, record_function

from _common import demo_cell, machine


REGIONS: set[str] = {"data to device", "loss", "backward", "optimizer step"}


def mark(module: torch.nn.Module, name: str) -> None:
    """Wrap ``module``'s forward in a profiler region called ``name``."""
    REGIONS.add(name)
    stack: list[contextlib.AbstractContextManager] = []

    def enter(*_: object) -> None:
        ctx = record_function(name)
        ctx.__enter__()
        stack.append(ctx)

    def leave(*_: object) -> None:
        stack.pop().__exit__(None, None, None)

    module.register_forward_pre_hook(enter)
    module.register_forward_hook(leave)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--model", default="drkf")
    parser.add_argument("--steps", type=int, default=20, help="training steps profiled (after 3 warm-up steps)")
    parser.add_argument("--no-ed", action="store_true", help="switch ED off (the FE then sees the batch only)")
    parser.add_argument("--rows", type=int, default=15, help="operators listed")
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="config override")
    args = parser.parse_args()
    overrides = [*(["model.fusion.ed=false"] if args.no_ed else []), *args.set]
    model, trainer, loader, _ = demo_cell(args.model, overrides=overrides)
    for name, enc in model.encoders.items():
        mark(enc, f"encoder.{name}")
    orl = model.interaction
    if orl is not None:
        mark(orl, "orl (all)")
        for m in orl.modalities:
            mark(orl.ae[m], "orl.auto-encoders")
            mark(orl.proj[m], "orl.projection heads")
            mark(orl.classifier[m], "orl.unimodal classifiers")
    mark(model.fusion, "fusion encoder (batch + ED pairs)")
    for head in model.heads.values():
        mark(head, "ec head")
    opt = trainer.optimizer
    model.train()

    def step(batch) -> None:  # noqa: ANN001
        with record_function("data to device"):
            batch = batch.to(trainer.device)
        out = model(batch)
        with record_function("loss"):
            loss, _ = model.compute_loss(out, batch)
        opt.zero_grad()
        with record_function("backward"):
            loss.backward()
        with record_function("optimizer step"):
            opt.step()

    batches = list(loader)
    for batch in batches[:3]:
        step(batch)
    run = batches[3:3 + args.steps]
    t0 = time.perf_counter()
    with profile(activities=[ProfilerActivity.CPU]) as prof:
        for batch in run:
            step(batch)
    wall = time.perf_counter() - t0
    events = prof.key_averages()
    regions = sorted((e for e in events if e.key in REGIONS), key=lambda e: -e.cpu_time_total)
    print(f"machine: {machine()}, 1 thread; {args.model}{' (no ED)' if args.no_ed else ''}, "
          f"{len(run)} steps of batch {len(run[0])}: {1000 * wall / len(run):.1f} ms/step "
          f"(profiled)")
    print(f"{'region':40s} {'ms/step':>9s} {'share':>7s}")
    for e in regions:
        ms = e.cpu_time_total / 1000 / len(run)
        print(f"{e.key:40s} {ms:9.2f} {e.cpu_time_total / 1e6 / wall:7.1%}")
    print(events.table(sort_by="self_cpu_time_total", row_limit=args.rows))


if __name__ == "__main__":
    main()
