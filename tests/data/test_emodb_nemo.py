"""EmoDB and nEMO from their release layouts (fixtures and the real files in ../shared/data), their
speaker-independent default protocol, and the emotions they share by name with RAVDESS for cross-corpus runs."""

from __future__ import annotations

import csv
import json
import shutil
from collections import Counter
from pathlib import Path

import pytest

from mer_toolkit.data.cross_corpus import shared_labels
from mer_toolkit.data.datasets.emodb import LETTERS
from mer_toolkit.errors import DataError
from mer_toolkit.testing import assert_clean_error, fresh_registry, run_mer

FIX = Path(__file__).resolve().parents[2] / "tests" / "fixtures"
# The release's own emotion words (EmoDB documentation: German initials; nEMO data.tsv) → RAVDESS's names.
EMODB_WORDS = {"anger": "angry", "boredom": "boredom", "disgust": "disgust", "fear": "fearful", "happiness": "happy",
               "neutral": "neutral", "sadness": "sad"}
NEMO_WORDS = {"anger": "angry", "fear": "fearful", "happiness": "happy", "neutral": "neutral", "sadness": "sad",
              "surprised": "surprised"}


@pytest.fixture(scope="module")
def reg():
    return fresh_registry()


def load(reg, name: str, root: Path, **options):
    return reg.dataset.get(name)(root=str(root), **options)


def rows_by_stem(path: Path, column: str, delimiter: str = ",") -> dict[str, dict[str, str]]:
    """The rows of a label table keyed by the file-name stem in ``column`` (the utterance id)."""
    with open(path, newline="", encoding="utf-8") as f:
        return {Path(r[column]).stem: r for r in csv.DictReader(f, delimiter=delimiter)}


# -- EmoDB ------------------------------------------------------------------------------------------------
def test_emodb_reads_everything_from_the_file_names(reg) -> None:
    corpus = load(reg, "emodb", FIX / "emodb_raw")
    letters = {"W": "angry", "L": "boredom", "E": "disgust", "A": "fearful", "F": "happy", "T": "sad", "N": "neutral"}
    for s in corpus.samples:
        assert corpus.label_names[s.label] == letters[s.id[5]]
        assert s.speaker == f"speaker{s.id[:2]}" and s.meta["text_code"] == s.id[2:5] and s.meta["version"] == s.id[6]
        assert s.modalities["audio"] == str(FIX / "emodb_raw" / "wav" / f"{s.id}.wav")
    assert len(corpus.samples) == 15 and corpus.problems == [] and corpus.default_protocol == "speaker_kfold"


def test_default_protocols_keep_speakers_apart(reg) -> None:
    for name, root in (("emodb", FIX / "emodb_raw"), ("nemo", FIX / "nemo_raw")):
        corpus = load(reg, name, root)
        folds = reg.protocol.get(corpus.default_protocol)().folds(corpus)
        assert sorted(s.id for f in folds for s in f.test) == sorted(s.id for s in corpus.samples)
        for f in folds:
            train, val, test = ({s.speaker for s in part} for part in (f.train, f.val, f.test))
            assert val and not train & val and not (train | val) & test


def test_bad_emodb_names_are_problems_and_an_empty_folder_is_refused(reg, tmp_path: Path) -> None:
    root = tmp_path / "emodb"
    shutil.copytree(FIX / "emodb_raw", root)
    (root / "wav" / "03a01Xa.wav").write_bytes((root / "wav" / "03a01Wa.wav").read_bytes())
    (root / "wav" / "07a01Wa.wav").write_bytes((root / "wav" / "03a01Wa.wav").read_bytes())
    problems = load(reg, "emodb", root, strict=False).problems
    assert "emotion 'X' (expected one of ['A', 'E', 'F', 'L', 'N', 'T', 'W'])" in problems[0]
    assert "speaker '07'" in problems[1]
    assert_clean_error(run_mer("data", "stats", "emodb", "--root", str(tmp_path)), str(tmp_path),
                       "has no wav/*.wav files; expected a folder with wav/SSTTTEV.wav")


def test_real_emodb_matches_its_label_file(reg, shared_data: Path) -> None:
    root = shared_data / "emodb"
    corpus = load(reg, "emodb", root)
    truth = rows_by_stem(root / "labels.csv", "file")
    assert {s.id for s in corpus.samples} == set(truth) and corpus.problems == []
    for s in corpus.samples:
        r = truth[s.id]
        assert corpus.label_names[s.label] == EMODB_WORDS[r["emotion"]], s.id
        assert (s.meta["gender"], s.meta["age"], s.modalities["text"]) == (r["gender"], int(r["age"]), r["transcript_de"])
    assert corpus.label_counts() == {"neutral": 28, "happy": 19, "sad": 4, "angry": 28, "fearful": 29, "disgust": 3,
                                     "boredom": 15}
    assert set(LETTERS) == {r["emotion_code"] for r in truth.values()}


def test_real_emodb_stats_by_folder(shared_data: Path) -> None:
    stats = json.loads(run_mer("data", "stats", str(shared_data / "emodb"), "--json").stdout)
    assert (stats["dataset"], stats["utterances"], stats["speakers"], stats["protocol"]) == \
        ("emodb", 126, 10, "speaker_kfold")
    assert len(stats["folds"]) == 5 and stats["problems"] == []


# -- nEMO -------------------------------------------------------------------------------------------------
def test_nemo_reads_its_table(reg) -> None:
    corpus = load(reg, "nemo", FIX / "nemo_raw")
    rows = rows_by_stem(FIX / "nemo_raw" / "data.tsv", "file_id", delimiter="\t")
    assert {s.id for s in corpus.samples} == set(rows) and corpus.problems == [] and "note" not in corpus.info
    for s in corpus.samples:
        r = rows[s.id]
        assert corpus.label_names[s.label] == NEMO_WORDS[r["emotion"]]
        assert s.speaker == r["speaker_id"].strip() and s.modalities["text"] == r["raw_text"]
        assert s.modalities["audio"] == str(FIX / "nemo_raw" / "samples" / r["file_id"])


def test_nemo_partial_copy_labels_only_copy_and_broken_table(reg, tmp_path: Path) -> None:
    root = tmp_path / "nemo"
    shutil.copytree(FIX / "nemo_raw", root)
    (root / "samples" / "EB0_fear_1.wav").unlink()
    (root / "samples" / "extra_anger_9.wav").write_bytes((root / "samples" / "WR0_anger_1.wav").read_bytes())
    corpus = load(reg, "nemo", root, strict=False)
    assert len(corpus.samples) == 11 and corpus.info["note"].startswith("1 file(s) listed in data.tsv are not in samples/")
    assert corpus.problems == [f"{root / 'samples' / 'extra_anger_9.wav'}: not listed in data.tsv"]
    shutil.rmtree(root / "samples")
    labels_only = load(reg, "nemo", root)
    assert len(labels_only.samples) == 12 and labels_only.modalities == ["text"]
    assert labels_only.info["note"].startswith("labels only")
    table = (root / "data.tsv").read_text(encoding="utf-8").replace("\tfear\t", "\tjoy\t", 1)
    (root / "data.tsv").write_text(table, encoding="utf-8")
    assert "unknown emotion 'joy'" in load(reg, "nemo", root, strict=False).problems[0]
    (root / "data.tsv").write_text("file\tlabel\n", encoding="utf-8")
    assert_clean_error(run_mer("data", "stats", "nemo", "--root", str(root)), str(root / "data.tsv"),
                       "missing column(s) ['file_id', 'emotion', 'raw_text', 'speaker_id']")


def test_real_nemo_copy_as_shipped(reg, shared_data: Path) -> None:
    root = shared_data / "nemo"
    corpus = load(reg, "nemo", root)
    truth = rows_by_stem(root / "labels.csv", "path")
    assert {s.id for s in corpus.samples} == set(truth) and corpus.problems == []
    for s in corpus.samples:
        assert (corpus.label_names[s.label], s.speaker) == (NEMO_WORDS[truth[s.id]["emotion"]], truth[s.id]["speaker_id"])
    assert "3969 file(s) listed in data_full.tsv are not in wav/" in corpus.info["note"]
    assert len({s.speaker for s in corpus.samples}) == 9
    stats = json.loads(run_mer("data", "stats", str(root), "--json").stdout)
    assert (stats["dataset"], stats["utterances"], stats["problems"]) == ("nemo", 512, [])


# -- cross-corpus: shared emotions by name -------------------------------------------------------------------
def test_speech_corpora_share_emotions_with_ravdess_by_name(reg, shared_data: Path) -> None:
    ravdess = load(reg, "ravdess", shared_data / "ravdess")
    emodb = load(reg, "emodb", shared_data / "emodb")
    nemo = load(reg, "nemo", shared_data / "nemo")
    six = ["neutral", "happy", "sad", "angry", "fearful", "disgust"]
    assert shared_labels(ravdess, emodb, {}) == six
    assert shared_labels(ravdess, nemo, {}) == ["neutral", "happy", "sad", "angry", "fearful", "surprised"]
    assert shared_labels(emodb, nemo, {}) == six[:5] and shared_labels(nemo, emodb, {}) == six[:5]
    assert Counter(emodb.label_names[s.label] for s in emodb.samples)["boredom"] == 15  # EmoDB's own, not shared


def test_unknown_layout_still_refused_with_the_new_layouts_listed(tmp_path: Path) -> None:
    proc = run_mer("data", "stats", str(tmp_path))
    assert_clean_error(proc, "not in a known release layout", "emodb wav/", "nemo data*.tsv", "mosi text_train.csv",
                       "emobox data.seg.wrd.stm")
    with pytest.raises(DataError, match="nEMO root .* has no data.tsv or data_full.tsv"):
        fresh_registry().dataset.get("nemo")(root=str(tmp_path))
