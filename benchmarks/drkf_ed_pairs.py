"""DRKF's ED cost: batched mismatched pairs vs the reference's pair loop, and a training step with vs without ED.

The reference (train.py of the authors' repository cited in plugins/drkf/README.md) builds every pair
(audio_i, text_j), i ≠ j, in a Python loop and runs the Fusion Encoder on all B(B−1) of them; here the
pairs are index vectors and the mismatched inputs join the batch's own in one FE call, with K sampled
partners per utterance by default.
Targets: batched ED (default K) ≥ 20× faster than the reference's loop at batch 32; a DRKF training
step with ED ≤ 2.5× the step without. Inputs are sequences shaped like the cached real features
(MiniLM token states, 384-d, up to 24 tokens; log-mel frames, 80-d, up to 24 steps).
"""

from __future__ import annotations

import argparse

import torch
import torch.nn.functional as F

from _common import build, machine, synthetic_samples, timed
from mer_drkf.fusion_encoder import FusionEncoder, mismatched_pairs, pair_targets
from mer_toolkit.data.sample import collate

DIMS = {"audio": 80, "text": 384}


def reference_ed(fe: FusionEncoder, feats: dict[str, torch.Tensor], masks: dict[str, torch.Tensor],
                 labels: torch.Tensor) -> torch.Tensor:
    """The reference's ED: a Python loop over all pairs i ≠ j, stacked, one FE pass on B(B−1) inputs."""
    pairs, targets = [], []
    for i in range(len(labels)):
        for j in range(len(labels)):
            if i != j:
                pairs.append((feats["audio"][i], feats["text"][j], masks["audio"][i], masks["text"][j]))
                targets.append(1 if labels[i] == labels[j] else 0)
    inputs = {"audio": torch.stack([p[0] for p in pairs]), "text": torch.stack([p[1] for p in pairs])}
    pair_masks = {"audio": torch.stack([p[2] for p in pairs]), "text": torch.stack([p[3] for p in pairs])}
    cls, _, _ = fe.encode(inputs, pair_masks)
    return F.cross_entropy(fe.ed_head(cls), torch.tensor(targets))


def batched_ed(fe: FusionEncoder, feats: dict[str, torch.Tensor], masks: dict[str, torch.Tensor],
               labels: torch.Tensor, pairs: int | str) -> torch.Tensor:
    """This plugin's ED loss alone: index-built pairs, one FE call on the mismatched inputs."""
    i, j = mismatched_pairs(len(labels), pairs)
    keep, target = pair_targets(labels, i, j)
    mf, mm = fe.mismatched(feats, masks, i[keep], j[keep])
    return fe.ed_loss(fe.ed_head(fe.encode(mf, mm)[0]), target[keep])


def step_seconds(name: str, batch, repeats: int) -> float:  # noqa: ANN001
    model = build(name, DIMS).train()
    opt = torch.optim.AdamW(model.parameters(), lr=1e-4)

    def step() -> None:
        opt.zero_grad()
        model.compute_loss(model(batch), batch)[0].backward()
        opt.step()
    return timed(step, repeats=repeats)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repeats")
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    reps = 2 if args.quick else 5
    batch = collate(synthetic_samples(32, DIMS, seq=24))
    feats, masks, labels = dict(batch.inputs), dict(batch.masks), batch.labels
    model = build("drkf", DIMS).train()
    fe = model.fusion
    feats = {m: model.encoders[m](x, masks[m])[0].detach() for m, x in feats.items()}
    print(f"machine: {machine()}, threads {args.threads}; batch 32, drkf config sizes")
    with torch.no_grad():
        slow = timed(lambda: reference_ed(fe, feats, masks, labels), repeats=max(1, reps // 2))
        rows = {p: timed(lambda p=p: batched_ed(fe, feats, masks, labels, p), repeats=reps) for p in ("all", 1, 4)}
    print(f"reference ED (pair loop, {32 * 31} FE inputs): {slow * 1e3:9.1f} ms")
    for p, t in rows.items():
        print(f"batched ED, pairs={p!s:>3}: {t * 1e3:9.1f} ms  speed-up {slow / t:6.1f}x")
    with_ed = step_seconds("drkf", batch, reps)
    without = step_seconds("drkf-no-ed", batch, reps)
    print(f"training step: with ED {with_ed * 1e3:.1f} ms, without ED {without * 1e3:.1f} ms, "
          f"ratio {with_ed / without:.2f} (target <= 2.5: {'met' if with_ed / without <= 2.5 else 'MISSED'})")
    ratio = slow / rows[1]
    print(f"batched ED (default pairs=1) vs reference pair loop at batch 32: {ratio:.1f}x "
          f"(target >= 20: {'met' if ratio >= 20 else 'MISSED'})")


if __name__ == "__main__":
    main()
