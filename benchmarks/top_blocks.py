"""Fine-tuning MiniLM's top blocks: `finetune: k` on transcripts against `minilm_top` on a cached hidden state.

Both sides train the same weights (MiniLM's top ``k`` blocks plus a linear head, AdamW) on the same IEMOCAP
transcripts (COSMIC file in ../shared/data) in batches of ``--batch-size``: one side tokenises and runs all six
blocks per step (``minilm``, ``finetune: k``), the other reads hidden state ``6 - k`` computed once beforehand
(``minilm_top``, ``start: 6 - k``; that one-time cost is printed too). The sides alternate over ``--repeats``
passes and each keeps its best, so a burst of other load hits both. Last line: top-block time / finetune time.
"""

from __future__ import annotations

import argparse
import time

import torch

from _common import iemocap_transcripts, machine, registry
from mer_toolkit.config.build import build_part
from mer_toolkit.components.parts import masked_mean

def one_pass(encoder: torch.nn.Module, inputs: list, labels: torch.Tensor, head: torch.nn.Module,
             opt: torch.optim.Optimizer) -> float:
    """Seconds of one training pass (forward, backward, step) over the batches in ``inputs``."""
    encoder.train()
    t0 = time.perf_counter()
    for k, x in enumerate(inputs):
        h, mask = encoder(*x)
        loss = torch.nn.functional.cross_entropy(head(masked_mean(h, mask)), labels[k])
        opt.zero_grad()
        loss.backward()
        opt.step()
    return time.perf_counter() - t0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--utterances", type=int, default=640)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--top", type=int, default=2, help="trainable blocks k (of 6)")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    reg, start = registry(), 6 - args.top
    texts = iemocap_transcripts(args.utterances)
    batches = [texts[i:i + args.batch_size] for i in range(0, len(texts), args.batch_size)]
    labels = [torch.randint(0, 6, (len(b),)) for b in batches]
    full = build_part("encoder", {"type": "minilm", "finetune": args.top, "pooling": "none"}, reg, path="finetune")
    frozen = build_part("encoder", {"type": "minilm", "layer": start, "pooling": "none"}, reg, path="cache")
    t0 = time.perf_counter()
    with torch.no_grad():
        states = [frozen(b, None) for b in batches]
    cache_seconds = time.perf_counter() - t0
    top = build_part("encoder", {"type": "minilm_top", "start": start, "pooling": "none"}, reg, path="top",
                     inferred={"in_dim": 384})
    sides = {"finetune": (full, [(b, None) for b in batches]), "top blocks": (top, states)}
    best = {name: float("inf") for name in sides}
    for _ in range(args.repeats):
        for name, (encoder, inputs) in sides.items():
            head = torch.nn.Linear(384, 6)
            opt = torch.optim.AdamW([p for p in encoder.parameters() if p.requires_grad] + list(head.parameters()))
            best[name] = min(best[name], one_pass(encoder, inputs, labels, head, opt))
    n = len(texts)
    print(f"machine: {machine()}; {args.threads} thread(s); {n} IEMOCAP transcripts, batch {args.batch_size}, "
          f"top {args.top} of 6 blocks trainable")
    print(f"hidden state {start} computed once: {cache_seconds:.2f} s (no gradients)")
    for name, seconds in best.items():
        print(f"{name:10s} one training pass {seconds:.2f} s ({n / seconds:.0f} utt/s), best of {args.repeats}")
    print(f"top blocks / finetune = {best['top blocks'] / best['finetune']:.2f}")


if __name__ == "__main__":
    main()
