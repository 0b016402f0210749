"""Baselines: forward/backward on both layouts, parameter counts, learning, MISA losses, MulT masks, MMGCN graph."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from mer_baselines.misa import MISA
from mer_baselines.mmgcn import MMGCN
from mer_baselines.mult import MulT
from mer_baselines.tensor_fusion import LowRankFusion, TensorFusion
from mer_toolkit.model import ComposedModel, DataSpec
from mer_toolkit.testing import check_part, fresh_registry, make_tiny_batch, train_tiny

MODELS = ["early_fusion", "late_fusion", "tfn", "lmf", "mult", "misa", "mmgcn"]


@pytest.fixture(scope="module")
def registry():
    return fresh_registry(entry_points=True)


def dims(batch) -> dict[str, int]:
    return {m: x.shape[-1] for m, x in batch.inputs.items()}


@pytest.mark.parametrize("name", MODELS)
@pytest.mark.parametrize("layout,mods", [("pooled", ("text", "audio")), ("sequence", ("text", "audio")),
                                         ("sequence", ("text", "audio", "video"))])
def test_every_model_runs_on_each_layout(registry, name: str, layout: str, mods: tuple[str, ...]) -> None:
    from mer_toolkit.config import resolve_config

    batch = make_tiny_batch(layout, modalities=mods, batch_size=8, dialogues=2)
    cfg = resolve_config(name, registry)
    spec = dict(cfg.data["model"])
    spec["encoders"] = {m: "features" for m in mods}
    model = ComposedModel.from_spec(spec, DataSpec(dims(batch), 4, list("abcd"), [2] * 4), registry, cfg)
    out = model(batch)
    total, terms = model.compute_loss(out, batch)
    total.backward()
    assert out.logits.shape == (8, 4) and torch.isfinite(total)
    assert all(p.grad is not None for p in model.fusion.parameters() if p.requires_grad)


def test_parameter_counts_follow_the_papers_settings() -> None:
    # TFN on 300-d text / 74-d audio / 35-d video (CMU-MOSI-like): the 129*33*33 tensor feeds a 128-unit layer.
    tfn = TensorFusion({"text": 300, "audio": 74, "video": 35})
    first = tfn.post[0]
    assert first.in_features == 129 * 33 * 33 and 17e6 < sum(p.numel() for p in tfn.parameters()) < 18.5e6
    lmf = LowRankFusion({"text": 300, "audio": 74, "video": 35})
    assert sum(p.numel() for p in lmf.parameters()) < sum(p.numel() for p in tfn.parameters()) / 50
    mult = MulT({"text": 300, "audio": 74, "video": 35}, dim=40, heads=8, layers=4, self_layers=3)
    assert 1e6 < sum(p.numel() for p in mult.parameters()) < 5e6  # MulT reports ~2M parameters


def test_mult_ignores_padded_steps() -> None:
    torch.manual_seed(0)
    batch = make_tiny_batch("sequence", batch_size=5)
    m = MulT(dims(batch), dim=16, heads=4, layers=2, self_layers=1).eval()
    ref = m(dict(batch.inputs), dict(batch.masks))
    noisy = {k: v.clone() for k, v in batch.inputs.items()}
    for k, v in noisy.items():
        v[~batch.masks[k]] = 1e3
    assert torch.allclose(ref, m(noisy, dict(batch.masks)), atol=1e-4)
    check_part(m.train(), "fusion", batch)


def test_misa_auxiliary_losses_decrease() -> None:
    torch.manual_seed(0)
    batch = make_tiny_batch("pooled", batch_size=32)
    misa = MISA(dims(batch), dim=32, dropout=0.0)
    opt = torch.optim.Adam(misa.parameters(), lr=1e-2)
    first = None
    for _ in range(60):
        losses = misa(dict(batch.inputs), dict(batch.masks)).losses
        total = sum(losses.values())
        first = first or {k: float(v) for k, v in losses.items()}
        opt.zero_grad()
        total.backward()
        opt.step()
    last = {k: float(v) for k, v in misa(dict(batch.inputs), dict(batch.masks)).losses.items()}
    assert all(last[k] < first[k] for k in ("sim", "diff", "recon")), (first, last)


def test_mmgcn_connects_only_utterances_of_the_same_dialogue() -> None:
    batch = make_tiny_batch("pooled", batch_size=6, dialogues=3)
    g = MMGCN(dims(batch), dim=8)
    h = torch.randn(12, 8)
    adj = g.adjacency(h, batch.dialogue_index)
    dia = batch.dialogue_index.repeat(2)
    cross = dia.unsqueeze(0) != dia.unsqueeze(1)
    assert (adj[cross] == 0).all() and (adj[~cross].sum() > 0)
    utt = torch.arange(6).repeat(2)
    assert (adj[(utt.unsqueeze(0) == utt.unsqueeze(1)) & ~torch.eye(12, dtype=torch.bool)] > 0).all()


@pytest.mark.parametrize("name", ["early_fusion", "late_fusion", "tfn", "lmf", "misa", "mmgcn", "mult"])
def test_learns_demo_above_chance(registry, name: str, tmp_path: Path) -> None:
    rec = train_tiny(name, tmp_path, epochs=12 if name == "mult" else 5, registry=registry)
    assert rec["metrics"]["test"]["wa"] > 45.0  # 4 classes: chance is 25 %
