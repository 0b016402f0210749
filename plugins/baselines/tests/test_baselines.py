"""Baselines: every layout, parameter counts, learning on demo, MISA losses, MulT masks, MMGCN graph."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from mer_baselines.late_fusion import LateFusion
from mer_baselines.misa import MISA, TokenTransformerFusion
from mer_baselines.mmgcn import MMGCN, angular_adjacency, speaker_ids
from mer_baselines.mult import MulT
from mer_baselines.tensor_fusion import LowRankFusion, TensorFusion
from mer_toolkit.components.recurrent import DialogueLayout
from mer_toolkit.config.build import check_section
from mer_toolkit.config import resolve_config
from mer_toolkit.data.datasets.demo import make_demo
from mer_toolkit.data.sample import Sample, collate
from mer_toolkit.run.experiment import select_dataset
from mer_toolkit.components.model import ComposedModel, DataSpec
from mer_toolkit.testing import accuracy_on, check_part, fresh_registry, load_trained, make_tiny_batch, train_tiny

MODELS = ["early_fusion", "late_fusion", "tfn", "lmf", "mult", "misa", "mmgcn"]
LAYOUTS = [("pooled", ("text", "audio")), ("sequence", ("text", "audio")), ("pooled", ("text", "audio", "video")),
           ("sequence", ("text", "audio", "video"))]


@pytest.fixture(scope="module")
def registry():
    return fresh_registry(entry_points=True)


def dims(batch) -> dict[str, int]:
    return {m: x.shape[-1] for m, x in batch.inputs.items()}


def n_params(module: torch.nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())


def test_every_config_is_registered_and_resolves_for_each_dataset(registry) -> None:
    assert set(MODELS) <= set(registry.model.names())
    for name in MODELS:
        for dataset in ("demo", "iemocap", "meld", "m3ed"):
            cfg = select_dataset(resolve_config(name, registry), dataset, registry=registry)
            check_section("train", cfg.data.get("train"), cfg)
            check_section("data", cfg.data.get("data"), cfg)
    iemocap = select_dataset(resolve_config("mult", registry), "iemocap", registry=registry)
    demo = select_dataset(resolve_config("mult", registry), "demo", registry=registry)
    assert iemocap.data["train"]["monitor"] == "ua" and iemocap.data["train"]["lr"] == 0.0005
    assert demo.data["train"]["epochs"] == 20 and demo.data["model"]["fusion"]["dim"] == 32


@pytest.mark.parametrize("name", MODELS)
@pytest.mark.parametrize("layout,mods", LAYOUTS)
def test_every_model_runs_on_each_layout(registry, name: str, layout: str, mods: tuple[str, ...]) -> None:
    batch = make_tiny_batch(layout, modalities=mods, batch_size=8, dialogues=2)
    cfg = resolve_config(name, registry)
    spec = dict(cfg.data["model"])
    spec["encoders"] = {m: "features" for m in mods}
    model = ComposedModel.from_spec(spec, DataSpec(dims(batch), 4, list("abcd"), [2] * 4), registry, cfg)
    out = model(batch)
    total, terms = model.compute_loss(out, batch)
    total.backward()
    assert out.logits.shape == (8, 4) and torch.isfinite(total)
    parts = [model.fusion] + ([model.interaction] if model.interaction is not None else [])
    assert all(p.grad is not None for part in parts for p in part.parameters() if p.requires_grad)


@pytest.mark.parametrize("layout", ["pooled", "sequence"])
@pytest.mark.parametrize("kind,make", [
    ("fusion", lambda d: LateFusion(d, 4, combine="learned")),
    ("fusion", lambda d: TensorFusion(d)),
    ("fusion", lambda d: LowRankFusion(d, 4)),
    ("fusion", lambda d: MulT(d, dim=16, heads=4, layers=1, self_layers=1, kernel=3)),
    ("interaction", lambda d: MISA(d, dim=16)),
    ("fusion", lambda d: TokenTransformerFusion(d, dim=16)),
    ("fusion", lambda d: MMGCN(d, dim=16, layers=2)),
])
def test_parts_follow_the_part_contract(layout: str, kind: str, make) -> None:
    batch = make_tiny_batch(layout, modalities=("text", "audio", "video"), batch_size=6, dialogues=2)
    check_part(make(dims(batch)), kind, batch)


def test_parameter_counts_follow_the_papers_settings() -> None:
    # CMU-MOSI-like inputs: 300-d GloVe words, 74-d COVAREP, 35-d FACET.
    paper = {"text": 300, "audio": 74, "video": 35}
    tfn = TensorFusion(paper)  # the 129 x 33 x 33 tensor feeds a 128-unit layer: ~18 M weights
    assert tfn.post[1][0].in_features == 129 * 33 * 33 and 17.5e6 < n_params(tfn) < 18.5e6
    lmf = LowRankFusion(paper, 2)  # same subnetworks, rank-4 factors straight to the outputs
    assert 2e5 < n_params(lmf) < 3e5 and n_params(lmf) < n_params(tfn) / 50
    mult = MulT(paper, dim=40, heads=8, layers=4, self_layers=3)  # six 4-layer crossmodal stacks of width 40
    assert 0.8e6 < n_params(mult) < 2.5e6
    misa = MISA({"text": 768, "audio": 74, "video": 35}, dim=128)  # BERT itself not counted
    assert 0.4e6 < n_params(misa) < 1e6
    mmgcn = MMGCN({"text": 100, "audio": 1582, "video": 342}, dim=200)  # IEMOCAP ERC feature widths
    assert 0.8e6 < n_params(mmgcn) < 1.5e6


def test_mult_ignores_padded_steps() -> None:
    torch.manual_seed(0)
    batch = make_tiny_batch("sequence", batch_size=5)
    m = MulT(dims(batch), dim=16, heads=4, layers=2, self_layers=1, kernel=3).eval()
    ref = m(dict(batch.inputs), dict(batch.masks))
    noisy = {k: v.clone() for k, v in batch.inputs.items()}
    for k, v in noisy.items():
        v[~batch.masks[k]] = float("nan")
    assert torch.equal(ref, m(noisy, dict(batch.masks)))
    valid = {k: v.clone() for k, v in batch.inputs.items()}
    valid["audio"][batch.masks["audio"]] += 1.0
    assert not torch.allclose(ref, m(valid, dict(batch.masks)))
    with pytest.raises(ValueError, match="kernel must be odd"):
        MulT(dims(batch), kernel=2)


def test_misa_auxiliary_losses_decrease() -> None:
    torch.manual_seed(0)
    batch = make_tiny_batch("sequence", modalities=("text", "audio", "video"), batch_size=32)
    misa = MISA(dims(batch), dim=32)
    opt = torch.optim.Adam(misa.parameters(), lr=1e-2)

    def losses() -> dict[str, torch.Tensor]:
        return misa(dict(batch.inputs), dict(batch.masks)).losses

    first = {k: float(v.detach()) for k, v in losses().items()}
    for _ in range(40):
        opt.zero_grad()
        sum(losses().values()).backward()
        opt.step()
    last = {k: float(v.detach()) for k, v in losses().items()}
    assert all(last[k] < 0.7 * first[k] for k in ("sim", "diff", "recon")), (first, last)


def test_mmgcn_graph_only_joins_utterances_of_one_dialogue() -> None:
    batch = make_tiny_batch("pooled", batch_size=6, dialogues=3)
    adj = angular_adjacency(torch.randn(12, 8), batch.dialogue_index, 2)
    dia, utt = batch.dialogue_index.repeat(2), torch.arange(6).repeat(2)
    cross = dia.unsqueeze(0) != dia.unsqueeze(1)
    mod = torch.arange(2).repeat_interleave(6)
    inter = (mod.unsqueeze(0) != mod.unsqueeze(1)) & (utt.unsqueeze(0) != utt.unsqueeze(1))
    assert (adj[cross] == 0).all() and (adj[inter] == 0).all()
    assert (adj[~cross & ~inter] > 0).all()


def test_mmgcn_output_of_a_dialogue_ignores_the_other_dialogues() -> None:
    torch.manual_seed(0)
    batch = make_tiny_batch("sequence", batch_size=9, dialogues=3)
    g = MMGCN(dims(batch), dim=16, layers=3).eval()
    ref = g(dict(batch.inputs), dict(batch.masks), batch)
    changed = {k: v.clone() for k, v in batch.inputs.items()}
    other = batch.dialogue_index != 0
    for v in changed.values():
        v[other] = torch.randn_like(v[other])
    out = g(changed, dict(batch.masks), batch)
    first = batch.dialogue_index == 0
    assert torch.allclose(ref[first], out[first], atol=1e-6) and not torch.allclose(ref[other], out[other])


def test_dialogue_layout_and_speakers_follow_positions() -> None:
    samples = [Sample(id=f"u{i}", label=0, modalities={"text": torch.full((2,), float(i))}, dialogue_id=d,
                      position=p, speaker=s)
               for i, (d, p, s) in enumerate([("x", 1, "B"), ("x", 0, "A"), ("y", 0, "C"), ("x", 2, "A")])]
    batch = collate(samples)
    layout = DialogueLayout(batch)
    seq, mask = layout.pad(batch.inputs["text"][:, 0])
    x = batch.dialogue_index[0]
    assert seq[x, :, 0].tolist() == [1.0, 0.0, 3.0] and mask.sum().item() == 4
    assert torch.equal(layout.unpad(seq), batch.inputs["text"][:, 0])
    assert speaker_ids(batch).tolist() == [1, 0, 0, 0]


AUDIO_STRENGTH = 1.0  # demo's audio cue made strong enough for a few epochs to pick it up next to the text cue


@pytest.mark.parametrize("name", MODELS)
def test_learns_demo_from_both_modalities(registry, name: str, tmp_path: Path) -> None:
    """Above chance, and relying on text and on audio: giving each utterance another utterance's text (or audio)
    costs accuracy, which it would not if the model ignored that modality."""
    rec = train_tiny(name, tmp_path, epochs={"mult": 5, "lmf": 10, "late_fusion": 6}.get(name, 3), registry=registry,
                     overrides=[f"data.dataset_options.audio_strength={AUDIO_STRENGTH}"])
    model = load_trained(rec["run_dir"], registry)
    test = [s for s in make_demo(audio_strength=AUDIO_STRENGTH).samples if s.meta["split"] == "test"]
    acc = {m: accuracy_on(model, test, shuffled=m) for m in (None, "text", "audio")}
    assert acc[None] == pytest.approx(rec["metrics"]["test"]["wa"], abs=1e-3)
    assert acc[None] > 45.0  # 4 classes: chance is 25 %
    assert acc[None] > acc["text"] + 5 and acc[None] > acc["audio"] + 5, acc


def test_mmgcn_on_real_iemocap_dialogues(registry, shared_data: Path) -> None:
    # Real dialogue structure (lengths, speaker turns) of IEMOCAP, with random utterance features.
    from mer_toolkit.data.loader import make_loader

    corpus = registry.dataset.get("iemocap6")(root=str(shared_data / "iemocap" / "iemocap_cosmic.pkl"))
    g = torch.Generator().manual_seed(0)
    samples = [Sample(id=s.id, label=s.label, dialogue_id=s.dialogue_id, position=s.position, speaker=s.speaker,
                      modalities={"text": torch.randn(100, generator=g), "audio": torch.randn(3, 40, generator=g)})
               for s in corpus.samples[:400]]
    batch = next(iter(make_loader(samples, 3, shuffle=True, batch_by="dialogue")))
    spk = speaker_ids(batch)
    for d in batch.dialogue_index.unique():
        rows = (batch.dialogue_index == d).nonzero().flatten()
        speakers = [batch.speakers[i] for i in rows.tolist()]  # rows are in dialogue order
        assert spk[rows].tolist() == [0 if s == speakers[0] else 1 for s in speakers]
    mmgcn = MMGCN(dims(batch), dim=32, layers=2).eval()
    ref = mmgcn(dict(batch.inputs), dict(batch.masks), batch)
    changed = dict(batch.inputs, text=batch.inputs["text"].clone())
    last = batch.dialogue_index == batch.dialogue_index.max()
    changed["text"][last] += 1.0
    out = mmgcn(changed, dict(batch.masks), batch)
    assert torch.allclose(ref[~last], out[~last], atol=1e-6) and not torch.allclose(ref[last], out[last])
