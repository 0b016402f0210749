"""DRKF's ED head: vectorised [B, B] pair logits + loss vs a Python loop over pairs (target ≥ 50× at B = 64)."""

from __future__ import annotations

import argparse

import torch

from _common import machine, timed
from mer_drkf.heads import EmotionDiscriminator, pair_logits_loop


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="batches 16 and 64 only")
    args = parser.parse_args()
    torch.manual_seed(0)
    print(f"machine: {machine()}")
    head = EmotionDiscriminator(256, hidden=128).eval()
    ratio64 = None
    for b in (16, 64) if args.quick else (16, 64, 256):
        h = torch.randn(b, 256)
        with torch.no_grad():
            assert torch.allclose(head.pair_logits(h), pair_logits_loop(head, h), atol=1e-4)
            fast = timed(lambda: head.pair_logits(h), repeats=5)
            slow = timed(lambda: pair_logits_loop(head, h), repeats=1 if b > 64 else 2)
        print(f"batch {b:>3}: vectorised {fast * 1e3:8.2f} ms, pair loop {slow * 1e3:9.1f} ms, speed-up {slow / fast:7.1f}x")
        if b == 64:
            ratio64 = slow / fast
    print(f"ED speed-up at batch 64 (loop / vectorised): {ratio64:.1f}x (target >= 50: {'met' if ratio64 >= 50 else 'MISSED'})")


if __name__ == "__main__":
    main()
