"""ORL's KL term as the reference computes it: KL(p_aug ‖ p_raw), mean over rows, gradients to both views."""

from __future__ import annotations

import torch

from mer_drkf.orl import ORL, class_kl
from mer_toolkit.testing import make_tiny_batch


def test_class_kl_is_kl_of_aug_from_raw() -> None:
    raw = torch.tensor([[2.0, 0.0, -1.0], [0.5, 0.5, 0.0]])
    aug = torch.tensor([[0.0, 1.0, 0.0], [1.0, -1.0, 2.0]])
    p, q = raw.softmax(-1), aug.softmax(-1)
    expected = float((q * (q.log() - p.log())).sum(-1).mean())  # target p_aug, input p_raw, batchmean
    assert abs(float(class_kl(raw, aug)) - expected) < 1e-6
    reverse = float((p * (p.log() - q.log())).sum(-1).mean())
    assert abs(expected - reverse) > 1e-2  # the direction is pinned


def test_class_kl_sends_gradients_to_both_views() -> None:
    raw = torch.tensor([[2.0, 0.0, -1.0]], requires_grad=True)
    aug = torch.tensor([[0.0, 1.0, 0.0]], requires_grad=True)
    class_kl(raw, aug).backward()
    assert raw.grad.abs().sum() > 1e-3 and aug.grad.abs().sum() > 1e-3  # neither side is detached


def test_orl_kl_trains_the_raw_path_the_augmented_path_and_the_classifier() -> None:
    torch.manual_seed(2)
    batch = make_tiny_batch("sequence")
    dims = {m: x.shape[-1] for m, x in batch.inputs.items()}
    orl = ORL(dims, num_classes=4, blocks=2).train()
    feats = {m: x.clone().requires_grad_(True) for m, x in batch.inputs.items()}
    orl(feats, dict(batch.masks), batch=batch).losses["kl_text"].backward()
    assert orl.proj["text"][0].weight.grad.abs().sum() > 0  # through p_raw
    assert orl.ae["text"].transition[0].weight.grad.abs().sum() > 0  # through p_aug
    assert orl.classifier["text"].weight.grad.abs().sum() > 0
    assert orl.classifier["audio"].weight.grad is None and orl.proj["audio"][0].weight.grad is None
