"""Behavioural tests of DRKF's parts and configs (masking, ED pairs, NT-Xent, ORL views, ablations)."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from mer_drkf.fusion_encoder import FusionEncoder
from mer_drkf.heads import EmotionDiscriminator, pair_logits_loop
from mer_drkf.orl import ORL, LearnableNTXent
from mer_toolkit.testing import check_part, fresh_registry, make_tiny_batch, train_tiny

ABLATIONS = ["drkf-no-orl", "drkf-no-intra", "drkf-no-inter", "drkf-no-ed", "drkf-concat", "drkf-audio", "drkf-text"]


@pytest.fixture(scope="module")
def registry():
    return fresh_registry(entry_points=True)


def dims(batch) -> dict[str, int]:
    return {m: x.shape[-1] for m, x in batch.inputs.items()}


def test_parts_are_registered_like_builtins(registry) -> None:
    assert registry.interaction.entry("drkf.orl").source == "drkf"
    assert {"drkf.ec", "drkf.ed"} <= set(registry.head.names("drkf.*"))
    assert {"drkf", *ABLATIONS} <= set(registry.model.names())


@pytest.mark.parametrize("layout", ["pooled", "sequence"])
def test_orl_and_fusion_encoder_forward_backward(layout: str) -> None:
    batch = make_tiny_batch(layout)
    orl = ORL(dims(batch), dim=16, blocks=3)
    out = check_part(orl, "interaction", batch)
    assert set(out.value) == {"text", "audio", "text_specific", "audio_specific"}
    assert set(out.losses) == set(orl.term_names) and orl.default_loss_weights["kl_text"] == 1.0
    fe = FusionEncoder({k: v.shape[-1] for k, v in out.value.items()}, dim=16, layers=2, heads=2)
    fused = fe({k: v.detach() for k, v in out.value.items()}, out.masks)
    assert fused.value.shape == (8, 16) and set(fused.extras["modality_attention"]) == {"text", "audio"}
    check_part(FusionEncoder(dims(batch), dim=16, layers=1, heads=2), "fusion", batch)


def test_fusion_encoder_ignores_padding_and_reports_modality_attention() -> None:
    torch.manual_seed(0)
    batch = make_tiny_batch("sequence", batch_size=6)
    fe = FusionEncoder(dims(batch), dim=16, layers=2, heads=2).eval()
    ref = fe(dict(batch.inputs), dict(batch.masks))
    noisy = {m: x.clone() for m, x in batch.inputs.items()}
    for m, x in noisy.items():
        x[~batch.masks[m]] = 1e3 * torch.randn_like(x[~batch.masks[m]])
    again = fe(noisy, dict(batch.masks))
    assert torch.allclose(ref.value, again.value, atol=1e-5)
    att = ref.extras["modality_attention"]
    assert set(att) == {"text", "audio"} and torch.allclose(att["text"] + att["audio"], torch.ones(6), atol=1e-5)


def test_ed_vectorised_equals_naive_loop_and_labels_pairs_exactly() -> None:
    torch.manual_seed(1)
    head = EmotionDiscriminator(12, hidden=8).eval()
    h = torch.randn(9, 12)
    assert torch.allclose(head.pair_logits(h), pair_logits_loop(head, h), atol=1e-5)
    labels = torch.tensor([0, 1, 0, 2, -1])
    logits = torch.zeros(5, 5)
    logits[0, 2] = logits[2, 0] = 10.0  # the only same-emotion pair among labelled utterances
    low = EmotionDiscriminator(12, pos_weight="none").loss(logits - 5.0 * (logits == 0), labels)
    flipped = logits.clone()
    flipped[0, 2] = flipped[2, 0] = -10.0
    high = EmotionDiscriminator(12, pos_weight="none").loss(flipped - 5.0 * (flipped == 0), labels)
    assert low < 0.01 < high


def test_ntxent_matched_pairs_beat_shuffled_and_temperature_learns() -> None:
    torch.manual_seed(2)
    loss = LearnableNTXent(0.1)
    a = torch.randn(16, 8)
    b = a + 0.05 * torch.randn(16, 8)
    matched, shuffled = loss(a, b), loss(a, b[torch.randperm(16)])
    assert matched < shuffled
    matched.backward()
    assert loss.theta.grad is not None and loss.theta.grad.abs() > 0


def test_orl_views_move_progressively_away_from_the_input() -> None:
    torch.manual_seed(3)
    orl = ORL({"text": 16}, dim=16, blocks=5, dropout=0.0).eval()
    x = torch.randn(4, 3, 16)
    views, _ = orl.views(x, "text")
    dist = [float((v - x).norm()) for v in views]
    assert all(d2 > d1 for d1, d2 in zip(dist, dist[1:])), dist


@pytest.mark.parametrize("name", ABLATIONS)
def test_each_ablation_builds_and_trains(name: str, registry, tmp_path: Path) -> None:
    rec = train_tiny(name, tmp_path, epochs=1, registry=registry, overrides=["data.dataset_options.dialogues=30"])
    assert rec["epochs_run"] == 1 and rec["model"] == name


def test_drkf_learns_demo_and_ed_separates_conflicting_utterances(registry, tmp_path: Path) -> None:
    rec = train_tiny("drkf", tmp_path, epochs=6, registry=registry, overrides=["data.batch_size=64"])
    assert rec["metrics"]["test"]["wa"] > 60.0  # 4 classes: chance is 25 %
    from mer_toolkit.config import ResolvedConfig
    from mer_toolkit.data.datasets.demo import make_demo
    from mer_toolkit.data.sample import collate
    from mer_toolkit.experiment import build_model
    from mer_toolkit.model import DataSpec
    from mer_toolkit.train import load_checkpoint

    ck = load_checkpoint(Path(rec["run_dir"]) / "best.pt")
    model = build_model(ResolvedConfig(ck["config"]), DataSpec(**ck["data_spec"]), registry)
    model.load_state_dict(ck["state_dict"])
    model.eval()
    test = [s for s in make_demo().samples if s.meta["split"] == "test"]
    conflict = [s for s in test if s.meta["conflict"]][:24]
    with torch.no_grad():
        batch = collate(conflict)
        pairs = model(batch).extras["heads.ed"]
    same = batch.labels.unsqueeze(0) == batch.labels.unsqueeze(1)
    off = ~torch.eye(len(conflict), dtype=torch.bool)
    assert pairs[same & off].mean() > pairs[~same].mean()


def test_end_to_end_config_trains_with_tiny_local_encoders(tmp_path: Path) -> None:
    """drkf-e2e with tiny random text/speech models on the raw IEMOCAP-layout fixture (text + wav)."""
    import json
    import subprocess
    import sys

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
            "model.interaction.dim=16", "model.interaction.ae_dims=[8, 8, 4]", "model.fusion.dim=16",
            "model.fusion.layers=1", "model.fusion.heads=2", "model.fusion.ffn=32", "train.amp=off",
            "train.lr=0.001"]
    cmd = [sys.executable, "-m", "mer_toolkit.cli.main", "train", "--model", "drkf-e2e", "--dataset", "iemocap",
           "--root", str(fixture), "--fold", "session5", "--epochs", "1", "--device", "cpu", "--json", "--quiet",
           "--out", str(tmp_path / "run")] + [x for s in sets for x in ("--set", s)]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    rec = json.loads(proc.stdout)[0]
    assert rec["model"] == "drkf-e2e" and rec["epochs_run"] == 1 and rec["params"] > 10_000
    missing = subprocess.run([sys.executable, "-m", "mer_toolkit.cli.main", "train", "--model", "drkf-e2e",
                              "--dataset", "iemocap", "--root", str(fixture), "--set",
                              f"model.encoders.text.path={tmp_path / 'nowhere'}"], capture_output=True, text=True)
    assert missing.returncode == 2 and "never downloads weights" in missing.stderr
