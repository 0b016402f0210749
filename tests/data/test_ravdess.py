"""The RAVDESS reader: the real 1440-file folder in ../shared/data, and small layouts with broken names."""

from __future__ import annotations

import csv
import json
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from mer_toolkit.data.datasets.ravdess import RAVDESS_LABELS, STATEMENTS, parse_name
from mer_toolkit.errors import DataError
from mer_toolkit.testing import fresh_registry, run_mer

EXPECTED = {"neutral": 96, **{e: 192 for e in RAVDESS_LABELS[1:]}}


@pytest.fixture(scope="module")
def reg():
    return fresh_registry()


@pytest.fixture
def real_root(shared_data: Path) -> Path:
    root = shared_data / "ravdess"
    if not root.is_dir():
        pytest.skip(f"RAVDESS speech not available: {root} is absent")
    return root


def test_real_folder_matches_its_label_file(reg, real_root: Path) -> None:
    corpus = reg.dataset.get("ravdess")(root=str(real_root))
    assert len(corpus.samples) == 1440 and corpus.label_counts() == EXPECTED and corpus.problems == []
    assert corpus.default_protocol == "ravdess_si" and corpus.modalities == ["text", "audio"]
    assert Counter(s.meta["gender"] for s in corpus.samples) == {"male": 720, "female": 720}
    with open(real_root / "labels.csv", newline="") as f:
        truth = {Path(r["path"]).stem: r for r in csv.DictReader(f)}
    assert set(truth) == {s.id for s in corpus.samples}
    for s in corpus.samples:
        r = truth[s.id]
        assert (RAVDESS_LABELS[s.label], s.meta["actor"], s.meta["gender"], s.meta["intensity"]) == \
            (r["emotion"], int(r["actor"]), r["gender"], r["intensity"])
        assert s.modalities["text"] == r["transcript"] and s.speaker == f"actor{int(r['actor']):02d}"
        assert Path(s.modalities["audio"]) == real_root / r["path"]


def test_data_stats_on_the_real_folder(real_root: Path) -> None:
    proc = run_mer("data", "stats", str(real_root), "--json")
    assert proc.returncode == 0, proc.stderr
    stats = json.loads(proc.stdout)
    assert (stats["dataset"], stats["utterances"], stats["speakers"], stats["protocol"]) == \
        ("ravdess", 1440, 24, "ravdess_si")
    assert stats["label_counts"] == EXPECTED and stats["problems"] == []
    (fold,) = stats["folds"]
    assert [fold[s]["utterances"] for s in ("train", "val", "test")] == [18 * 60, 2 * 60, 4 * 60]


def test_ravdess_protocols_are_speaker_independent(reg, real_root: Path) -> None:
    corpus = reg.dataset.get("ravdess")(root=str(real_root))
    actors = lambda ss: {s.meta["actor"] for s in ss}  # noqa: E731
    (si,) = reg.protocol.get("ravdess_si")().folds(corpus)
    assert actors(si.train) == set(range(1, 19)) and actors(si.val) == {19, 20} and actors(si.test) == {21, 22, 23, 24}
    six = reg.protocol.get("ravdess_6fold")().folds(corpus)
    assert [sorted(actors(f.test)) for f in six] == [list(range(a, a + 4)) for a in range(1, 25, 4)]
    for f in six:
        assert len(f.train) + len(f.val) + len(f.test) == 1440 and len(actors(f.val)) == 2
        assert actors(f.test).isdisjoint(actors(f.train) | actors(f.val)) and actors(f.train).isdisjoint(actors(f.val))
    again = reg.protocol.get("ravdess_6fold")().folds(corpus)
    assert [actors(f.val) for f in again] == [actors(f.val) for f in six]


def write_layout(root: Path, names: list[str]) -> Path:
    for name in names:
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        sf.write(path, np.zeros(800, dtype=np.float32), 16000)
    return root


GOOD = ["Actor_01/03-01-05-02-01-01-01.wav", "Actor_02/03-01-01-01-02-02-02.flac", "Actor_02/03-02-04-01-01-01-02.wav"]


def test_small_layout_reads_names_only(reg, tmp_path: Path) -> None:
    corpus = reg.dataset.get("ravdess")(root=str(write_layout(tmp_path, GOOD)))
    assert [(s.id, RAVDESS_LABELS[s.label], s.speaker, s.meta["gender"], s.meta["intensity"]) for s in corpus.samples] \
        == [("03-01-05-02-01-01-01", "angry", "actor01", "male", "strong"),
            ("03-01-01-01-02-02-02", "neutral", "actor02", "female", "normal")]  # the song file is left out
    assert corpus.samples[1].modalities["text"] == STATEMENTS[2]
    with_song = reg.dataset.get("ravdess")(root=str(tmp_path), speech_only=False)
    assert len(with_song.samples) == 3


def test_bad_names_are_all_reported(reg, tmp_path: Path) -> None:
    bad = ["Actor_01/03-01-09-01-01-01-01.wav", "Actor_01/notes.wav", "Actor_03/03-01-02-01-01-01-04.wav",
           "Actor_01/03-01-05-02-01-01-01.flac"]
    root = write_layout(tmp_path, GOOD + bad)
    with pytest.raises(DataError) as exc:
        reg.dataset.get("ravdess")(root=str(root))
    msg = str(exc.value)
    assert "4 problem(s)" in msg and "emotion=9 (expected 1..8)" in msg and "notes.wav: not a RAVDESS file name" in msg
    assert "says actor 4 but it is in folder Actor_03" in msg and "two formats of one file" in msg
    lenient = reg.dataset.get("ravdess")(root=str(root), strict=False)
    assert len(lenient.samples) == 2 and len(lenient.problems) == 4


def test_parse_name_and_missing_root(reg, tmp_path: Path) -> None:
    assert parse_name(Path("03-01-08-02-02-01-24.wav"))["emotion"] == 8
    with pytest.raises(ValueError, match="actor=25"):
        parse_name(Path("03-01-08-02-02-01-25.wav"))
    with pytest.raises(DataError, match="does not exist; accepted: a folder with Actor_01"):
        reg.dataset.get("ravdess")(root=str(tmp_path / "nowhere"))
    with pytest.raises(DataError, match="has no Actor_XX"):
        reg.dataset.get("ravdess")(root=str(tmp_path))
