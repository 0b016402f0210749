"""``data.feature_norm``: per-group standardisation of precomputed features (pooled and frames), without labels."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest
import torch

from mer_toolkit.config.sections import DataConfig
from mer_toolkit.data.corpus import Corpus, Fold
from mer_toolkit.data.cross_corpus import cross_fold
from mer_toolkit.data.feature_norm import normalize_fold
from mer_toolkit.data.feature_rows import as_tensor
from mer_toolkit.data.sample import Sample
from mer_toolkit.errors import ConfigError


def sample(uid: str, speaker: str, label: int, pooled: torch.Tensor, frames: torch.Tensor) -> Sample:
    return Sample(uid, label, {"audio": pooled, "frames": frames, "text": "words"}, speaker=speaker)


def make_fold(seed: int = 0, shift: float = 0.0) -> Fold:
    """Three speakers whose features sit at very different offsets and scales; speaker c is the test split."""
    g = torch.Generator().manual_seed(seed)
    out: dict[str, list[Sample]] = {"a": [], "b": [], "c": []}
    for k, (spk, loc, scale) in enumerate([("a", 5.0, 1.0), ("b", -3.0, 4.0), ("c", 20.0, 0.5)]):
        for i in range(6):
            pooled = loc + shift + scale * torch.randn(4, generator=g)
            frames = loc + shift + scale * torch.randn(3 + i, 4, generator=g)
            out[spk].append(sample(f"{spk}{i}", spk, i % 2, pooled, frames))
    return Fold("f", out["a"], out["b"], out["c"], protocol="toy")


def norm(fold: Fold, mode: str) -> tuple[Fold, dict]:
    """``normalize_fold`` with the fold's own utterances as the corpus."""
    return normalize_fold(fold, mode, Corpus("toy", ["x", "y"], fold.train + fold.val + fold.test))


def values(samples: list[Sample], modality: str) -> torch.Tensor:
    return torch.cat([as_tensor(s.modalities[modality]).reshape(-1, 4) for s in samples])


@pytest.mark.parametrize("modality", ["audio", "frames"])
def test_speaker_mode_standardises_each_speaker_by_its_own_statistics(modality: str) -> None:
    fold, summary = norm(make_fold(), "speaker")
    assert summary["mode"] == "speaker" and summary["groups"] == 3 and summary["modalities"] == ["audio", "frames"]
    for split in (fold.train, fold.val, fold.test):  # each split is one speaker here
        x = values(split, modality)
        assert torch.allclose(x.mean(0), torch.zeros(4), atol=1e-5)
        assert torch.allclose(x.std(0, unbiased=False), torch.ones(4), atol=1e-4)
    assert all(s.modalities["text"] == "words" for s in fold.train)  # text is not a feature: untouched


@pytest.mark.parametrize("modality", ["audio", "frames"])
def test_corpus_mode_pools_the_corpus_and_keeps_a_cross_corpus_test_corpus_apart(modality: str) -> None:
    fold, _ = norm(make_fold(), "corpus")
    everything = values(fold.train + fold.val + fold.test, modality)
    assert torch.allclose(everything.mean(0), torch.zeros(4), atol=1e-5)
    assert torch.allclose(everything.std(0, unbiased=False), torch.ones(4), atol=1e-4)
    assert values(fold.test, modality).mean() > 1.0  # one corpus: speaker c is still far from the others
    home = make_fold()
    other = Corpus("other", ["x", "y"], [dataclasses.replace(s, id=f"o{s.id}")
                                         for s in make_fold(seed=3, shift=100.0).train])
    cross, summary = normalize_fold(cross_fold(home, other), "corpus", Corpus("toy", ["x", "y"], home.train + home.val))
    assert summary["groups"] == 2
    test = values(cross.test, modality)  # the test corpus by its own statistics, far off the training corpus's
    assert torch.allclose(test.mean(0), torch.zeros(4), atol=1e-5)
    assert torch.allclose(test.std(0, unbiased=False), torch.ones(4), atol=1e-4)
    trained = values(cross.train + cross.val, modality)
    assert torch.allclose(trained.mean(0), torch.zeros(4), atol=1e-5)


def test_a_corpus_cut_to_shared_labels_keeps_the_statistics_of_all_its_utterances() -> None:
    from mer_toolkit.data.cross_corpus import restrict

    home = make_fold()
    whole = Corpus("other", ["x", "y", "z"], [dataclasses.replace(s, id=f"o{s.id}", label=k % 3)
                                              for k, s in enumerate(make_fold(seed=3, shift=100.0).train)])
    cut = restrict(whole, ["x", "y"], {}, "other")  # the label-z utterances leave the test split ...
    assert len(cut.samples) == 4 and len(cut.population) == 6
    cross, _ = normalize_fold(cross_fold(home, cut), "corpus", Corpus("toy", ["x", "y"], home.train + home.val))
    everything = torch.stack([as_tensor(s.modalities["audio"]) for s in whole.samples])
    mean, std = everything.mean(0), everything.std(0, unbiased=False)  # ... but not the statistics
    expected = (torch.stack([as_tensor(s.modalities["audio"]) for s in cut.samples]) - mean) / std
    assert torch.allclose(values(cross.test, "audio"), expected, atol=1e-4)


@pytest.mark.parametrize("mode", ["corpus", "speaker"])
def test_no_label_is_read(mode: str) -> None:
    fold = make_fold()
    permuted = dataclasses.replace(fold, **{split: [dataclasses.replace(s, label=(s.label + 1) % 2)
                                                    for s in getattr(fold, split)] for split in ("train", "val", "test")})
    a, _ = norm(fold, mode)
    b, _ = norm(permuted, mode)
    for split in ("train", "val", "test"):
        for m in ("audio", "frames"):
            assert torch.equal(values(getattr(a, split), m), values(getattr(b, split), m))


def test_train_mode_leaves_the_features_to_the_model() -> None:
    fold = make_fold()
    assert norm(fold, "train") == (fold, {"mode": "train"})


def test_a_speaker_with_one_utterance_falls_back_to_its_corpus_and_stays_finite() -> None:
    fold = make_fold()
    fold = dataclasses.replace(fold, test=fold.test[:1])  # speaker c has a single pooled vector: no variance
    out, summary = norm(fold, "speaker")
    assert summary["corpus_fallback_utterances"] == {"audio": 1, "frames": 1}
    x = torch.cat([values(out.train + out.val + out.test, m) for m in ("audio", "frames")])
    assert bool(torch.isfinite(x).all())
    corpus_only, _ = norm(fold, "corpus")
    assert torch.equal(values(out.test, "audio"), values(corpus_only.test, "audio"))
    constant = dataclasses.replace(fold, train=[dataclasses.replace(s, modalities={"audio": torch.ones(4)})
                                                for s in fold.train])
    same, _ = norm(constant, "speaker")  # a constant dimension is centred, never divided by 0
    assert torch.equal(values(same.train, "audio"), torch.zeros(len(fold.train), 4))


def test_bad_modes_and_missing_speakers_are_config_errors() -> None:
    with pytest.raises(ConfigError, match=r"data.feature_norm = 'bogus' is not one of \['train', 'corpus', "):
        DataConfig(feature_norm="bogus")
    fold = make_fold()
    nameless = dataclasses.replace(fold, test=[dataclasses.replace(s, speaker="") for s in fold.test])
    with pytest.raises(ConfigError, match=r"6 utterance\(s\) of \['toy'\] have no speaker id"):
        norm(nameless, "speaker")
    assert norm(nameless, "corpus")[1]["groups"] == 1


def test_the_mode_is_in_the_record_and_the_hash(tmp_path: Path) -> None:
    from mer_toolkit.testing import run_mer

    out = tmp_path / "run"
    run_mer("train", "--model", "concat_mlp", "--epochs", "1", "--set", "data.feature_norm=speaker",
            "--set", "data.dataset_options.dialogues=30", "--out", str(out), "--quiet")
    rec = json.loads((out / "official" / "record.json").read_text())
    assert rec["feature_norm"]["mode"] == "speaker" and rec["feature_norm"]["groups"] >= 2
    assert "feature_norm: speaker" in (out / "official" / "config.yaml").read_text()
    from mer_toolkit.errors import RunError
    from mer_toolkit.run.inference import Predictor

    with pytest.raises(RunError, match="trained with data.feature_norm=speaker"):  # single inputs have no groups
        Predictor.from_checkpoint(out / "official" / "best.pt")
    proc = run_mer("eval", str(out / "official" / "best.pt"), "--set", "data.dataset_options.dialogues=30", "--json")
    assert proc.returncode == 0, proc.stderr
    again = json.loads(proc.stdout)["metrics"]
    assert again["loss"] == pytest.approx(rec["metrics"]["test"]["loss"], rel=1e-5)  # the inputs the run tested on
    from mer_toolkit.config import resolve_config
    from mer_toolkit.run.experiment import run_settings
    from mer_toolkit.testing import fresh_registry

    reg = fresh_registry()
    hashes = {mode: run_settings(resolve_config("concat_mlp", reg, [f"data.feature_norm={mode}"]), 1).config_hash
              for mode in ("train", "corpus", "speaker")}
    assert len(set(hashes.values())) == 3
    assert hashes["train"] == run_settings(resolve_config("concat_mlp", reg, []), 1).config_hash


def test_mer_tune_searches_the_mode(tmp_path: Path) -> None:
    pytest.importorskip("optuna")
    from mer_toolkit.testing import run_mer

    space = tmp_path / "space.yaml"
    space.write_text("search:\n  data.feature_norm: {type: choice, values: [train, corpus, speaker]}\n"
                     "  train.lr: {type: float, low: 1.0e-4, high: 1.0e-2, log: true}\n")
    import yaml

    def modes(out: Path) -> list[str]:
        proc = run_mer("tune", "--model", "concat_mlp", "--dataset", "demo", "--trials", "4", "--epochs", "1",
                       "--search", str(space), "--sampler-seed", "3", "--set", "data.dataset_options.dialogues=30",
                       "--out", str(out))
        assert proc.returncode == 0, proc.stderr
        return [yaml.safe_load(p.read_text())["data"]["feature_norm"]
                for p in sorted((out / "trials").glob("*/config.yaml"))]

    first = modes(tmp_path / "a")
    assert set(first) <= {"train", "corpus", "speaker"} and len(set(first)) >= 2, first
    assert modes(tmp_path / "b") == first  # a seeded sampler draws the same values again
