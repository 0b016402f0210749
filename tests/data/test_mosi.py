"""CMU-MOSI from its three releases: the bc-LSTM feature CSVs (real, in ../shared/data), MMSA's pickles and
MERBench's folder (fixtures in their exact formats), with the wrong and broken files each is refused for."""

from __future__ import annotations

import csv
import json
import pickle
import shutil
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
import torch

from mer_toolkit.data.safe_pickle import load_pickle
from mer_toolkit.errors import DataError
from mer_toolkit.testing import assert_clean_error, fresh_registry, run_mer, train_tiny

FIX = Path(__file__).resolve().parents[2] / "tests" / "fixtures"
BCLSTM, MMSA, MERBENCH = FIX / "mosi_bclstm", FIX / "mosi_mmsa", FIX / "merbench" / "mosi"


@pytest.fixture(scope="module")
def reg():
    return fresh_registry()


def load(reg, root: Path, **options):
    return reg.dataset.get("mosi")(root=str(root), **options)


def _rows(path: Path) -> list[list[str]]:
    with open(path, newline="") as f:
        return list(csv.reader(f))


# -- the bc-LSTM release -------------------------------------------------------------------------------
def test_feature_rows_join_their_transcripts_through_text_split_csv(reg) -> None:
    """Every vector of the fixture starts with its transcripts.csv row number, and feature rows are stored in
    another order than transcripts.csv: pairing rows by position would put other utterances' vectors here."""
    corpus = load(reg, BCLSTM)
    transcripts = _rows(BCLSTM / "transcripts.csv")
    row_of = {r[0]: k for k, r in enumerate(transcripts)}
    assert len(corpus.samples) == len(transcripts) == 18 and corpus.problems == []
    for s in corpus.samples:
        k = row_of[s.id]
        assert s.label == int(transcripts[k][3]) and corpus.label_names == ["negative", "positive"]
        assert s.meta["transcript"] == transcripts[k][1]
        for m in ("text", "audio", "video"):
            assert float(s.modalities[m][0]) == k, (s.id, m)
        assert {m: tuple(s.modalities[m].shape) for m in ("text", "audio", "video")} == \
            {"text": (100,), "audio": (73,), "video": (100,)}


def test_video_is_speaker_and_dialogue_and_clips_are_ordered_by_number(reg) -> None:
    corpus = load(reg, BCLSTM)
    by_video: dict[str, list] = {}
    for s in corpus.samples:
        assert s.speaker == s.dialogue_id == s.id.rsplit("_", 1)[0] == s.meta["video"]
        by_video.setdefault(s.dialogue_id, []).append(s)
    for video, samples in by_video.items():
        ordered = sorted(samples, key=lambda s: s.position)
        assert [s.position for s in ordered] == list(range(len(ordered)))
        assert [s.meta["clip"] for s in ordered] == [1, 2, 10], video  # numerically, not as strings (1, 10, 2)


def test_validation_holds_out_training_videos(reg) -> None:
    corpus = load(reg, BCLSTM)
    (fold,) = reg.protocol.get(corpus.default_protocol)().folds(corpus)
    videos = {name: {s.speaker for s in getattr(fold, name)} for name in ("train", "val", "test")}
    assert videos["test"] == {"eVidTest05", "fVidTest06"}
    assert len(videos["val"]) == 1 and videos["val"] < {"aVidTrain01", "bVidTrain02", "cVidTrain03", "dVidTrain04"}
    assert not videos["train"] & videos["val"] and not (videos["train"] | videos["val"]) & videos["test"]


def test_text_is_the_vector_or_the_transcript_and_the_transcript_always_in_meta(reg) -> None:
    features = load(reg, BCLSTM)
    words = load(reg, BCLSTM, text="transcript")
    assert all(isinstance(s.modalities["text"], torch.Tensor) for s in features.samples)
    assert [s.modalities["text"] for s in words.samples] == [s.meta["transcript"] for s in features.samples]
    with pytest.raises(DataError, match="text='words'; expected 'features'"):
        load(reg, BCLSTM, text="words")


def test_early_fusion_trains_on_text_audio_and_video_features(tmp_path: Path) -> None:
    record = train_tiny("early_fusion", tmp_path, dataset="mosi", epochs=1,
                        overrides=[f"data.root={BCLSTM}", "model.encoders={text: features, audio: features, "
                                   "video: features}"])
    assert record["sizes"] == {"train": 9, "val": 3, "test": 6} and record["selection"] == "val.wa"
    config = (tmp_path / "config.yaml").read_text()
    assert "video: features" in config


@pytest.mark.parametrize("edit,needle", [
    (lambda d: (d / "audio" / "audio_test0.csv").write_text("".join(
        ln + "\n" for ln in (d / "audio" / "audio_test0.csv").read_text().splitlines()[:-1])), "has 5 rows"),
    (lambda d: (d / "video" / "video_train0.csv").write_text('"1","2"\n' * 12), "has 2 columns; expected 100 features"),
    (lambda d: (d / "transcripts.csv").write_text('"x_1","TEXT","1","maybe"\n'), "expected utterance id, transcript"),
])
def test_broken_release_files_are_refused_naming_the_file(tmp_path: Path, edit, needle: str) -> None:
    root = tmp_path / "mosi"
    shutil.copytree(BCLSTM, root)
    edit(root)
    assert_clean_error(run_mer("data", "stats", "mosi", "--root", str(root)), str(root), needle)


def test_a_label_the_features_contradict_is_a_problem(reg, tmp_path: Path) -> None:
    root = tmp_path / "mosi"
    shutil.copytree(BCLSTM, root)
    rows = _rows(root / "audio" / "audio_train0.csv")
    rows[0][-1] = str(1 - int(float(rows[0][-1])))
    (root / "audio" / "audio_train0.csv").write_text("".join(",".join(r) + "\n" for r in rows))
    corpus = load(reg, root, strict=False)
    assert len(corpus.samples) == 17 and "['audio'] features say otherwise" in corpus.problems[0]


# -- MMSA's pickles ------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["aligned_50.pkl", "unaligned_50.pkl"])
def test_mmsa_pickles_keep_their_splits_and_the_sign_of_their_scores(reg, name: str) -> None:
    raw = load_pickle(MMSA / name)
    corpus = load(reg, MMSA / name)
    by_id = corpus.by_id()
    expected = {}
    for file_split, split in (("train", "train"), ("valid", "val"), ("test", "test")):
        for uid, score in zip(raw[file_split]["id"], raw[file_split]["regression_labels"]):
            if score != 0:
                expected[str(uid).replace("$_$", "_")] = (split, "positive" if score > 0 else "negative")
    assert {u: (s.meta["split"], corpus.label_names[s.label]) for u, s in by_id.items()} == expected
    assert corpus.info["note"].startswith("1 utterance(s) with sentiment score 0")
    assert Counter(s.meta["split"] for s in corpus.samples) == {"train": 6, "val": 2, "test": 3}


def test_mmsa_sequences_keep_the_steps_the_file_marks_valid(reg) -> None:
    raw = load_pickle(MMSA / "unaligned_50.pkl")["train"]
    corpus = load(reg, MMSA / "unaligned_50.pkl")
    for i, uid in enumerate(raw["id"]):
        s = corpus.by_id()[str(uid).replace("$_$", "_")]
        assert s.modalities["text"].shape == (int(raw["text_bert"][i, 1].sum()), 16)
        assert s.modalities["audio"].shape == (raw["audio_lengths"][i], 5)
        assert s.modalities["video"].shape == (raw["vision_lengths"][i], 20)
        assert torch.isfinite(s.modalities["audio"]).all()  # MMSA's -inf audio values read as 0, as its loader does
    first = corpus.by_id()[str(raw["id"][0]).replace("$_$", "_")]
    assert float(first.modalities["audio"][0, 0]) == 0.0 and np.isneginf(raw["audio"][0, 0, 0])


def test_mmsa_pickle_without_its_fields_is_refused(tmp_path: Path) -> None:
    raw = load_pickle(MMSA / "aligned_50.pkl")
    del raw["valid"]["regression_labels"]
    bad = tmp_path / "aligned_50.pkl"
    bad.write_bytes(pickle.dumps(raw))
    assert_clean_error(run_mer("data", "stats", "mosi", "--root", str(bad)), str(bad),
                       "'valid' lacks ['regression_labels']")
    bad.write_bytes(pickle.dumps({"train": raw["train"], "dev": raw["test"]}))
    assert_clean_error(run_mer("data", "stats", "mosi", "--root", str(bad)), "expected MMSA's dict with ['train', "
                       "'valid', 'test'], found ['dev', 'train']")


# -- MERBench's folder -----------------------------------------------------------------------------------
def test_merbench_mosi_scores_become_binary_labels(reg) -> None:
    corpus = load(reg, MERBENCH)
    with np.load(MERBENCH / "label.npz", allow_pickle=True) as z:
        tables = {k: z[k].item() for k in z.files}
    expected = {u: ({"train_corpus": "train", "val_corpus": "val", "test_corpus": "test"}[k], int(e["val"] > 0))
                for k, t in tables.items() for u, e in t.items() if e["val"] != 0}
    assert {s.id: (s.meta["split"], s.label) for s in corpus.samples} == expected
    assert all(isinstance(s.modalities["text"], str) and s.modalities["text"] for s in corpus.samples)
    with pytest.raises(DataError, match="has transcripts only"):
        load(reg, MERBENCH, text="features")


def test_a_merbench_folder_of_another_corpus_is_refused(tmp_path: Path) -> None:
    proc = run_mer("data", "stats", "mosi", "--root", str(FIX / "merbench" / "meld"))
    assert_clean_error(proc, "label.npz", "are not MERBench's MOSI ids (<video>_<clip>")
    assert_clean_error(run_mer("data", "stats", "mosi", "--root", str(tmp_path)), str(tmp_path),
                       "holds no MOSI data it can read; accepted: the bc-LSTM release folder")


# -- the real bc-LSTM release -----------------------------------------------------------------------------
def test_real_release_counts(shared_data: Path) -> None:
    stats = json.loads(run_mer("data", "stats", "mosi", "--root", str(shared_data / "mosi"), "--json").stdout)
    assert (stats["utterances"], stats["dialogues"], stats["speakers"]) == (2199, 93, 93)
    assert stats["label_counts"] == {"negative": 1023, "positive": 1176} and stats["problems"] == []
    (fold,) = stats["folds"]
    assert (fold["train"]["utterances"] + fold["val"]["utterances"], fold["test"]["utterances"]) == (1447, 752)
    assert (fold["train"]["dialogues"] + fold["val"]["dialogues"], fold["test"]["dialogues"]) == (62, 31)


def test_real_release_rows_match_the_shared_manifest(reg, shared_data: Path) -> None:
    """``manifest.csv`` (written beside the data) lists each utterance's feature row and transcripts row."""
    root = shared_data / "mosi"
    corpus = load(reg, root)
    with open(root / "manifest.csv", newline="") as f:
        manifest = {r["utt_id"]: r for r in csv.DictReader(f)}
    features = {(m, split): np.asarray(_rows(root / m / f"{m}_{split}0.csv"), dtype=np.float32)
                for m in ("text", "audio", "video") for split in ("train", "test")}
    assert set(manifest) == {s.id for s in corpus.samples}
    for s in corpus.samples:
        row = manifest[s.id]
        assert (s.meta["split"], s.label, s.meta["transcript"]) == (row["split"], int(row["label"]), row["transcript"])
        for m in ("text", "audio", "video"):
            assert np.array_equal(s.modalities[m].numpy(), features[m, row["split"]][int(row["feature_row"]), :-1])
