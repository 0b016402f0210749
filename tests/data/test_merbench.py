"""MERBench's MELD layout (label.npz with train/val/test_corpus + transcription.csv), built from the real CSV
release the way MERTools' preprocessing writes it and compared with the CSV reader utterance by utterance."""

from __future__ import annotations

import csv
import json
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from mer_toolkit.data.datasets._common import merbench_splits, npz_table
from mer_toolkit.errors import DataError
from mer_toolkit.testing import assert_clean_error, fresh_registry, run_mer

FIX = Path(__file__).resolve().parents[2] / "tests" / "fixtures"
# MERTools, MERBench/toolkit/preprocess/meld.py: emos = ['anger', 'joy', 'sadness', 'neutral', 'disgust', 'fear',
# 'surprise']; index = position. Written here as MERTools states it, independently of the reader's map.
MERTOOLS_MELD = ["anger", "joy", "sadness", "neutral", "disgust", "fear", "surprise"]


@pytest.fixture(scope="module")
def reg():
    return fresh_registry()


def write_merbench_meld(csv_folder: Path, out: Path) -> None:
    """``normalize_dataset_format`` of MERTools' preprocess/meld.py: ``{split}_dia{D}_utt{U}`` → {'emo', 'val': -10}
    per split array, and transcription.csv (name, english)."""
    corpora, names = {}, []
    for split, csv_name in (("train", "train_sent_emo.csv"), ("val", "dev_sent_emo.csv"), ("test", "test_sent_emo.csv")):
        with open(csv_folder / csv_name, encoding="utf-8", newline="") as f:
            rows = list(csv.DictReader(f))
        corpora[f"{split}_corpus"] = {f"{split}_dia{r['Dialogue_ID']}_utt{r['Utterance_ID']}":
                                      {"emo": MERTOOLS_MELD.index(r["Emotion"]), "val": -10} for r in rows}
        names += [[f"{split}_dia{r['Dialogue_ID']}_utt{r['Utterance_ID']}", r["Utterance"]] for r in rows]
    out.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(out / "label.npz", **corpora)
    with open(out / "transcription.csv", "w", encoding="utf-8", newline="") as f:
        csv.writer(f).writerows([["name", "english"], *names])


def _same_as_csv_reader(reg, merbench: Path, csv_folder: Path) -> tuple[dict, dict]:
    ours = reg.dataset.get("meld")(root=str(merbench))
    release = reg.dataset.get("meld")(root=str(csv_folder), audio=False)
    got = {s.id: (s.meta["split"], ours.label_names[s.label], s.dialogue_id, s.position) for s in ours.samples}
    want = {s.id: (s.meta["split"], release.label_names[s.label], s.dialogue_id, s.position) for s in release.samples}
    return got, want


def test_real_merbench_meld_has_the_csv_splits_and_labels_utterance_by_utterance(reg, shared_data: Path,
                                                                                 tmp_path: Path) -> None:
    write_merbench_meld(shared_data / "meld", tmp_path / "meld-process")
    got, want = _same_as_csv_reader(reg, tmp_path / "meld-process", shared_data / "meld")
    assert Counter(v[0] for v in got.values()) == {"train": 9989, "val": 1109, "test": 2610}
    assert got.keys() == want.keys()
    wrong = [u for u in want if got[u] != want[u]]
    assert wrong == [], f"{len(wrong)} utterances differ, e.g. {wrong[:3]}: {[(got[u], want[u]) for u in wrong[:3]]}"


def test_fixture_merbench_meld_matches_its_csvs(reg) -> None:
    got, want = _same_as_csv_reader(reg, FIX / "merbench" / "meld", FIX / "meld_raw")
    assert got == want
    corpus = reg.dataset.get("meld")(root=str(FIX / "merbench" / "meld"))
    assert {s.speaker for s in corpus.samples} == {""} and "no speakers" in corpus.info["note"]
    assert all(s.modalities["text"] == s.meta["transcript"] != "" for s in corpus.samples)


def test_an_utterance_filed_under_another_split_is_a_problem(reg, tmp_path: Path) -> None:
    with np.load(FIX / "merbench" / "meld" / "label.npz", allow_pickle=True) as z:
        corpora = {k: z[k].item() for k in z.files}
    moved = next(iter(corpora["val_corpus"]))
    corpora["test_corpus"][moved] = corpora["val_corpus"].pop(moved)
    (tmp_path / "transcription.csv").write_bytes((FIX / "merbench" / "meld" / "transcription.csv").read_bytes())
    np.savez_compressed(tmp_path / "label.npz", **corpora)
    corpus = reg.dataset.get("meld")(root=str(tmp_path), strict=False)
    assert f"'{moved}' is in the test array but its id names val" in corpus.problems[0]


def test_wrong_merbench_files_are_refused(tmp_path: Path) -> None:
    np.savez_compressed(tmp_path / "label.npz", whole_corpus=np.array({"Ses01F_impro01_F000": {"emo": 0}}))
    assert_clean_error(run_mer("data", "stats", "meld", "--root", str(tmp_path)), str(tmp_path / "label.npz"),
                       "holds the arrays ['whole_corpus']", "train_corpus', 'val_corpus', 'test_corpus']")
    assert_clean_error(run_mer("data", "stats", "meld", "--root", str(FIX / "merbench" / "mosi")), "label.npz",
                       "are not MERBench's MELD ids ({split}_dia{D}_utt{U}")
    (tmp_path / "label.npz").write_text("not an archive")
    assert_clean_error(run_mer("data", "stats", "meld", "--root", str(tmp_path)), "is not a MERBench label file")


def test_npz_tables_go_through_the_restricted_unpickler(tmp_path: Path) -> None:
    # any class but plain containers is refused: loading it could run code
    np.savez(tmp_path / "label.npz", train_corpus=np.array({"a": Counter(emo=1)}), val_corpus=np.array({}),
             test_corpus=np.array({}))
    with pytest.raises(DataError, match="was refused: forbidden global collections.Counter"):
        merbench_splits(tmp_path / "label.npz")
    assert npz_table(FIX / "merbench" / "meld" / "label.npz", "val_corpus")["val_dia0_utt0"]["val"] == -10


def test_merbench_meld_stats(tmp_path: Path) -> None:
    stats = json.loads(run_mer("data", "stats", "meld", "--root", str(FIX / "merbench" / "meld"), "--json").stdout)
    (fold,) = stats["folds"]
    assert [fold[s]["utterances"] for s in ("train", "val", "test")] == [6, 6, 6] and stats["problems"] == []
