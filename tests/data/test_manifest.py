"""Manifest datasets: CSV/TSV/JSONL, column aliases, label sets, splits and folds, and every bad row reported."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from mer_toolkit.data.datasets.ravdess import RAVDESS_LABELS
from mer_toolkit.errors import DataError
from mer_toolkit.run.experiment import load_corpus, make_folds
from mer_toolkit.config.sections import DataConfig
from mer_toolkit.testing import assert_clean_error, fresh_registry, run_mer

EXPECTED = {"neutral": 96, **{e: 192 for e in RAVDESS_LABELS[1:]}}
EMOTIONS = ["joy", "anger", "calm"]


@pytest.fixture(scope="module")
def reg():
    return fresh_registry()


def write_csv(path: Path, rows: list[dict], delimiter: str = ",") -> Path:
    with open(path, "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]), delimiter=delimiter)
        w.writeheader()
        w.writerows(rows)
    return path


def make_rows(folder: Path, n: int = 12) -> list[dict]:
    """``n`` rows with real 0.25 s WAV files beside the manifest, 3 emotions, 6 speakers."""
    rows = []
    for k in range(n):
        sf.write(folder / f"a{k}.wav", np.sin(np.arange(4000) * (0.05 + 0.01 * (k % 3))).astype(np.float32), 16000)
        rows.append({"id": f"u{k}", "path": f"a{k}.wav", "transcript": f"sentence {k}", "emotion": EMOTIONS[k % 3],
                     "speaker": f"spk{k % 6}"})
    return rows


def test_manifest_of_the_real_ravdess_files(reg, shared_data: Path, tmp_path: Path) -> None:
    root = shared_data / "ravdess"
    if not root.is_dir():
        pytest.skip(f"RAVDESS speech not available: {root} is absent")
    with open(root / "labels.csv", newline="") as f:
        rows = [{"wav": str(root / r["path"]), "text": r["transcript"], "label": r["emotion"],
                 "actor": f"actor{int(r['actor']):02d}"} for r in csv.DictReader(f)]
    manifest = write_csv(tmp_path / "ravdess.csv", rows)
    corpus = reg.dataset.get("manifest")(path=str(manifest), labels=RAVDESS_LABELS)
    assert len(corpus.samples) == 1440 and corpus.label_counts() == EXPECTED and corpus.problems == []
    proc = run_mer("data", "stats", str(manifest), "--json", "--protocol", "speaker_kfold")
    assert proc.returncode == 0, proc.stderr
    stats = json.loads(proc.stdout)
    assert (stats["utterances"], stats["speakers"], stats["label_counts"]) == (1440, 24, EXPECTED)
    assert [f["name"] for f in stats["folds"]] == [f"fold{i}" for i in range(1, 6)]
    assert all(f["test"]["utterances"] + f["val"]["utterances"] + f["train"]["utterances"] == 1440
               for f in stats["folds"])


def test_aliases_relative_paths_and_inferred_labels(reg, tmp_path: Path) -> None:
    corpus = reg.dataset.get("manifest")(root=str(write_csv(tmp_path / "m.csv", make_rows(tmp_path))))
    assert corpus.label_names == ["anger", "calm", "joy"] and corpus.default_protocol == "random"
    s = corpus.by_id()["u4"]
    assert s.modalities == {"audio": str(tmp_path / "a4.wav"), "text": "sentence 4"}
    assert (corpus.label_names[s.label], s.speaker, s.dialogue_id, s.position) == ("anger", "spk4", "u4", 0)
    (fold,) = make_folds(corpus, DataConfig(), reg)
    assert fold.name == "random0" and {s.label for s in fold.test} == {0, 1, 2}


def test_dataset_given_as_a_path_in_the_config(reg, tmp_path: Path) -> None:
    manifest = write_csv(tmp_path / "m.csv", make_rows(tmp_path))
    cfg = DataConfig(dataset=str(manifest), dataset_options={"labels": "joy, anger, calm"}, protocol="by_speaker",
                     protocol_options={"test_speakers": ["spk0"], "val_speakers": ["spk1"]})
    corpus = load_corpus(cfg, reg)
    assert corpus.label_names == EMOTIONS
    (fold,) = make_folds(corpus, cfg, reg)
    assert {s.speaker for s in fold.test} == {"spk0"} and {s.speaker for s in fold.val} == {"spk1"}


def test_tsv_with_dialogues_and_folds(reg, tmp_path: Path) -> None:
    rows = make_rows(tmp_path)
    for k, r in enumerate(rows):
        r.update(session=f"d{k // 4}", fold=str(k // 4 + 1))
    corpus = reg.dataset.get("manifest")(path=str(write_csv(tmp_path / "m.tsv", rows, delimiter="\t")))
    assert corpus.default_protocol == "by_fold"
    assert [(s.dialogue_id, s.position) for s in corpus.samples[:5]] == [("d0", 0), ("d0", 1), ("d0", 2), ("d0", 3),
                                                                        ("d1", 0)]
    folds = make_folds(corpus, DataConfig(protocol_options={"val_fraction": 0.5}), reg)
    assert [f.name for f in folds] == ["fold1", "fold2", "fold3"]
    assert [sorted({s.dialogue_id for s in f.test}) for f in folds] == [["d0"], ["d1"], ["d2"]]


def test_jsonl_text_only_with_a_split(reg, tmp_path: Path) -> None:
    lines = [json.dumps({"utterance": f"t{k}", "emo": "ab"[k % 2], "split": ["train", "dev", "test"][k % 3],
                         "dialogue": f"d{k // 3}", "turn": 2 - k % 3}) for k in range(12)]
    (tmp_path / "m.jsonl").write_text("\n".join(lines) + "\n\n")
    corpus = reg.dataset.get("manifest")(path=str(tmp_path / "m.jsonl"))
    assert corpus.default_protocol == "official" and corpus.modalities == ["text"]
    assert [s.position for s in corpus.samples[:3]] == [2, 1, 0]
    (fold,) = make_folds(corpus, DataConfig(), reg)
    assert fold.sizes() == {"train": 4, "val": 4, "test": 4}


def test_every_broken_row_is_listed_with_its_line(reg, tmp_path: Path) -> None:
    rows = [dict(r, split=["test", "val", "train"][k % 3]) for k, r in enumerate(make_rows(tmp_path, 13))]
    (tmp_path / "junk.wav").write_text("not audio")
    sf.write(tmp_path / "empty.wav", np.zeros(0, dtype=np.float32), 16000)
    rows[0]["path"] = "missing.wav"  # line 2
    rows[1]["path"] = "junk.wav"  # line 3
    rows[2]["path"] = "empty.wav"  # line 4
    rows[3]["emotion"] = ""  # line 5
    rows[4]["emotion"] = "bored"  # line 6
    rows[5]["id"] = "u6"  # line 7, u6 is on line 8
    rows[6]["id"] = "u6"  # line 8: duplicate of line 7
    rows[7]["split"] = "holdout"  # line 9
    rows[8]["split"] = ""  # line 10
    rows[9]["path"] = ""  # line 11
    rows.append(dict(rows[11], id="u99"))  # line 15: the audio of line 13 again
    manifest = write_csv(tmp_path / "broken.csv", rows)
    text = manifest.read_text().splitlines()
    text[11] += ",extra"  # line 12: one field too many
    manifest.write_text("\n".join(text) + "\n")
    expected = ["broken.csv:2: audio file does not exist", "broken.csv:3: unreadable audio",
                "broken.csv:4: zero-length audio", "broken.csv:5: empty label",
                "broken.csv:6: label 'bored' is not in the label set ['anger', 'calm', 'joy']",
                "broken.csv:8: duplicated id 'u6' (first on line 7)", "broken.csv:9: split 'holdout' is not one of",
                "broken.csv:10: empty split (column 'split' is filled on other rows)",
                "broken.csv:11: empty audio path", "broken.csv:12: 7 field(s), the header has 6",
                f"broken.csv:15: audio file {tmp_path / 'a11.wav'} is already listed on line 13"]
    with pytest.raises(DataError) as exc:
        reg.dataset.get("manifest")(path=str(manifest), labels=["anger", "calm", "joy"])
    assert "11 problem(s)" in str(exc.value) and all(e in str(exc.value) for e in expected)
    proc = run_mer("data", "stats", str(manifest), "--json", "--option", "labels=[anger, calm, joy]")
    assert proc.returncode == 1
    problems = json.loads(proc.stdout)["problems"]
    assert len(problems) == len(expected) and all(e in p for e, p in zip(expected, problems))  # in line order
    lenient = reg.dataset.get("manifest")(path=str(manifest), labels=["anger", "calm", "joy"], strict=False)
    assert sorted(s.meta["line"] for s in lenient.samples) == [7, 13, 14]


def test_column_and_label_set_errors(reg, tmp_path: Path) -> None:
    (tmp_path / "bad.csv").write_text("file_name,words\nx.wav,hello\n")
    assert_clean_error(run_mer("data", "stats", str(tmp_path / "bad.csv")), "bad.csv", "needs a label column",
                       "found columns ['file_name', 'words']")
    manifest = write_csv(tmp_path / "m.csv", make_rows(tmp_path, 3))
    with pytest.raises(DataError, match=r"expected distinct, non-empty label names \(repeated: \['joy'\]\)"):
        reg.dataset.get("manifest")(path=str(manifest), labels=["joy", "joy"])
    with pytest.raises(DataError, match="expected a .csv, .tsv, .jsonl file"):
        reg.dataset.get("manifest")(path=str(tmp_path / "m.xlsx"))
    with pytest.raises(DataError, match="does not exist"):
        reg.dataset.get("manifest")(path=str(tmp_path / "none.csv"))
    (tmp_path / "all_bad.jsonl").write_text('{"text": "a", "label": ""}\n[1, 2]\n{oops\n')
    with pytest.raises(DataError) as exc:
        reg.dataset.get("manifest")(path=str(tmp_path / "all_bad.jsonl"), strict=False)
    msg = str(exc.value)
    assert "no usable rows" in msg and "all_bad.jsonl:1: empty label" in msg and "all_bad.jsonl:2: expected a JSON" in msg
