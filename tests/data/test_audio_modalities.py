"""Datasets declare which modalities hold audio files; loading, silence checks and feature extraction follow it."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from mer_toolkit.data.corpus import Corpus
from mer_toolkit.data.feature_cache import apply_features
from mer_toolkit.data.loader import input_dims, make_loader
from mer_toolkit.data.sample import Sample
from mer_toolkit.errors import PluginError, DataError
from mer_toolkit.run.experiment import load_corpus
from mer_toolkit.config.sections import DataConfig


def make_two_mics(root: str) -> Corpus:
    """Each utterance recorded by a near and a far microphone; its transcript happens to look like a file name."""
    folder = Path(root)
    samples = []
    for i in range(4):
        tone = np.sin(np.arange(4000 + 800 * i) * 0.05).astype(np.float32)
        near, far = folder / f"near{i}.wav", folder / f"far{i}.wav"
        sf.write(near, 0.5 * tone, 16000)
        sf.write(far, np.zeros_like(tone) if i == 3 else 0.1 * tone, 16000)  # utterance 3: the far mic is silent
        samples.append(Sample(f"u{i}", i % 2, {"near": str(near), "far": str(far), "text": str(near)}))
    return Corpus("two_mics", ["a", "b"], samples)


def test_declared_audio_modalities_are_decoded_and_only_they(mer_registry, tmp_path: Path) -> None:
    mer_registry.dataset.register("two_mics", make_two_mics, audio=("near", "far"))
    corpus = load_corpus(DataConfig(dataset="two_mics", root=str(tmp_path)), mer_registry)
    assert corpus.audio_modalities == ("near", "far")
    batch = next(iter(make_loader(corpus.samples, 4, shuffle=False, audio=corpus.audio_modalities)))
    assert batch.inputs["near"].shape == (4, 4000 + 800 * 3) and batch.sample_rates["near"] == 16000
    assert batch.present["far"].tolist() == [True, True, True, False]  # the silent clip leaves only that one
    assert batch.inputs["text"] == [s.modalities["text"] for s in corpus.samples]  # a string, never decoded

    mer_registry.dataset.register("undeclared", make_two_mics)
    plain = load_corpus(DataConfig(dataset="undeclared", root=str(tmp_path)), mer_registry)
    assert plain.audio_modalities == ("audio",)
    raw = next(iter(make_loader(plain.samples, 4, shuffle=False, audio=plain.audio_modalities)))
    assert raw.inputs["near"] == [s.modalities["near"] for s in plain.samples]


def test_features_and_silence_checks_follow_the_declaration(mer_registry, tmp_path: Path, monkeypatch) -> None:
    from mer_toolkit.cli.commands.data_cmd import silent_audio

    monkeypatch.setenv("MER_CACHE_DIR", str(tmp_path / "cache"))
    mer_registry.dataset.register("two_mics", make_two_mics, audio=("near", "far"))
    corpus = load_corpus(DataConfig(dataset="two_mics", root=str(tmp_path)), mer_registry)
    assert silent_audio(corpus) == ["u3"]
    feats = apply_features(corpus, {"far": {"type": "fbank", "n_mels": 20, "pool": "stats"}}, mer_registry)
    assert feats.audio_modalities == ("near", "far")
    assert [s.id for s in feats.samples if "far" in s.modalities] == ["u0", "u1", "u2"]
    assert input_dims(feats.samples)["far"] == 40  # mean + std of 20 mel bands, decoded from the declared files


@pytest.mark.parametrize("declared", [3, ("audio", ""), [None]])
def test_a_malformed_declaration_is_reported_with_the_dataset(mer_registry, declared) -> None:
    """Refused when the plugin registers it, naming the dataset, instead of when a run first reads it."""
    with pytest.raises(PluginError, match=r"dataset 'bad_audio' from builtin: audio= must name the modalities"):
        mer_registry.dataset.register("bad_audio", make_two_mics, audio=declared)
