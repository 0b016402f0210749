"""ComposedModel, trainer, checkpoints, metrics and the demo dataset, on tiny CPU runs."""

from __future__ import annotations

import json
import pickle
from pathlib import Path

import pytest
import torch
from torch import nn

from mer_toolkit.components.fusion import ConcatFusion, GatedSumFusion
from mer_toolkit.data.corpus import Fold
from mer_toolkit.data.datasets.demo import make_demo
from mer_toolkit.data.sample import collate
from mer_toolkit.errors import ConfigError, DataError, RunError
from mer_toolkit.run.metrics import compute_metrics
from mer_toolkit.components.model import ComposedModel, DataSpec
from mer_toolkit.components.parts import PartOutput
from mer_toolkit.testing import accuracy_on, check_part, load_trained, make_tiny_batch, train_tiny
from mer_toolkit.run.trainer import load_checkpoint

SPEC = DataSpec({"text": 12, "audio": 16}, 4, list("abcd"), [2, 2, 2, 2])
MODEL = {"encoders": {"text": "features", "audio": {"type": "features", "proj_dim": 8}},
         "adapters": {"text": {"type": "mlp", "dim": 10}}, "fusion": "gated_sum",
         "heads": {"emotion": "linear", "aux": {"type": "mlp", "hidden": [5]}}}


def test_dimensions_are_inferred_and_extras_returned(mer_registry) -> None:
    model = ComposedModel.from_spec(MODEL, SPEC, mer_registry)
    assert model.encoders["audio"].out_dim == 8 and model.fusion.out_dim == 10
    batch = make_tiny_batch("sequence", batch_size=6)
    out = model(batch)
    assert out.logits.shape == (6, 4) and out.extras["heads.aux"].shape == (6, 4)
    weights = out.extras["fusion.modality_weights"]
    assert torch.allclose(weights["text"] + weights["audio"], torch.ones(6))
    total, terms = model.compute_loss(out, batch)
    assert set(terms) == {"loss.ce"} and total.requires_grad


def test_padding_does_not_change_pooled_outputs(mer_registry) -> None:
    model = ComposedModel.from_spec(MODEL, SPEC, mer_registry).eval()
    batch = make_tiny_batch("sequence", batch_size=6)
    ref = model(batch).logits
    for m, mask in batch.masks.items():
        batch.inputs[m][~mask] = 1e4
    assert torch.allclose(model(batch).logits, ref, atol=1e-5)


class SpyFusion(ConcatFusion):
    """Concatenation that keeps the masks it was given, to see what ComposedModel hands to a fusion."""

    seen: dict[str, torch.Tensor] = {}

    def forward(self, feats: dict[str, torch.Tensor], masks: dict[str, torch.Tensor]) -> torch.Tensor:
        SpyFusion.seen = dict(masks)
        return super().forward(feats, masks)


class Tagged(nn.Module):
    """Interaction that passes the streams on and adds ``tag`` (one step, its own mask) without masks of the rest."""

    def __init__(self, in_dims: dict[str, int], num_classes: int) -> None:
        super().__init__()
        self.out_dims = {**in_dims, "tag": 3}

    def forward(self, feats: dict[str, torch.Tensor], masks: dict[str, torch.Tensor]) -> PartOutput:
        b = next(iter(feats.values())).shape[0]
        tag_mask = torch.arange(b).unsqueeze(1) % 2 == 0
        return PartOutput({**feats, "tag": torch.ones(b, 1, 3)}, masks={"tag": tag_mask})


@pytest.mark.parametrize("interaction", [None, "tagged"])
def test_composed_model_hands_the_padding_masks_to_the_fusion(mer_registry, interaction: str | None) -> None:
    mer_registry.fusion.register("spy", SpyFusion)
    mer_registry.interaction.register("tagged", Tagged)
    spec = {"encoders": {"text": "features", "audio": "features"}, "fusion": "spy", "heads": {"emotion": "linear"},
            **({"interaction": interaction} if interaction else {})}
    batch = make_tiny_batch("sequence", batch_size=6)
    assert not all(m.all() for m in batch.masks.values())  # the batch does hold padding
    ComposedModel.from_spec(spec, SPEC, mer_registry)(batch)
    for m in ("text", "audio"):
        assert torch.equal(SpyFusion.seen[m], batch.masks[m]), m
    if interaction:
        assert torch.equal(SpyFusion.seen["tag"], torch.tensor([[True], [False]] * 3))


def test_gated_sum_weights_follow_the_gate_and_weigh_the_streams() -> None:
    batch = make_tiny_batch("pooled", batch_size=5)
    fusion = GatedSumFusion({"text": 12, "audio": 16}, dim=8)
    out = fusion(dict(batch.inputs), dict(batch.masks))
    w, h = out.extras["modality_weights"], fusion.projected(dict(batch.inputs), dict(batch.masks))
    assert torch.allclose(out.value, w["audio"].unsqueeze(-1) * h[:, 0] + w["text"].unsqueeze(-1) * h[:, 1])
    assert w["text"].std() > 0  # per utterance, not a constant split
    with torch.no_grad():
        fusion.gate.weight.zero_()
        fusion.gate.bias.copy_(torch.tensor([0.0, 20.0]))  # order is sorted: audio, text
    out = fusion(dict(batch.inputs), dict(batch.masks))
    assert torch.all(out.extras["modality_weights"]["text"] > 0.999)
    assert torch.allclose(out.value, h[:, 1], atol=1e-4)


def test_unknown_loss_weight_and_missing_modality_are_errors(mer_registry) -> None:
    with pytest.raises(ConfigError, match=r"unknown loss term\(s\) \['fusion.nope'\]"):
        ComposedModel.from_spec({**MODEL, "loss_weights": {"fusion.nope": 1}}, SPEC, mer_registry)
    with pytest.raises(ConfigError, match=r"uses modality \['video'\]"):
        ComposedModel.from_spec({**MODEL, "encoders": {"video": "features"}}, SPEC, mer_registry)


@pytest.mark.parametrize("kind,name,kwargs", [("fusion", "concat", {}), ("fusion", "mean", {"dim": 8}),
                                               ("fusion", "gated_sum", {"dim": 8})])
def test_builtin_fusions_pass_check_part(mer_registry, tiny_batch, kind: str, name: str, kwargs: dict) -> None:
    batch = tiny_batch("pooled")
    part = mer_registry.fusion.get(name)(in_dims={m: x.shape[-1] for m, x in batch.inputs.items()}, **kwargs)
    out = check_part(part, kind, batch)
    assert out.value.shape[-1] == part.out_dim


def test_fold_refuses_selection_on_test_and_empty_splits() -> None:
    corpus = make_demo(dialogues=20)
    s = corpus.samples
    with pytest.raises(DataError, match="model selection on test data is refused"):
        Fold("f", s[:10], s[10:15], s[12:20], protocol="p")
    with pytest.raises(DataError, match="the val split is empty"):
        Fold("f", s[:10], [], s[12:20], protocol="p")


def test_demo_is_deterministic_and_has_conflicting_modalities() -> None:
    a, b = make_demo(), make_demo()
    assert [x.id for x in a.samples] == [x.id for x in b.samples]
    assert torch.equal(a.samples[7].modalities["audio"], b.samples[7].modalities["audio"])
    share = sum(x.meta["conflict"] for x in a.samples) / len(a.samples)
    assert 0.2 < share < 0.4


def test_demo_needs_both_modalities(demo_references: dict[str, dict], single_modality_accuracy: dict,
                                   demo_test_utterances: dict[str, list]) -> None:
    wa = {k: r["metrics"]["test"]["wa"] for k, r in demo_references.items()}
    assert wa["both"] > 70.0, wa
    assert wa["both"] > wa["text"] + 4 and wa["both"] > wa["audio"] + 4, wa
    both = load_trained(demo_references["both"]["run_dir"])
    acc = {part: accuracy_on(both, samples) for part, samples in demo_test_utterances.items()}
    # where the cues disagree only the audio knows the label; where they agree text is the stronger cue
    assert acc["conflict"] > single_modality_accuracy["text"]["conflict"] + 20, (acc, single_modality_accuracy)
    assert acc["agree"] > single_modality_accuracy["audio"]["agree"] + 10, (acc, single_modality_accuracy)


def test_run_directory_and_checkpoint_contents(demo_references: dict[str, dict]) -> None:
    rec = demo_references["both"]
    run = Path(rec["run_dir"])
    assert {"config.yaml", "best.pt", "last.pt", "log.jsonl", "record.json"} <= {p.name for p in run.iterdir()}
    ck = load_checkpoint(run / "best.pt")
    assert ck["epoch"] == rec["best_epoch"] and ck["label_names"] == ["angry", "happy", "neutral", "sad"]
    assert ck["config"]["model"]["fusion"] == "concat" and ck["toolkit_version"]
    log = [json.loads(x) for x in (run / "log.jsonl").read_text().splitlines()]
    best = max(log, key=lambda r: r["val"]["wf1"])
    assert best["epoch"] == rec["best_epoch"]  # selection used validation, not test
    assert rec["metrics"]["val"]["wf1"] == pytest.approx(best["val"]["wf1"])
    assert rec["protocol"] == "official" and rec["selection"] == "val.wf1" and len(rec["config_hash"]) == 12


def test_selected_epoch_is_scored_on_validation_and_test_only_once(demo_references: dict[str, dict]) -> None:
    """The record's val metrics are those of the selected model on the val split (not on test), and its test
    metrics those of the same model on test: the log and the record agree only if selection read validation."""
    rec = demo_references["both"]
    model = load_trained(rec["run_dir"])
    samples = {split: [s for s in make_demo().samples if s.meta["split"] == split] for split in ("val", "test")}
    for split, utts in samples.items():
        batch = collate(utts)
        with torch.no_grad():
            got = compute_metrics(model(batch).logits, batch.labels, list(rec["label_names"]))
        for key in ("wa", "ua", "wf1", "macro_f1"):
            assert got[key] == pytest.approx(rec["metrics"][split][key], abs=1e-3), (split, key)
    assert rec["metrics"]["val"]["wf1"] != pytest.approx(rec["metrics"]["test"]["wf1"], abs=1e-3)


def test_checkpoint_with_code_payload_is_refused(tmp_path: Path) -> None:
    class Evil:
        def __reduce__(self):  # noqa: ANN204
            return (print, ("pwned",))

    path = tmp_path / "evil.pt"
    with open(path, "wb") as f:
        pickle.dump({"state_dict": Evil()}, f)
    with pytest.raises(RunError, match="cannot be loaded safely"):
        load_checkpoint(path)


def test_same_seed_gives_identical_metrics(tmp_path: Path) -> None:
    a = train_tiny("gated_mlp", tmp_path / "a", epochs=2, seed=3)
    b = train_tiny("gated_mlp", tmp_path / "b", epochs=2, seed=3)
    assert a["metrics"] == b["metrics"]


def test_resume_after_interruption_matches_an_uninterrupted_run(tmp_path: Path) -> None:
    from mer_toolkit.config import resolve_config
    from mer_toolkit.run.experiment import CorpusCache, run_fold, run_settings, select_dataset
    from mer_toolkit.testing import fresh_registry

    reg = fresh_registry()
    cfg = select_dataset(resolve_config("gated_mlp", reg), "demo", registry=reg)
    settings = run_settings(cfg, 1, epochs=4, device="cpu")
    cache = CorpusCache(reg)
    corpus, fold = cache.corpus(settings), cache.folds(settings)[0]
    kw = {"model_name": "gated_mlp"}
    full = run_fold(settings, corpus, fold, reg, run_dir=tmp_path / "full", **kw)

    def interrupt(row: dict) -> None:
        if row["epoch"] == 2:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run_fold(settings, corpus, fold, reg, run_dir=tmp_path / "part", on_epoch=interrupt, **kw)
    assert load_checkpoint(tmp_path / "part" / "last.pt")["epoch"] == 2
    resumed = run_fold(settings, corpus, fold, reg, run_dir=tmp_path / "part", resume=True, **kw)
    assert resumed["epochs_run"] == 4 and resumed["best_epoch"] == full["best_epoch"]
    assert resumed["metrics"]["test"] == full["metrics"]["test"]


def test_nan_features_are_refused_with_the_utterance_named() -> None:
    corpus = make_demo(dialogues=10)
    corpus.samples[3].modalities["audio"][2, 1] = float("nan")
    corpus.samples[5].modalities["text"][0, 0] = float("inf")
    with pytest.raises(DataError, match=r"2 utterance\(s\) have NaN or inf.*demo_d000_u03 \(audio\)"):
        corpus.check_features()


def test_standardize_norm_learns_training_statistics() -> None:
    from mer_toolkit.components.features_encoder import FeatureEncoder

    enc = FeatureEncoder(in_dim=3, norm="standardize")
    x = torch.tensor([[[10.0, 0.0, -5.0]], [[30.0, 2.0, -5.0]]])
    mask = torch.ones(2, 1, dtype=torch.bool)
    out, _ = enc.train()(x, mask)
    assert torch.allclose(out[:, 0, 0], torch.tensor([-1.0, 1.0]), atol=1e-3)
    assert torch.allclose(enc.standardize.mean, torch.tensor([20.0, 1.0, -5.0]))
    padded = torch.cat([x, torch.full((2, 1, 3), 1e6)], dim=1)
    out2, _ = enc.eval()(padded, torch.tensor([[True, False], [True, False]]))
    assert torch.allclose(out2[:, 0], out[:, 0], atol=1e-4)


@pytest.mark.parametrize("pool", ["mean", "stats", "attention"])
def test_feature_pooling_reads_only_valid_frames(pool: str) -> None:
    from mer_toolkit.components.features_encoder import FeatureEncoder

    torch.manual_seed(0)
    enc = FeatureEncoder(in_dim=4, pool=pool).eval()
    x = torch.randn(2, 5, 4)
    mask = torch.tensor([[True, True, True, False, False], [True] * 5])
    out, out_mask = enc(x, mask)
    assert out.shape == (2, 1, enc.out_dim) and enc.out_dim == (4 if pool == "mean" else 8)
    assert out_mask.tolist() == [[True], [True]]
    noisy = x.clone()
    noisy[0, 3:] = 1e3  # padding must not move the pooled vector
    assert torch.allclose(enc(noisy, mask)[0], out, atol=1e-5)
    valid = x[0, :3]
    expected = valid.mean(0) if pool == "mean" else torch.cat([valid.mean(0), valid.std(0, unbiased=False)])
    if pool != "attention":
        assert torch.allclose(out[0, 0], expected, atol=1e-5)


def test_attentive_pooling_weights_frames_by_a_learned_score() -> None:
    from mer_toolkit.components.features_encoder import FeatureEncoder

    enc = FeatureEncoder(in_dim=2, pool="attention").eval()
    x = torch.tensor([[[1.0, 0.0], [0.0, 1.0], [0.0, 1.0]]])
    mask = torch.ones(1, 3, dtype=torch.bool)
    score = enc.attention.score
    with torch.no_grad():
        score[2].weight.zero_()  # constant scores: plain statistics pooling
        assert torch.allclose(enc(x, mask)[0][0, 0, :2], x[0].mean(0), atol=1e-6)
        score[0].weight.copy_(torch.eye(2).repeat(64, 1)[:128])
        score[0].bias.zero_()
        score[2].weight.copy_(torch.tensor([[20.0, -20.0] * 64]))  # a high score for the first dimension's frames
    pooled = enc(x, mask)[0][0, 0]
    assert pooled[0] > 0.99 and pooled[2] < 0.05  # mean ≈ the first frame, std ≈ 0
    empty = torch.zeros(1, 3, dtype=torch.bool)
    out = enc.train()(x.requires_grad_(), empty)[0]
    out.sum().backward()  # an utterance without the modality pools to zeros and keeps gradients finite
    assert torch.allclose(out[0, 0, :2], torch.zeros(2)) and all(torch.isfinite(p.grad).all() for p in enc.parameters())


def test_feature_pooling_rejects_an_unknown_kind() -> None:
    from mer_toolkit.components.features_encoder import FeatureEncoder

    with pytest.raises(ConfigError, match="pool must be false, 'mean', 'stats' or 'attention'"):
        FeatureEncoder(in_dim=4, pool="max")


def test_feature_stride_averages_valid_steps_and_shortens_the_mask() -> None:
    from mer_toolkit.components.features_encoder import FeatureEncoder

    enc = FeatureEncoder(in_dim=1, stride=2)
    x = torch.tensor([[[1.0], [3.0], [5.0], [7.0], [9.0]], [[2.0], [4.0], [100.0], [100.0], [100.0]]])
    mask = torch.tensor([[True] * 5, [True, True, True, False, False]])
    out, out_mask = enc(x, mask)
    assert out[..., 0].tolist() == [[2.0, 6.0, 9.0], [3.0, 100.0, 0.0]]  # padding never enters a mean
    assert out_mask.tolist() == [[True, True, True], [True, True, False]]
    with pytest.raises(ConfigError, match="stride must be a whole number"):
        FeatureEncoder(in_dim=1, stride=0)


def test_encoder_lr_gives_the_encoders_their_own_scheduled_step(mer_registry) -> None:
    from mer_toolkit.config.sections import TrainConfig
    from mer_toolkit.run.trainer import Trainer

    model = ComposedModel.from_spec(MODEL, SPEC, mer_registry)
    encoder_ids = {id(p) for p in model.encoders.parameters()}
    cfg = TrainConfig(lr=1e-3, encoder_lr=1e-5, scheduler="linear", warmup_epochs=0, device="cpu")
    trainer = Trainer(model, cfg, label_names=["a", "b", "c", "d"])
    rest, enc = trainer.optimizer.param_groups
    assert {id(p) for p in enc["params"]} == encoder_ids and not encoder_ids & {id(p) for p in rest["params"]}
    trainer.train_epoch([make_tiny_batch("sequence", batch_size=6)] * 2, 1, 0, 4, 0)
    assert enc["lr"] == pytest.approx(1e-5 * 0.75) and rest["lr"] == pytest.approx(1e-3 * 0.75)  # step 1 of 4
    single = Trainer(model, TrainConfig(lr=1e-3, device="cpu"), label_names=["a", "b", "c", "d"])
    assert len(single.optimizer.param_groups) == 1
    with pytest.raises(ConfigError, match="train.encoder_lr must be a positive number"):
        Trainer(model, TrainConfig(encoder_lr=0, device="cpu"), label_names=["a", "b", "c", "d"])


def test_set_seed_asks_for_deterministic_kernels_without_importing_inductor() -> None:
    import subprocess
    import sys

    code = ("import sys, torch\nfrom mer_toolkit.run.trainer import set_seed\nset_seed(3)\n"
            "assert torch.are_deterministic_algorithms_enabled() and torch.is_deterministic_algorithms_warn_only_enabled()\n"
            "assert 'torch._inductor' not in sys.modules, 'set_seed imported TorchInductor'\n"
            "import torch._inductor.config as c\nset_seed(3)\nassert c.deterministic\n")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr


def test_parameters_a_part_lists_in_no_weight_decay_are_not_decayed(mer_registry) -> None:
    from mer_toolkit.config.sections import TrainConfig
    from mer_toolkit.errors import PluginError
    from mer_toolkit.run.trainer import Trainer

    model = ComposedModel.from_spec(MODEL, SPEC, mer_registry)
    fusion = model.fusion
    fusion.scale = nn.Parameter(torch.tensor(1.0))
    fusion.no_weight_decay = ("scale",)
    for lr in (None, 1e-5):  # with and without an encoder group
        trainer = Trainer(model, TrainConfig(lr=1e-2, weight_decay=0.5, encoder_lr=lr, device="cpu"),
                          label_names=["a", "b", "c", "d"])
        exempt = [g for g in trainer.optimizer.param_groups if g["weight_decay"] == 0.0]
        assert [[id(p) for p in g["params"]] for g in exempt] == [[id(fusion.scale)]]
        assert all(g["weight_decay"] == 0.5 for g in trainer.optimizer.param_groups if g not in exempt)
    trainer.optimizer.zero_grad()
    model.fusion.scale.grad = torch.zeros(())
    trainer.optimizer.step()  # no gradient: only weight decay could move it
    assert float(fusion.scale.detach()) == 1.0
    fusion.no_weight_decay = ("nothing",)
    with pytest.raises(PluginError, match="'nothing' in no_weight_decay"):
        Trainer(model, TrainConfig(device="cpu"), label_names=["a", "b", "c", "d"])


@pytest.mark.parametrize("optimizer", ["adamw", "adam", "sgd"])
def test_multi_tensor_update_moves_parameters_exactly_as_the_loop(mer_registry, optimizer: str) -> None:
    """The trainer's foreach update (chosen for speed on CPU) must equal PyTorch's per-parameter loop bit for bit."""
    from mer_toolkit.config.sections import TrainConfig
    from mer_toolkit.run.trainer import Trainer

    torch.manual_seed(0)
    model = ComposedModel.from_spec(MODEL, SPEC, mer_registry)
    loop_model = ComposedModel.from_spec(MODEL, SPEC, mer_registry)
    loop_model.load_state_dict(model.state_dict())
    cfg = TrainConfig(lr=1e-2, weight_decay=0.1, optimizer=optimizer, device="cpu")
    trainer = Trainer(model, cfg, label_names=["a", "b", "c", "d"])
    assert all(g["foreach"] for g in trainer.optimizer.param_groups)
    loop = type(trainer.optimizer)(loop_model.parameters(), lr=1e-2, weight_decay=0.1, foreach=False,
                                   **({"momentum": 0.9} if optimizer == "sgd" else {}))
    for step in range(3):
        for m in (model, loop_model):
            for k, p in enumerate(m.parameters()):
                p.grad = torch.full_like(p, 0.01 * (k + 1) * (step + 1))
        trainer.optimizer.step()
        loop.step()
    assert all(torch.equal(a, b) for a, b in zip(model.parameters(), loop_model.parameters()))
