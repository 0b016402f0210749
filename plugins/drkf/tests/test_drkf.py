"""Tests that pin DRKF's method: ED on mismatched pairs, ORL's losses, the FE's embeddings and masks, ablations."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
import torch
import torch.nn.functional as F

from mer_drkf.fusion_encoder import FusionEncoder, mismatched_pairs, pair_targets
from mer_drkf.orl import ORL, LearnableTemperature, ResidualAE, class_kl, cross_ntxent, simclr_ntxent
from mer_toolkit.config import resolve_config
from mer_toolkit.config.tree import leaf_paths
from mer_toolkit.run.experiment import build_model
from mer_toolkit.components.model import DataSpec
from mer_toolkit.testing import check_part, fresh_registry, make_tiny_batch, run_mer, train_tiny

CONFIGS = ["drkf-e2e", "drkf-e2e-msp", "drkf-trimodal", "drkf-frames"]
ABLATIONS = ["drkf-no-orl", "drkf-no-intra", "drkf-no-inter", "drkf-no-ed", "drkf-concat", "drkf-audio", "drkf-text"]
SMALL = ["model.fusion.dim=16", "model.fusion.heads=2", "model.fusion.ffn=32", "model.fusion.dropout=0.0",
         "model.encoders.text.proj_dim=16", "model.encoders.audio.proj_dim=16", "model.interaction.ae_dims=[8, 4]"]


@pytest.fixture(scope="module")
def registry():
    return fresh_registry(entry_points=True)


def dims(batch) -> dict[str, int]:
    return {m: x.shape[-1] for m, x in batch.inputs.items()}


def build(registry, name: str, batch, overrides: list[str] | None = None):
    removed = {"drkf-concat": "model.fusion", "drkf-no-orl": "model.interaction"}.get(name)
    if removed:  # the part this ablation replaces takes no size overrides
        overrides = [s for s in overrides or [] if not s.startswith(removed)]
    cfg = resolve_config(name, registry, list(overrides or []))
    return build_model(cfg, DataSpec(input_dims=dims(batch), num_classes=4), registry)


def test_parts_are_registered_like_builtins(registry) -> None:
    assert registry.interaction.entry("drkf.orl").source == "drkf"
    assert registry.fusion.entry("drkf.fusion_encoder").source == "drkf"
    assert set(registry.head.names("drkf.*")) == {"drkf.ec"}
    assert {"drkf", *ABLATIONS, *CONFIGS} <= set(registry.model.names())


# -- ED --------------------------------------------------------------------------------------
def test_ed_pairs_are_mismatched_and_cover_every_pair_or_k_per_utterance() -> None:
    i, j = mismatched_pairs(5, "all")
    assert len(i) == 20 and not (i == j).any() and len(set(zip(i.tolist(), j.tolist()))) == 20
    torch.manual_seed(0)
    i, j = mismatched_pairs(6, 3)
    assert not (i == j).any() and torch.equal(torch.bincount(i), torch.full((6,), 3))
    assert all(len(set(j[i == u].tolist())) == 3 for u in range(6))
    assert mismatched_pairs(1, "all")[0].numel() == 0
    two = mismatched_pairs(2, 5)  # K above B - 1 is cut to B - 1: each utterance pairs with the other once
    assert two[0].tolist() == [0, 1] and two[1].tolist() == [1, 0]
    assert sorted(zip(*(x.tolist() for x in mismatched_pairs(2, "all")))) == [(0, 1), (1, 0)]


def test_ed_targets_mark_same_emotion_and_drop_unlabelled() -> None:
    labels = torch.tensor([0, 1, 0, -1])
    i, j = mismatched_pairs(4, "all")
    keep, target = pair_targets(labels, i, j)
    kept = {(a, b): t for a, b, t, k in zip(i.tolist(), j.tolist(), target.tolist(), keep.tolist()) if k}
    assert set(kept) == {(0, 1), (0, 2), (1, 0), (1, 2), (2, 0), (2, 1)}
    assert {p for p, t in kept.items() if t} == {(0, 2), (2, 0)}


def test_ed_weighting_balances_same_emotion_pairs() -> None:
    logits = torch.randn(8, 2)
    target = torch.tensor([1, 0, 0, 0, 0, 0, 0, 1])
    plain = FusionEncoder({"audio": 4, "text": 4}, dim=4, heads=1).ed_loss(logits, target)
    balanced = FusionEncoder({"audio": 4, "text": 4}, dim=4, heads=1, ed_weighting="balanced").ed_loss(logits, target)
    assert torch.allclose(plain, F.cross_entropy(logits, target))
    assert torch.allclose(balanced, F.cross_entropy(logits, target, weight=torch.tensor([1.0, 3.0])))


def test_ed_runs_the_fusion_encoder_on_audio_of_i_with_text_of_j() -> None:
    batch = make_tiny_batch("sequence", batch_size=6)
    fe = FusionEncoder(dims(batch), dim=16, heads=2, dropout=0.0, ed_pairs="all").train()
    out = fe(dict(batch.inputs), dict(batch.masks), batch=batch)
    i, j = mismatched_pairs(6, "all")
    keep, target = pair_targets(batch.labels, i, j)
    i, j = i[keep], j[keep]
    feats = {"audio": batch.inputs["audio"][i], "text": batch.inputs["text"][j]}
    masks = {"audio": batch.masks["audio"][i], "text": batch.masks["text"][j]}
    cls, _, _ = fe.encode(feats, masks)
    assert torch.allclose(out.losses["ed"], F.cross_entropy(fe.ed_head(cls), target[keep]), atol=1e-5)
    alone, _, _ = fe.encode(dict(batch.inputs), dict(batch.masks))
    assert torch.allclose(out.value, alone, atol=1e-5)  # the mismatched rows do not leak into the batch's own
    assert "ed" not in fe.eval()(dict(batch.inputs), dict(batch.masks), batch=batch).losses


# -- ORL -------------------------------------------------------------------------------------
def test_orl_terms_are_non_zero_and_each_classifier_sees_its_own_modality() -> None:
    torch.manual_seed(4)
    batch = make_tiny_batch("sequence")
    orl = ORL(dims(batch), num_classes=4, blocks=2)
    out = check_part(orl, "interaction", batch)
    assert set(out.losses) == set(orl.term_names)
    assert all(float(v.detach()) > 0 for v in out.losses.values()), out.losses
    assert torch.equal(out.value["text"], batch.inputs["text"])  # the FE gets the raw sequences
    orl.zero_grad()
    orl(dict(batch.inputs), dict(batch.masks), batch=batch).losses["ce_text"].backward()
    assert orl.classifier["text"].weight.grad.abs().sum() > 0 and orl.classifier["audio"].weight.grad is None
    assert orl.proj["text"][0].weight.grad is None  # the probe trains the classifier only


def test_residual_ae_is_deterministic_and_accumulates_block_outputs() -> None:
    torch.manual_seed(5)
    ae = ResidualAE(6, [4, 2], blocks=2).train()
    x = torch.randn(3, 6)
    assert torch.equal(ae(x), ae(x))
    out0 = ae.decoders[0](ae.encoders[0](x))
    out1 = ae.decoders[1](ae.encoders[1](x + out0))
    assert torch.allclose(ae(x), ae.transition(x + out0 + out1), atol=1e-6)


def test_one_learnable_temperature_starts_at_sigmoid_one_with_a_floor() -> None:
    orl = ORL({"text": 8, "audio": 8}, num_classes=3, blocks=1)
    thetas = [n for n, _ in orl.named_parameters() if "theta" in n]
    assert thetas == ["temperature.theta"]
    assert abs(float(orl.temperature().detach()) - torch.sigmoid(torch.tensor(1.0)).item()) < 1e-6
    t = LearnableTemperature(theta=-20.0, floor=0.05)
    assert float(t().detach()) == pytest.approx(0.05)
    a = torch.randn(8, 4, requires_grad=True)
    (simclr_ntxent(a, a + 0.1, orl.temperature()) + cross_ntxent(a, a * 2, orl.temperature())).backward()
    assert orl.temperature.theta.grad is not None and orl.temperature.theta.grad.abs() > 0


def test_ntxent_forms_match_their_definitions() -> None:
    torch.manual_seed(6)
    a, b, tau = torch.randn(5, 4), torch.randn(5, 4), torch.tensor(0.5)
    z = F.normalize(torch.cat([a, b]), dim=1)
    sim = (z @ z.T / tau).masked_fill(torch.eye(10, dtype=torch.bool), float("-inf"))
    target = torch.cat([torch.arange(5, 10), torch.arange(5)])
    assert torch.allclose(simclr_ntxent(a, b, tau), F.cross_entropy(sim, target), atol=1e-5)
    cross = F.normalize(a, dim=1) @ F.normalize(b, dim=1).T / tau
    assert torch.allclose(cross_ntxent(a, b, tau), F.cross_entropy(cross, torch.arange(5)), atol=1e-5)


def test_two_rows_are_enough_for_every_orl_term_and_none_is_empty() -> None:
    """Two utterances already give each contrastive term a negative; fewer give zero terms (not NaN)."""
    torch.manual_seed(7)
    a, b, tau = torch.randn(2, 4), torch.randn(2, 4), torch.tensor(0.5)
    assert float(simclr_ntxent(a, b, tau)) > 0 and float(cross_ntxent(a, b, tau)) > 0
    for term in (simclr_ntxent(a[:1], b[:1], tau), cross_ntxent(a[:1], b[:1], tau),
                 class_kl(torch.zeros(0, 3), torch.zeros(0, 3))):
        assert term.shape == () and float(term) == 0.0


# -- Fusion Encoder --------------------------------------------------------------------------
def test_fusion_encoder_embeddings_are_bert_style() -> None:
    torch.manual_seed(7)
    fe = FusionEncoder({"audio": 64, "text": 64}, dim=256, heads=4, max_len=400).eval()
    assert {n for n, _ in fe.embeddings.named_parameters()} == {"position.weight", "token_type.weight", "norm.weight",
                                                                "norm.bias"}  # no learnable [CLS]/[SEP], one type
    assert fe.embeddings.position.num_embeddings == 2 * 401 + 1
    for w in (fe.embeddings.position.weight, fe.embeddings.token_type.weight):
        assert 0.015 < float(w.detach().std()) < 0.025
    batch = make_tiny_batch("sequence", batch_size=4)
    x, pad, _ = FusionEncoder(dims(batch), dim=16, heads=2).eval().tokens(dict(batch.inputs), dict(batch.masks))
    assert torch.allclose(x.mean(-1), torch.zeros(x.shape[:2]), atol=1e-5)  # LayerNorm on every token
    assert torch.allclose(x.std(-1, unbiased=False), torch.ones(x.shape[:2]), atol=1e-3)


def test_fusion_encoder_tokens_are_zero_markers_type_zero_and_continuous_positions() -> None:
    fe = FusionEncoder({"audio": 4, "text": 4}, dim=4, heads=1, max_len=8).eval()
    emb = fe.embeddings
    emb.norm = torch.nn.Identity()
    with torch.no_grad():
        emb.position.weight.copy_(torch.arange(emb.position.num_embeddings).float().unsqueeze(1).repeat(1, 4))
        emb.token_type.weight.fill_(0.5)
    feats = {"audio": torch.full((2, 3, 4), 100.0), "text": torch.full((2, 2, 4), 1000.0)}
    masks = {"audio": torch.tensor([[True, True, True], [True, False, False]]),
             "text": torch.ones(2, 2, dtype=torch.bool)}
    fe.proj = torch.nn.ModuleDict({m: torch.nn.Identity() for m in feats})
    x, pad, _ = fe.tokens(feats, masks)
    content = torch.tensor([0, 100, 100, 100, 0, 1000, 1000, 0]).float()  # [CLS] a a a [SEP] t t [SEP]: zero markers
    full = torch.arange(8).float()  # one run of positions over the whole sequence
    assert torch.equal(x[0, :, 0], content + full + 0.5)  # and token type 0 on every token
    short = torch.tensor([0, 1, 1, 1, 2, 3, 4, 5]).float()  # padded audio steps take no position
    assert torch.equal(x[1, ~pad[1], 0], (content + short + 0.5)[~pad[1]])


def test_fusion_encoder_layers_have_berts_init_and_dropouts() -> None:
    torch.manual_seed(3)
    fe = FusionEncoder({"audio": 48, "text": 48}, dim=256, heads=4, ffn=512, layers=2)
    for layer in fe.layers:
        for w in (layer.attn.in_proj_weight, layer.attn.out_proj.weight, layer.ff[0].weight, layer.ff[-1].weight):
            assert 0.018 < float(w.detach().std()) < 0.022
        for bias in (layer.attn.in_proj_bias, layer.attn.out_proj.bias, layer.ff[0].bias, layer.ff[-1].bias):
            assert not bias.detach().any()
        assert not any(isinstance(m, torch.nn.Dropout) for m in layer.ff.modules())  # BERT: none inside the FFN
        assert layer.drop.p == 0.1 and layer.attn.dropout == 0.1


def test_old_fusion_encoder_checkpoint_is_refused_clearly(registry) -> None:
    from mer_toolkit.errors import RunError

    batch = make_tiny_batch("sequence")
    model = build(registry, "drkf", batch, SMALL)
    state = model.state_dict()
    state["fusion.embeddings.segment.weight"] = torch.zeros(3, 16)
    with pytest.raises(RunError, match="layout before mer-drkf 0.2.*retrain"):
        model.load_state_dict(state)


def test_stream_spans_and_attention_shares() -> None:
    batch = make_tiny_batch("sequence", batch_size=3)
    fe = FusionEncoder(dims(batch), dim=16, heads=2).eval()
    ta, tt = batch.inputs["audio"].shape[1], batch.inputs["text"].shape[1]
    x, pad, spans = fe.tokens(dict(batch.inputs), dict(batch.masks))
    assert spans == [("audio", 1, 1 + ta), ("text", 2 + ta, 2 + ta + tt)] and x.shape[1] == 3 + ta + tt
    assert torch.equal(~pad[:, 1:1 + ta], batch.masks["audio"]) and not pad[:, [0, 1 + ta, 2 + ta + tt]].any()
    att = fe(dict(batch.inputs), dict(batch.masks)).extras["modality_attention"]
    assert torch.allclose(att["audio"] + att["text"], torch.ones(3), atol=1e-5)


def test_padding_reaches_every_attention_through_the_composed_model(registry) -> None:
    torch.manual_seed(8)
    batch = make_tiny_batch("sequence", batch_size=6)
    model = build(registry, "drkf", batch, SMALL).eval()
    ref = model(batch)
    noisy = copy.deepcopy(batch)
    for m, x in noisy.inputs.items():
        x[~noisy.masks[m]] = 1e3 * torch.randn_like(x[~noisy.masks[m]])
        noisy.inputs[m] = torch.cat([x, 1e3 * torch.randn(x.shape[0], 3, x.shape[2])], dim=1)  # extra padding
        noisy.masks[m] = torch.cat([noisy.masks[m], torch.zeros(x.shape[0], 3, dtype=torch.bool)], dim=1)
    again = model(noisy)
    assert torch.allclose(ref.logits, again.logits, atol=1e-4)
    model.train()  # the auxiliary terms exist in training only (SMALL has no dropout; ED's partners are seeded)
    ref, again = (torch.manual_seed(0) and model(b) for b in (batch, noisy))
    assert set(ref.losses) == set(model.loss_weights) - {"loss.ce"}
    for k, v in ref.losses.items():
        assert torch.allclose(v, again.losses[k], atol=1e-4), k


def test_missing_modality_gives_no_nan_and_classifies_from_the_other(registry) -> None:
    torch.manual_seed(9)
    batch = make_tiny_batch("sequence", batch_size=6)
    batch.inputs["audio"][0] = 0.0
    batch.masks["audio"][0] = False  # utterance 0 has no audio clip
    model = build(registry, "drkf", batch, SMALL)
    out = model.train()(batch)
    total, terms = model.compute_loss(out, batch)
    assert torch.isfinite(total) and all(torch.isfinite(v) for v in terms.values())
    total.backward()
    assert all(torch.isfinite(p.grad).all() for p in model.parameters() if p.grad is not None)
    model.eval()
    ref = model(batch).logits[0]
    other = copy.deepcopy(batch)
    other.inputs["text"][0] = torch.randn_like(other.inputs["text"][0])
    assert not torch.allclose(model(other).logits[0], ref, atol=1e-4)  # text still decides utterance 0


def test_evaluation_skips_the_auto_encoders_and_predicts_the_same(registry) -> None:
    torch.manual_seed(10)
    batch = make_tiny_batch("sequence", batch_size=6)
    model = build(registry, "drkf", batch, SMALL).eval()
    calls: list[str] = []
    for m, ae in model.interaction.ae.items():
        ae.register_forward_hook(lambda *_, m=m: calls.append(m))
    out = model(batch)
    assert calls == [] and out.losses == {}
    model.interaction.train()  # ORL computing its views and terms (it has no dropout), the rest in eval mode
    full = model(batch)
    assert sorted(calls) == ["audio", "text"] and "interaction.kl_text" in full.losses
    assert torch.equal(out.logits, full.logits)


def test_the_temperature_gets_no_weight_decay(registry) -> None:
    from mer_toolkit.config.sections import TrainConfig
    from mer_toolkit.run.trainer import Trainer

    model = build(registry, "drkf", make_tiny_batch("sequence"), SMALL)
    trainer = Trainer(model, TrainConfig(weight_decay=0.01, device="cpu"), label_names=list("abcd"))
    exempt = [p for g in trainer.optimizer.param_groups if g["weight_decay"] == 0.0 for p in g["params"]]
    assert exempt == [model.interaction.temperature.theta]  # the reference's Adam decays nothing


def test_deepcopy_after_forward(registry) -> None:
    batch = make_tiny_batch("sequence")
    model = build(registry, "drkf", batch, SMALL).train()
    model.compute_loss(model(batch), batch)[0].backward()
    clone = copy.deepcopy(model)
    assert torch.equal(next(clone.parameters()), next(model.parameters()))


# -- configs ---------------------------------------------------------------------------------
def test_default_loss_weights_are_the_references(registry) -> None:
    model = build(registry, "drkf", make_tiny_batch("pooled"), SMALL)
    expected = {"loss.ce": 1.0, "fusion.ed": 0.2, "interaction.nce_inter": 0.2}
    for m in ("text", "audio"):
        expected.update({f"interaction.nce_intra_{m}": 0.2, f"interaction.mse_{m}": 0.2, f"interaction.kl_{m}": 1.0,
                         f"interaction.ce_{m}": 1.0})
    assert model.loss_weights == expected


ABLATION_CHANGES = {  # name -> (terms removed, parameter-name prefixes removed)
    "drkf-no-ed": ({"fusion.ed"}, ("fusion.ed_head.",)),
    "drkf-no-orl": ({"interaction.nce_intra_text", "interaction.nce_intra_audio", "interaction.nce_inter",
                     "interaction.mse_text", "interaction.mse_audio", "interaction.kl_text", "interaction.kl_audio",
                     "interaction.ce_text", "interaction.ce_audio"}, ("interaction.",)),
    "drkf-no-intra": ({"interaction.nce_intra_text", "interaction.nce_intra_audio"}, ()),
    "drkf-no-inter": ({"interaction.nce_inter"}, ()),
    "drkf-concat": ({"fusion.ed"}, ("fusion.",)),
}


@pytest.mark.parametrize("name", sorted(ABLATION_CHANGES))
def test_each_ablation_removes_exactly_its_terms_and_parameters(name: str, registry) -> None:
    batch = make_tiny_batch("sequence")
    full, ablated = build(registry, "drkf", batch, SMALL), build(registry, name, batch, SMALL)
    terms, prefixes = ABLATION_CHANGES[name]
    assert set(full.loss_weights) - set(ablated.loss_weights) == terms
    assert set(ablated.loss_weights) <= set(full.loss_weights)
    full_params, ablated_params = dict(full.named_parameters()), dict(ablated.named_parameters())
    gone = set(full_params) - set(ablated_params)
    assert all(n.startswith(prefixes) for n in gone) and bool(gone) == bool(prefixes)
    kept = {n for n in set(ablated_params) & set(full_params) if not (name == "drkf-concat" and n.startswith("heads."))}
    assert all(ablated_params[n].shape == full_params[n].shape for n in kept)
    if name != "drkf-concat":
        assert set(ablated_params) <= set(full_params)
    out = ablated.train()(batch)
    assert set(out.losses) == set(ablated.loss_weights) - {"loss.ce"}


@pytest.mark.parametrize("name,modalities", [("drkf-audio", {"audio"}), ("drkf-text", {"text"})])
def test_unimodal_configs_drop_the_cross_modal_terms(name: str, modalities: set[str], registry) -> None:
    batch = make_tiny_batch("sequence", modalities=tuple(modalities))
    model = build(registry, name, batch, [s for s in SMALL if s.split(".")[2] in modalities or "encoders" not in s])
    assert set(model.encoders) == modalities
    assert "fusion.ed" not in model(batch).losses and "interaction.nce_inter" not in model.loss_weights


@pytest.mark.parametrize("name", ABLATIONS)
def test_each_ablation_builds_and_trains(name: str, registry, tmp_path: Path) -> None:
    rec = train_tiny(name, tmp_path, epochs=1, registry=registry, overrides=["data.dataset_options.dialogues=30"])
    assert rec["epochs_run"] == 1 and rec["model"] == name


def test_drkf_frames_is_drkf_with_only_more_dropout(registry) -> None:
    frames, full = (resolve_config(n, registry, []) for n in ("drkf-frames", "drkf"))
    paths = {p for cfg in (frames, full) for p in leaf_paths(cfg.data) if not isinstance(cfg.get(p), dict)}
    changed = {p: frames.get(p) for p in paths - {"description"} if frames.get(p) != full.get(p)}
    assert changed == {"model.encoders.audio.dropout": 0.2, "model.fusion.dropout": 0.3,
                       "model.heads.emotion.dropout": 0.3}
    batch = make_tiny_batch("sequence")
    model = build(registry, "drkf-frames", batch, [s for s in SMALL if "dropout" not in s])
    assert model.encoders["audio"].dropout.p == 0.2 and model.heads["emotion"].dropout.p == 0.3
    assert {layer.drop.p for layer in model.fusion.layers} == {0.3} and model.fusion.embeddings.drop.p == 0.3


def test_end_to_end_config_is_the_references_training_setup(registry) -> None:
    cfg = resolve_config("drkf-e2e", registry, [])
    train, fusion = cfg.data["train"], cfg.data["model"]["fusion"]
    assert cfg.data["data"]["batch_size"] == 4 and fusion["ed_pairs"] == "all"  # 12 mismatched pairs per batch
    assert {k: train[k] for k in ("epochs", "optimizer", "lr", "weight_decay", "grad_clip", "patience", "amp")} == {
        "epochs": 100, "optimizer": "adam", "lr": 1e-5, "weight_decay": 0.0, "grad_clip": None, "patience": None,
        "amp": "off"}
    assert cfg.data["model"]["encoders"]["audio"]["max_seconds"] == 25
    assert fusion["max_len"] * 0.02 >= 25  # 25 s of 50-Hz wav2vec2 frames reach the FE untruncated
    assert (fusion["dim"], fusion["layers"], fusion["heads"], fusion["ffn"]) == (1024, 6, 8, 4096)


@pytest.mark.parametrize("name,zeroed", [("drkf-no-kl", "kl"), ("drkf-kl-classifiers", "ce")])
def test_loss_weight_ablations_zero_exactly_their_terms(name: str, zeroed: str, registry) -> None:
    batch = make_tiny_batch("sequence")
    full, ablated = build(registry, "drkf", batch, SMALL), build(registry, name, batch, SMALL)
    changed = {k for k, v in ablated.loss_weights.items() if v != full.loss_weights[k]}
    assert changed == {f"interaction.{zeroed}_text", f"interaction.{zeroed}_audio"}
    assert all(ablated.loss_weights[k] == 0.0 for k in changed)


def test_drkf_learns_demo(registry, tmp_path: Path) -> None:
    # four epochs and two ORL blocks at demo's width keep this near 4 s on one core; the full config gets about 74 %
    rec = train_tiny("drkf", tmp_path, epochs=4, registry=registry, overrides=["model.interaction.blocks=2"])
    assert rec["metrics"]["test"]["wa"] > 60.0  # 4 classes: chance is 25 %; this setting gives 67 %


def test_end_to_end_config_trains_with_tiny_local_encoders(tmp_path: Path) -> None:
    """drkf-e2e with tiny random text/speech models on the raw IEMOCAP-layout fixture (text + wav)."""
    import json

    import transformers as tf
    from tokenizers import Tokenizer, models, pre_tokenizers

    tf.BertModel(tf.BertConfig(hidden_size=16, num_hidden_layers=2, num_attention_heads=2, intermediate_size=32,
                               vocab_size=50)).save_pretrained(tmp_path / "text")
    tok = Tokenizer(models.WordLevel({"[PAD]": 0, "[UNK]": 1, "the": 2}, unk_token="[UNK]"))
    tok.pre_tokenizer = pre_tokenizers.Whitespace()
    tf.PreTrainedTokenizerFast(tokenizer_object=tok, unk_token="[UNK]", pad_token="[PAD]").save_pretrained(tmp_path / "text")
    tf.Wav2Vec2Model(tf.Wav2Vec2Config(hidden_size=16, num_hidden_layers=2, num_attention_heads=2, intermediate_size=32,
                                       conv_dim=(8, 8), conv_stride=(5, 4), conv_kernel=(10, 8),
                                       num_feat_extract_layers=2, num_conv_pos_embeddings=8,
                                       num_conv_pos_embedding_groups=2)).save_pretrained(tmp_path / "audio")
    fixture = Path(__file__).resolve().parents[3] / "tests" / "fixtures" / "iemocap_raw"
    sets = [f"model.encoders.text.path={tmp_path / 'text'}", f"model.encoders.audio.path={tmp_path / 'audio'}",
            "model.interaction.ae_dims=[8, 8, 4]", "model.fusion.dim=16",
            "model.fusion.layers=1", "model.fusion.heads=2", "model.fusion.ffn=32", "train.amp=off",
            "train.lr=0.001"]
    args = ["train", "--model", "drkf-e2e", "--dataset", "iemocap", "--root", str(fixture), "--fold", "session5",
            "--epochs", "1", "--device", "cpu", "--json", "--quiet", "--out", str(tmp_path / "run")]
    proc = run_mer(*args, *[x for s in sets for x in ("--set", s)])
    assert proc.returncode == 0, proc.stderr[-2000:]
    rec = json.loads(proc.stdout)[0]
    assert rec["model"] == "drkf-e2e" and rec["epochs_run"] == 1 and rec["params"] > 10_000
    missing = run_mer("train", "--model", "drkf-e2e", "--dataset", "iemocap", "--root", str(fixture), "--set",
                      f"model.encoders.text.path={tmp_path / 'nowhere'}")
    assert missing.returncode == 2 and "never downloads weights" in missing.stderr
