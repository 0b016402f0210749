"""Manifest datasets, the RAVDESS reader and the generic speaker/random protocols."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from mer_toolkit.testing import assert_clean_error, run_mer
from mer_toolkit.data.datasets.ravdess import RAVDESS_LABELS
from mer_toolkit.errors import DataError
from mer_toolkit.testing import fresh_registry

EXPECTED = {"neutral": 96, **{e: 192 for e in RAVDESS_LABELS[1:]}}


@pytest.fixture(scope="module")
def reg():
    return fresh_registry()


def write_manifest(path: Path, rows: list[dict]) -> Path:
    with open(path, "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    return path


def test_ravdess_folder_and_a_manifest_of_it_agree(reg, shared_data: Path, tmp_path: Path) -> None:
    root = shared_data / "ravdess"
    stats = json.loads(run_mer("data", "stats", str(root), "--json").stdout)
    assert stats["utterances"] == 1440 and stats["label_counts"] == EXPECTED and stats["speakers"] == 24
    with open(root / "labels.csv", newline="") as f:
        truth = list(csv.DictReader(f))
    rows = [{"path": str(root / r["path"]), "text": r["transcript"], "emotion": r["emotion"],
             "speaker": f"actor{int(r['actor']):02d}"} for r in truth]
    manifest = write_manifest(tmp_path / "ravdess.csv", rows)
    corpus = reg.dataset.get("manifest")(path=str(manifest), labels=RAVDESS_LABELS, check_audio=False)
    assert len(corpus.samples) == 1440 and corpus.label_counts() == EXPECTED
    ravdess = reg.dataset.get("ravdess")(root=str(root))
    by_file = {Path(s.modalities["audio"]).name: s for s in ravdess.samples}
    for r in truth[:200]:
        s = by_file[Path(r["path"]).name]
        assert RAVDESS_LABELS[s.label] == r["emotion"] and s.modalities["text"] == r["transcript"]
        assert s.meta["gender"] == r["gender"] and s.meta["actor"] == int(r["actor"])


def test_ravdess_protocols_are_speaker_independent(reg, shared_data: Path) -> None:
    corpus = reg.dataset.get("ravdess")(root=str(shared_data / "ravdess"))
    si = reg.protocol.get("ravdess_si")().folds(corpus)[0]
    actors = lambda ss: {s.meta["actor"] for s in ss}  # noqa: E731
    assert actors(si.train) == set(range(1, 19)) and actors(si.val) == {19, 20} and actors(si.test) == {21, 22, 23, 24}
    six = reg.protocol.get("ravdess_6fold")().folds(corpus)
    assert len(six) == 6 and sorted(a for f in six for a in actors(f.test)) == list(range(1, 25))
    for f in six:
        assert actors(f.test).isdisjoint(actors(f.train) | actors(f.val)) and actors(f.train).isdisjoint(actors(f.val))


def make_rows(tmp_path: Path, n: int = 30) -> list[dict]:
    import numpy as np
    import soundfile as sf

    rows = []
    for k in range(n):
        sf.write(tmp_path / f"a{k}.wav", np.sin(np.arange(4000) * (0.05 + 0.01 * (k % 3))).astype(np.float32), 16000)
        rows.append({"audio": f"a{k}.wav", "transcript": f"sentence {k}", "emotion": ["joy", "anger", "calm"][k % 3],
                     "speaker": f"spk{k % 6}"})
    return rows


def test_manifest_protocols_are_deterministic_and_disjoint(reg, tmp_path: Path) -> None:
    manifest = write_manifest(tmp_path / "m.csv", make_rows(tmp_path))
    corpus = reg.dataset.get("manifest")(path=str(manifest))
    assert corpus.label_names == ["anger", "calm", "joy"] and corpus.default_protocol == "random"
    a = reg.protocol.get("random")(seed=3).folds(corpus)[0]
    b = reg.protocol.get("random")(seed=3).folds(corpus)[0]
    assert [s.id for s in a.test] == [s.id for s in b.test]
    assert {s.label for s in a.test} == {0, 1, 2}
    kf = reg.protocol.get("speaker_kfold")(k=3).folds(corpus)
    for f in kf:
        spk = lambda ss: {s.speaker for s in ss}  # noqa: E731
        assert spk(f.test).isdisjoint(spk(f.train) | spk(f.val))
    bs = reg.protocol.get("by_speaker")(test_speakers=["spk0"], val_speakers=["spk1"]).folds(corpus)[0]
    assert {s.speaker for s in bs.test} == {"spk0"} and {s.speaker for s in bs.val} == {"spk1"}


def test_manifest_with_broken_rows_lists_them_all(reg, tmp_path: Path) -> None:
    rows = make_rows(tmp_path, 9)
    rows[1]["audio"] = "missing.wav"
    (tmp_path / "junk.wav").write_text("not audio")
    rows[2]["audio"] = "junk.wav"
    rows[3]["emotion"] = ""
    rows.append(dict(rows[0], emotion="calm"))
    rows[-1]["id"] = "dup"
    for r in rows:
        r.setdefault("id", "")
    rows[5]["id"] = "dup"
    manifest = write_manifest(tmp_path / "broken.csv", rows)
    with pytest.raises(DataError) as exc:
        reg.dataset.get("manifest")(path=str(manifest), labels=["anger", "calm"])
    msg = str(exc.value)
    proc = run_mer("data", "stats", str(manifest), "--json", "--option", "labels=[anger, calm]")
    problems = json.loads(proc.stdout)["problems"]
    assert proc.returncode == 1
    assert any("broken.csv:3: audio file does not exist" in p for p in problems)
    assert any("broken.csv:4: unreadable audio" in p for p in problems)
    assert any("broken.csv:5: empty label" in p for p in problems)
    assert any("duplicated id 'dup'" in p for p in problems)
    assert sum("is not in the label set" in p for p in problems) == 2  # rows with 'joy' outside the given labels
    assert "problem(s)" in msg


def test_manifest_missing_columns_and_jsonl(tmp_path: Path, reg) -> None:
    (tmp_path / "bad.csv").write_text("file,words\nx.wav,hello\n")
    assert_clean_error(run_mer("data", "stats", str(tmp_path / "bad.csv")), "needs a label column", "bad.csv")
    lines = [json.dumps({"text": f"t{k}", "label": "ab"[k % 2], "split": ["train", "val", "test"][k % 3]})
             for k in range(12)]
    (tmp_path / "m.jsonl").write_text("\n".join(lines) + "\n")
    corpus = reg.dataset.get("manifest")(path=str(tmp_path / "m.jsonl"))
    assert corpus.default_protocol == "official" and corpus.modalities == ["text"]
