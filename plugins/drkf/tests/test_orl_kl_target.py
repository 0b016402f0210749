"""ORL's KL term as DRKF's reference computes it: ``F.kl_div(log p_raw, p_aug)``, i.e. KL(p_aug ‖ p_raw),
with no target held fixed: gradients reach both the raw and the augmented class distribution."""

from __future__ import annotations

import pytest
import torch

from mer_drkf.orl import ORL, class_kl
from mer_toolkit.testing import make_tiny_batch

REFERENCE = pytest.mark.xfail(strict=True, reason="KL aligned with the reference in the DRKF alignment change")


@REFERENCE
def test_class_kl_is_kl_of_the_augmented_from_the_raw_distribution() -> None:
    raw = torch.tensor([[2.0, 0.0, -1.0], [0.0, 0.5, 0.0]])
    aug = torch.tensor([[0.0, 1.0, 0.0], [1.0, -1.0, 0.0]])
    p_raw, p_aug = raw.softmax(-1), aug.softmax(-1)
    expected = float((p_aug * (p_aug.log() - p_raw.log())).sum(-1).mean())  # batchmean of KL(p_aug || p_raw)
    reverse = float((p_raw * (p_raw.log() - p_aug.log())).sum(-1).mean())
    assert abs(expected - reverse) > 1e-2
    assert float(class_kl(raw, aug)) == pytest.approx(expected, abs=1e-6)


@REFERENCE
def test_kl_gradients_reach_both_the_raw_and_the_augmented_logits() -> None:
    raw = torch.tensor([[2.0, 0.0, -1.0]], requires_grad=True)
    aug = torch.tensor([[0.0, 1.0, 0.0]], requires_grad=True)
    class_kl(raw, aug).backward()
    assert raw.grad is not None and raw.grad.abs().sum() > 1e-3
    assert aug.grad is not None and aug.grad.abs().sum() > 1e-3


@REFERENCE
def test_orl_kl_term_trains_the_raw_projection_and_the_auto_encoder() -> None:
    """In ORL the raw logits come from the projected raw stream, the augmented ones from the auto-encoder: the KL
    term alone updates both."""
    torch.manual_seed(0)
    batch = make_tiny_batch("sequence", modalities=("text",), dims={"text": 16}, num_classes=3)
    orl = ORL({"text": 16}, num_classes=3, blocks=1, intra=False)
    out = orl(dict(batch.inputs), dict(batch.masks), batch=batch)
    out.losses["kl_text"].backward()
    assert all(p.grad is not None and p.grad.abs().sum() > 0 for p in orl.proj["text"].parameters() if p.dim() > 1)
    assert any(p.grad is not None and p.grad.abs().sum() > 0 for p in orl.ae["text"].parameters())
