"""EmoBox's metadata format: the fixture folders (its M3ED and EmoDB layouts), audio roots, broken folders, and
the real M3ED labels in ../shared/data/m3ed/emobox checked against our M3ED label map and series split."""

from __future__ import annotations

import json
import shutil
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from mer_toolkit.data.corpus import Corpus
from mer_toolkit.data.datasets.label_maps import M3ED_ANNOTATION
from mer_toolkit.data.datasets.m3ed import M3ED_LABELS
from mer_toolkit.data.sample import Sample
from mer_toolkit.errors import DataError
from mer_toolkit.testing import assert_clean_error, fresh_registry, run_mer

FIX = Path(__file__).resolve().parents[2] / "tests" / "fixtures" / "emobox"


@pytest.fixture(scope="module")
def reg():
    return fresh_registry()


def load(reg, root: Path, **options):
    return reg.dataset.get("emobox")(root=str(root), **options)


def folds(reg, corpus, **options):
    return reg.protocol.get("emobox")(**options).folds(corpus)


def _records(folder: Path, k: int, split: str) -> dict[str, dict]:
    jsonl = folder / f"fold_{k}" / f"{folder.name}_{split}_fold_{k}.jsonl"
    if jsonl.is_file():
        return {r["key"]: r for r in map(json.loads, jsonl.read_text().splitlines())}
    return json.loads((folder / f"fold_{k}" / f"{folder.name}_{split}_fold_{k}.json").read_text())


# -- fixtures in EmoBox's layout ---------------------------------------------------------------------------
def test_m3ed_folder_keeps_emobox_classes_speakers_and_its_valid_list(reg) -> None:
    corpus = load(reg, FIX / "m3ed")
    label_map = json.loads((FIX / "m3ed" / "label_map.json").read_text())
    assert corpus.name == "emobox-m3ed" and corpus.label_names == list(dict.fromkeys(label_map.values()))
    (fold,) = folds(reg, corpus)
    for split, name in (("train", "train"), ("valid", "val"), ("test", "test")):
        records = _records(FIX / "m3ed", 1, split)
        part = getattr(fold, name)
        assert [s.id for s in part] == list(records)
        assert [corpus.label_names[s.label] for s in part] == [label_map[r["emo"]] for r in records.values()]
    stm = {ln.split()[0]: ln for ln in (FIX / "m3ed" / "data.seg.wrd.stm").read_text(encoding="utf-8").splitlines()}
    assert all(f" {s.speaker} 0 " in stm[s.id] for s in corpus.samples)
    assert "seriesc_ 刘洋" in {s.speaker for s in corpus.samples}  # a name with a space, as the real stm has
    assert {s.meta["split"] for s in corpus.samples} == {"train", "valid", "test"} and corpus.problems == []


def test_emobox_data_folder_needs_the_corpus_named(reg) -> None:
    with pytest.raises(DataError, match=r"holds the corpora \['emodb', 'm3ed'\]: choose one with --option corpus"):
        load(reg, FIX)
    assert load(reg, FIX, corpus="emodb").name == "emobox-emodb"


def test_kfold_corpus_keeps_each_folds_lists_and_holds_out_training_speakers(reg) -> None:
    corpus = load(reg, FIX, corpus="emodb")
    assert len(corpus.samples) == 12 and corpus.problems == []  # the older emodb_*_fold1.jsonl twins are not read
    by_id = corpus.by_id()
    assert corpus.label_names[by_id["emodb-03a02Na"].label] == "Neutral"  # map key "Neutral", records "neutral"
    for k, fold in enumerate(folds(reg, corpus), 1):
        assert fold.name == f"fold{k}"
        assert {s.id for s in fold.test} == set(_records(FIX / "emodb", k, "test"))
        assert {s.id for s in fold.train + fold.val} == set(_records(FIX / "emodb", k, "train"))
        train, val = {s.speaker for s in fold.train}, {s.speaker for s in fold.val}
        assert val and train and not train & val


def test_validation_speakers_follow_the_seed(reg) -> None:
    corpus = load(reg, FIX, corpus="emodb")
    drawn = {seed: [sorted({s.speaker for s in f.val}) for f in folds(reg, corpus, seed=seed)] for seed in range(6)}
    assert len({str(v) for v in drawn.values()}) > 1


def test_audio_root_as_the_emobox_folder_or_the_corpus_download_folder(reg, tmp_path: Path) -> None:
    wav_dir = tmp_path / "downloads" / "emodb" / "wav"
    wav_dir.mkdir(parents=True)
    for name in ("03a01Wa", "08a02Na"):
        sf.write(str(wav_dir / f"{name}.wav"), np.full(1600, 0.1, dtype=np.float32), 16000)
    for audio_root in (tmp_path, tmp_path / "downloads" / "emodb"):
        corpus = load(reg, FIX, corpus="emodb", audio_root=str(audio_root))
        with_audio = {s.id: s.modalities["audio"] for s in corpus.samples if "audio" in s.modalities}
        assert with_audio == {f"emodb-{n}": str(wav_dir / f"{n}.wav") for n in ("03a01Wa", "08a02Na")}
        assert "note" not in corpus.info
    stats = json.loads(run_mer("data", "stats", "emobox", "--root", str(FIX), "--option", "corpus=emodb",
                               "--option", f"audio_root={tmp_path}", "--json").stdout)
    assert len(stats["absent"]["audio"]) == 10
    labels_only = json.loads(run_mer("data", "stats", str(FIX / "m3ed"), "--json").stdout)
    assert labels_only["modalities"] == [] and labels_only["note"].startswith("labels only: no audio")


def _copy(tmp_path: Path) -> Path:
    shutil.copytree(FIX / "emodb", tmp_path / "emodb")
    return tmp_path / "emodb"


def test_segments_and_disagreeing_files_are_problems(reg, tmp_path: Path) -> None:
    folder = _copy(tmp_path)
    path = folder / "fold_1" / "emodb_test_fold_1.jsonl"
    rows = [json.loads(x) for x in path.read_text().splitlines()]
    rows[0].update(start_time=1.0, end_time=2.5)
    rows[1]["emo"] = "sad"
    rows[2]["emo"] = "joy"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    corpus = load(reg, folder, strict=False, audio_root=str(tmp_path))
    text = " | ".join(corpus.problems)
    assert f"{rows[0]['key']} is a segment (1.0-2.5 s)" in text
    assert f"{rows[1]['key']} is 'sad' in the fold file but 'neutral' in data.seg.wrd.stm" in text
    assert f"{rows[2]['key']} has emotion 'joy', which label_map.json does not map" in text
    assert f"{rows[1]['key']} is 'neutral' here but 'sad' in another fold" in text
    with pytest.raises(DataError, match="problem"):
        load(reg, folder, audio_root=str(tmp_path))


@pytest.mark.parametrize("edit,needles", [
    (lambda d: (d / "label_map.json").unlink(), ("label_map.json' is missing",)),
    (lambda d: (d / "fold_2" / "emodb_test_fold_2.jsonl").unlink(), ("fold_2' has no ['test'] file",)),
    (lambda d: (d / "fold_1" / "emodb_train_fold_1.jsonl").write_text('{"key": "emodb-x", "wav": "a.wav"}\n'),
     ("record 1 of", "EmoBox records hold key, wav, emo")),
    (lambda d: [shutil.rmtree(p) for p in d.glob("fold_*")], ("has no fold_<k> folders", "accepted: an EmoBox corpus")),
])
def test_broken_folders_are_refused_naming_the_file(tmp_path: Path, edit, needles: tuple[str, ...]) -> None:
    folder = _copy(tmp_path)
    edit(folder)
    assert_clean_error(run_mer("data", "stats", "emobox", "--root", str(folder)), str(folder), *needles)


def test_emobox_protocol_needs_emobox_folds(reg) -> None:
    corpus = Corpus("mine", ["a", "b"], [Sample("u1", 0, {"text": "x"}, speaker="s1")])
    with pytest.raises(DataError, match="has no EmoBox folds; this protocol needs a corpus read from EmoBox's"):
        folds(reg, corpus)


# -- the real M3ED labels: the check of our M3ED label map -------------------------------------------------
# M3ED's series split (shared/data/m3ed/splitInfo) and the EmoBox fold's utterance counts (its PROVENANCE.md).
M3ED_EMOBOX_COUNTS = {"train": 17420, "valid": 2819, "test": 4198}
M3ED_EMOTION_COUNTS = {"Neutral": 10021, "Anger": 5231, "Sad": 3957, "Happy": 2286, "Disgust": 1497, "Surprise": 1050,
                       "Fear": 395}


def test_real_m3ed_labels_check_our_label_map_and_series_split(reg, shared_data: Path) -> None:
    corpus = load(reg, shared_data / "m3ed" / "emobox")
    assert corpus.problems == []
    assert Counter(s.meta["split"] for s in corpus.samples) == M3ED_EMOBOX_COUNTS
    words = Counter(s.meta["emotion"] for s in corpus.samples)
    assert words == M3ED_EMOTION_COUNTS
    # the words are exactly the annotation words our m3ed reader maps, each to one of its classes
    assert set(words) == set(M3ED_ANNOTATION) and sorted(M3ED_ANNOTATION.values()) == sorted(M3ED_LABELS)
    # EmoBox renames Anger only; every other class name is the annotation word
    assert {w: corpus.label_names[next(s.label for s in corpus.samples if s.meta["emotion"] == w)]
            for w in words} == {w: ("Angry" if w == "Anger" else w) for w in words}
    split_info = {split: set((shared_data / "m3ed" / "splitInfo" / f"movie_list_{name}.txt").read_text().split())
                  for split, name in (("train", "train"), ("valid", "val"), ("test", "test"))}
    series = {split: Counter() for split in split_info}
    dialogues = {split: set() for split in split_info}
    for s in corpus.samples:
        series_name, dia, _ = s.id.removeprefix("m3ed-").rsplit("_", 2)
        series[s.meta["split"]][series_name] += 1
        dialogues[s.meta["split"]].add(f"{series_name}_{dia}")
        assert s.speaker.startswith(f"{series_name}_")
    assert {split: set(c) for split, c in series.items()} == split_info
    assert {split: len(d) for split, d in dialogues.items()} == {"train": 685, "valid": 126, "test": 179}


def test_real_m3ed_stats_per_split(shared_data: Path) -> None:
    proc = run_mer("data", "stats", str(shared_data / "m3ed" / "emobox"), "--json")
    stats = json.loads(proc.stdout)
    (fold,) = stats["folds"]
    assert {s: fold[s]["utterances"] for s in ("train", "val", "test")} == {"train": 17420, "val": 2819, "test": 4198}
    assert {s: fold[s]["speakers"] for s in ("train", "val", "test")} == {"train": 431, "val": 86, "test": 118}
    assert fold["test"]["label_counts"] == {"Neutral": 1853, "Surprise": 234, "Disgust": 218, "Angry": 736, "Sad": 734,
                                            "Happy": 358, "Fear": 65}
    assert stats["speakers"] == 635 and stats["modalities"] == [] and stats["problems"] == []
