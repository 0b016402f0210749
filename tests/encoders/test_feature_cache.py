"""The feature cache: hits do no work, every input of the fingerprint invalidates, chunks resume, files are mapped."""

from __future__ import annotations

import csv
import os
import sys
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
import torch

import mer_toolkit.data.feature_cache as features
from mer_toolkit.data.corpus import Corpus
from mer_toolkit.data.loader import input_dims
from mer_toolkit.data.sample import Sample, collate
from mer_toolkit.encoders.hf_text import HFTextEncoder
from mer_toolkit.errors import ConfigError, DataError, UnknownComponentError
from mer_toolkit.run.experiment import load_corpus
from mer_toolkit.data.feature_cache import apply_features, extract, load_cached
from mer_toolkit.config.sections import DataConfig

TEXTS = ["i am so happy", "this is awful", "what a great day", "i am angry today", "the day is sad", ""]


@pytest.fixture
def cache(tmp_path: Path, monkeypatch) -> Path:
    monkeypatch.setenv("MER_CACHE_DIR", str(tmp_path / "cache"))
    return tmp_path / "cache"


def make_corpus(folder: Path, n: int = 12) -> Corpus:
    """Utterances with a transcript and a short WAV file each."""
    g = torch.Generator().manual_seed(0)
    samples = []
    for i in range(n):
        path = folder / f"u{i}.wav"
        sf.write(path, (torch.randn(1600 + 400 * i, generator=g) * 0.1).numpy(), 16000)
        samples.append(Sample(f"u{i}", i % 2, {"text": TEXTS[i % len(TEXTS)], "audio": str(path)}))
    return Corpus("tiny", ["a", "b"], samples)


def test_hit_miss_and_every_invalidation(reg, cache: Path, tmp_path: Path, tiny_text: Path, monkeypatch) -> None:
    corpus = make_corpus(tmp_path)
    text = {"type": "hf_text", "path": str(tiny_text)}
    first = extract(corpus, "text", text, reg)
    assert not first.hit and first.utterances == 12 and first.dim == 16 and first.pooled and first.empty_texts == 2

    def no_model(*args, **kwargs):
        raise AssertionError("a cache hit must not load the model")

    with monkeypatch.context() as m:
        m.setattr(HFTextEncoder, "__init__", no_model)
        second = extract(corpus, "text", text, reg)
    assert second.hit and second.path == first.path and second.seconds < first.seconds
    assert not extract(corpus, "text", {**text, "max_length": 4}, reg).hit  # encoder options
    st = (tiny_text / "model.safetensors").stat()
    os.utime(tiny_text / "model.safetensors", ns=(st.st_atime_ns, st.st_mtime_ns + 10**9))
    weights = extract(corpus, "text", text, reg)
    assert not weights.hit and weights.path != first.path  # weight files
    corpus.samples[0].modalities["text"] = "i am so sad"
    assert not extract(corpus, "text", text, reg).hit  # dataset manifest: a transcript
    audio = {"type": "fbank", "n_mels": 20, "pool": "stats"}
    a1 = extract(corpus, "audio", audio, reg)
    assert not a1.hit and extract(corpus, "audio", audio, reg).hit
    sf.write(corpus.samples[3].modalities["audio"], np.zeros(3000, dtype=np.float32), 16000)
    assert not extract(corpus, "audio", audio, reg).hit  # dataset manifest: an audio file
    assert len(list(cache.iterdir())) == 6


def test_interrupted_extraction_resumes_to_the_same_features(reg, cache: Path, tmp_path: Path, monkeypatch) -> None:
    corpus = make_corpus(tmp_path)
    spec = {"type": "mfcc", "pool": "none"}
    monkeypatch.setattr(features, "CHUNK", 4)
    encoded = []
    original = features._encode_chunk
    monkeypatch.setattr(features, "_encode_chunk", lambda enc, chunk, *a: encoded.append(len(chunk)) or
                        original(enc, chunk, *a))

    def interrupt(done: int, total: int) -> None:
        if done == 8:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        extract(corpus, "audio", spec, reg, progress=interrupt)
    folder = next(cache.iterdir())
    assert sorted(p.name for p in folder.glob("part-*")) == ["part-00000.npz", "part-00001.npz"]
    assert not (folder / "index.json").exists() and encoded == [4, 4]
    res = extract(corpus, "audio", spec, reg)
    assert not res.hit and encoded == [4, 4, 4] and not list(folder.glob("part-*")) and not res.pooled
    resumed = load_cached(res.path)
    monkeypatch.setenv("MER_CACHE_DIR", str(tmp_path / "fresh"))
    fresh = load_cached(extract(corpus, "audio", spec, reg).path)
    for uid in fresh:
        assert torch.equal(resumed[uid].tensor(), fresh[uid].tensor())


def test_loaded_features_are_views_of_one_mapped_file(reg, cache: Path, tmp_path: Path) -> None:
    corpus = make_corpus(tmp_path, n=3)
    res = extract(corpus, "audio", {"type": "fbank", "n_mels": 8}, reg)
    feats = load_cached(res.path)
    assert feats["u0"].shape == (8, 8) and feats["u1"].shape == (11, 8)  # (1600 - 400) // 160 + 1 frames, + 400
    a, b = feats["u0"].tensor(), feats["u1"].tensor()
    assert isinstance(feats["u0"].data, np.memmap) and feats["u1"].data is feats["u0"].data
    assert b.data_ptr() - a.data_ptr() == a.numel() * 4  # consecutive rows of one memory-mapped array
    a.zero_()  # copy-on-write: the cache file never changes
    assert not torch.equal(load_cached(res.path)["u0"].tensor(), a)


def test_cached_references_are_small_and_collate_like_tensors(reg, cache: Path, tmp_path: Path) -> None:
    corpus = make_corpus(tmp_path, n=3)
    spec = {"type": "fbank", "n_mels": 8, "pool": "mean"}
    feats = load_cached(extract(corpus, "audio", spec, reg).path)
    ref = feats["u1"]
    assert ref.shape == (8,) and sys.getsizeof(ref) < 100  # a tensor view costs over 1 KB per utterance
    loaded = apply_features(corpus, {"audio": spec}, reg)
    batch = collate([loaded.samples[0], loaded.samples[1]])
    assert batch.inputs["audio"].shape == (2, 1, 8) and torch.equal(batch.inputs["audio"][1, 0], ref.tensor())
    assert input_dims(loaded.samples)["audio"] == 8


def test_trainable_or_unknown_encoders_and_wrong_inputs_are_refused(reg, cache: Path, tmp_path: Path,
                                                                    tiny_text: Path) -> None:
    corpus = make_corpus(tmp_path, n=2)
    for spec in ({"type": "hf_text", "path": str(tiny_text), "finetune": True},
                 {"type": "hf_text", "path": str(tiny_text), "layer": "weighted"}):
        with pytest.raises(ConfigError, match="cannot be cached"):
            extract(corpus, "text", spec, reg)
    with pytest.raises(UnknownComponentError, match="fbnak"):
        extract(corpus, "audio", "fbnak", reg)
    with pytest.raises(DataError, match="no 'video'"):
        extract(corpus, "video", "fbank", reg)
    corpus.samples[0].modalities["audio"] = torch.zeros(4)
    with pytest.raises(DataError, match="already a feature tensor"):
        extract(corpus, "audio", "fbank", reg)


def test_data_features_in_a_config_replace_modalities(reg, cache: Path, tmp_path: Path, tiny_text: Path) -> None:
    corpus = make_corpus(tmp_path, n=10)
    manifest = tmp_path / "corpus.csv"
    with open(manifest, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["id", "audio", "text", "label", "split"])
        for k, s in enumerate(corpus.samples):
            w.writerow([s.id, Path(s.modalities["audio"]).name, s.modalities["text"] or "...", "ab"[k % 2],
                        ["train", "train", "train", "val", "test"][k % 5]])
    data = DataConfig(dataset=str(manifest), features={"text": {"type": "hf_text", "path": str(tiny_text)},
                                                       "audio": {"type": "fbank", "n_mels": 12}})
    loaded = load_corpus(data, reg)
    s = loaded.by_id()["u2"]
    assert s.modalities["text"].shape == (16,) and s.modalities["audio"].shape == (13, 12)
    assert set(loaded.info["feature_cache"]) == {"text", "audio"}
    with pytest.raises(ConfigError, match="data.features must map"):
        apply_features(loaded, ["minilm"], reg)


@pytest.mark.parametrize("encoder,option,values", [
    ({"type": "fbank", "n_mels": 20}, "pool", ["none", "mean", "stats"]),
    ({"type": "mfcc"}, "pool", ["none", "mean", "stats"]),
    ({"type": "hf_text"}, "pooling", ["mean", "cls", "none"]),
])
def test_fingerprint_differs_per_pooling(reg, tmp_path: Path, tiny_text: Path, encoder: dict, option: str,
                                         values: list[str]) -> None:
    """Two poolings of one encoder never share a cache entry (each gives features of another shape)."""
    corpus = make_corpus(tmp_path, n=3)
    node = {**encoder, "path": str(tiny_text)} if encoder["type"] == "hf_text" else dict(encoder)
    modality = features.input_modality(node, reg)
    prints = {features.fingerprint({**node, option: v}, reg, corpus, modality) for v in values}
    assert len(prints) == len(values)
    assert features.fingerprint({**node, option: values[0]}, reg, corpus, modality) in prints  # deterministic


def test_two_poolings_extract_into_two_entries(reg, cache: Path, tmp_path: Path) -> None:
    corpus = make_corpus(tmp_path, n=3)
    frames = extract(corpus, "audio", {"type": "fbank", "n_mels": 20, "pool": "none"}, reg)
    stats = extract(corpus, "audio", {"type": "fbank", "n_mels": 20, "pool": "stats"}, reg)
    assert not stats.hit and stats.path != frames.path
    assert (frames.pooled, frames.dim) == (False, 20) and (stats.pooled, stats.dim) == (True, 40)
