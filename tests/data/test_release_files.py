"""Release files load exactly or are refused: label maps, turn order, speaker identities, every ERC layout."""

from __future__ import annotations

import json
import pickle
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from mer_toolkit.data.datasets import label_maps
from mer_toolkit.data.loader import make_loader
from mer_toolkit.data.safe_pickle import load_pickle
from mer_toolkit.errors import DataError
from mer_toolkit.testing import assert_clean_error, fresh_registry, run_mer

REPO = Path(__file__).resolve().parents[2]
PICKLES = REPO / "tests" / "fixtures" / "pickles"
# RUCM3ED README, "label-info", verbatim.
RUCM3ED_README = {'Happy': 0, 'Neutral': 1, 'Sad': 2, 'Disgust': 3, 'Anger': 4, 'Fear': 5, 'Surprise': 6}


@pytest.fixture(scope="module")
def reg():
    return fresh_registry()


def load(reg, name: str, root: Path | str, **options):
    return reg.dataset.get(name)(root=str(root), **options)


# -- label maps --------------------------------------------------------------------------------------
def test_m3ed_label_map_is_the_readme_order(reg) -> None:
    assert {label_maps.M3ED_ANNOTATION[word]: i for word, i in RUCM3ED_README.items()} == \
        {name: i for i, name in label_maps.M3ED_RELEASE.items()}
    corpus = load(reg, "m3ed", PICKLES / "M3ED_features.pkl")
    raw = load_pickle(PICKLES / "M3ED_features.pkl")
    by_id = corpus.by_id()
    words = {v: k for k, v in RUCM3ED_README.items()}
    for dia, ids in raw[0].items():
        for uid, index in zip(ids, raw[2][dia]):
            assert corpus.label_names[by_id[uid].label] == words[index].lower()


def test_m3ed_annotation_words_map_by_name(reg) -> None:
    corpus = load(reg, "m3ed", REPO / "tests" / "fixtures" / "m3ed_raw")
    ann = json.loads((REPO / "tests" / "fixtures" / "m3ed_raw" / "annotation.json").read_text(encoding="utf-8"))
    words = {u: v["EmoAnnotation"]["final_main_emo"] for s in ann.values() for d in s.values()
             for u, v in d["Dialog"].items()}
    assert {s.id: corpus.label_names[s.label] for s in corpus.samples} == {u: w.lower() for u, w in words.items()}
    assert corpus.label_names == ["happy", "neutral", "sad", "disgust", "anger", "fear", "surprise"]


# Utterances per label index in COSMIC's meld.pkl (declare-lab/conv-emotion, COSMIC/feature-extraction/meld/
# meld.pkl, 13,708 utterances), counted from the public file; the same classes the DialogueRNN/MMGCN files use.
COSMIC_MELD_INDEX_COUNTS = {0: 6436, 1: 1636, 2: 358, 3: 1002, 4: 2308, 5: 361, 6: 1607}


def test_meld_erc_label_map_reproduces_the_official_csv_counts(reg, shared_data: Path) -> None:
    corpus = load(reg, "meld", shared_data / "meld")
    by_name = {label_maps.MELD_ERC[k]: n for k, n in COSMIC_MELD_INDEX_COUNTS.items()}
    assert by_name == corpus.label_counts()


def test_iemocap_label_maps_agree_across_sources(shared_data: Path) -> None:
    """COSMIC's 6-class indices, MERBench's 6-way and 4-way files: the same utterance, the same class."""
    six = np.load(shared_data / "iemocap" / "label_6way.npz", allow_pickle=True)["whole_corpus"].item()
    four = np.load(shared_data / "iemocap" / "label_4way.npz", allow_pickle=True)["whole_corpus"].item()
    pairs = Counter((label_maps.IEMOCAP_ERC[six[u]["emo"]], label_maps.IEMOCAP_MERBENCH4[four[u]["emo"]]) for u in four)
    assert set(pairs) == {("hap", "hap"), ("exc", "hap"), ("sad", "sad"), ("neu", "neu"), ("ang", "ang")}


def test_iemocap_cosmic_labels_follow_the_documented_map(reg, shared_data: Path) -> None:
    corpus = load(reg, "iemocap6", shared_data / "iemocap" / "iemocap_cosmic.pkl")
    raw = load_pickle(shared_data / "iemocap" / "iemocap_cosmic.pkl")
    got = {d: [corpus.label_names[s.label] for s in sorted(v, key=lambda s: s.position)]
           for d, v in _by_dialogue(corpus.samples).items()}
    assert got == {d: [label_maps.IEMOCAP_ERC[k] for k in raw[1][d]] for d in got}


# -- speakers ----------------------------------------------------------------------------------------
def test_iemocap_speakers_are_the_ten_actors(shared_data: Path) -> None:
    stats = json.loads(run_mer("data", "stats", "iemocap6", "--root",
                               str(shared_data / "iemocap" / "iemocap_cosmic.pkl"), "--json").stdout)
    assert stats["speakers"] == 10


def test_iemocap_pickle_speaker_is_session_and_gender(reg) -> None:
    corpus = load(reg, "iemocap6", PICKLES / "IEMOCAP_features.pkl")
    assert {s.speaker for s in corpus.samples} == {f"Ses0{k}_{g}" for k in range(1, 6) for g in "FM"}
    assert all(s.speaker[-1] == s.id.rsplit("_", 1)[1][0] for s in corpus.samples)


def test_meld_one_hot_speakers_are_dialogue_local(reg) -> None:
    corpus = load(reg, "meld", PICKLES / "MELD_features_raw1.pkl")
    raw = load_pickle(PICKLES / "MELD_features_raw1.pkl")
    first = [s for s in corpus.samples if s.dialogue_id == "train_dia0"]
    assert [s.speaker for s in first] == [f"train_dia0:S{int(np.argmax(v))}" for v in raw[1][0]]
    assert len({s.speaker for s in corpus.samples}) == 2 * len({s.dialogue_id for s in corpus.samples})


def test_m3ed_speaker_is_the_character_name(reg) -> None:
    corpus = load(reg, "m3ed", REPO / "tests" / "fixtures" / "m3ed_raw")
    by_id = corpus.by_id()
    # seriesa_2 swaps the letters: A of dialogue 1 is B of dialogue 2, the same character
    assert by_id["seriesa_1_1"].speaker == by_id["seriesa_2_2"].speaker == "seriesa/李雷"
    assert by_id["seriesa_1_2"].speaker == by_id["seriesa_2_1"].speaker == "seriesa/韩梅梅"
    assert len({s.speaker for s in corpus.samples}) == 6


def test_m3ed_speech_files_of_the_release_layout(reg) -> None:
    corpus = load(reg, "m3ed", REPO / "tests" / "fixtures" / "m3ed_raw")
    for s in corpus.samples:
        local = "AB"[s.position % 2]
        assert Path(s.modalities["audio"]).name == f"{local}_{s.id}.wav"


# -- MERBench turn order -----------------------------------------------------------------------------
def test_merbench_has_no_turn_order_and_dialogue_batching_refuses_it(reg, shared_data: Path) -> None:
    corpus = load(reg, "iemocap6", shared_data / "iemocap")
    assert {s.position for s in corpus.samples} == {-1}
    with pytest.raises(DataError, match="order=PATH") as exc:
        make_loader(corpus.samples, 2, shuffle=False, batch_by="dialogue")
    assert "EmoEvaluation" in str(exc.value) and "iemocap_cosmic.pkl" in str(exc.value)


def test_merbench_order_from_cosmic_is_cosmics_order_in_every_dialogue(reg, shared_data: Path) -> None:
    cosmic = shared_data / "iemocap" / "iemocap_cosmic.pkl"
    corpus = load(reg, "iemocap6", shared_data / "iemocap", order=str(cosmic))
    speakers, labels, sentences = load_pickle(cosmic)[:3]
    dialogues = _by_dialogue(corpus.samples)
    assert len(dialogues) == 151
    for dia, samples in dialogues.items():
        ordered = sorted(samples, key=lambda s: s.position)
        assert [s.position for s in ordered] == list(range(len(ordered)))
        got = [(s.meta["transcript"], s.speaker[-1], s.label) for s in ordered]
        assert got == [(t.strip(), g, k) for t, g, k in zip(sentences[dia], speakers[dia], labels[dia])], dia
    # the 4-class subset keeps that order, renumbered
    four = load(reg, "iemocap", shared_data / "iemocap", order=str(cosmic))
    six_order = [s.id for s in sorted(corpus.samples, key=lambda s: (s.dialogue_id, s.position))]
    kept = {s.id for s in four.samples}
    assert [s.id for s in sorted(four.samples, key=lambda s: (s.dialogue_id, s.position))] == \
        [u for u in six_order if u in kept]


def test_merbench_order_from_raw_release_times(reg, tmp_path: Path) -> None:
    raw = REPO / "tests" / "fixtures" / "iemocap_raw"
    released = load(reg, "iemocap6", raw)
    merbench = tmp_path / "merbench"
    merbench.mkdir()
    table = {s.id: {"emo": s.label, "val": -10} for s in released.samples}
    np.savez(merbench / "label_6way.npz", whole_corpus=np.array(table, dtype=object))
    rows = "".join(f"{s.id},x,{s.meta['transcript']}\n" for s in reversed(released.samples))
    (merbench / "transcription.csv").write_text("name,chinese,english\n" + rows, encoding="utf-8")
    corpus = load(reg, "iemocap6", merbench, order=str(raw))
    key = lambda s: (s.dialogue_id, s.position)  # noqa: E731
    assert [s.id for s in sorted(corpus.samples, key=key)] == [s.id for s in sorted(released.samples, key=key)]


def test_cosmic_file_gets_true_ids_and_the_standard_4class_list(reg, shared_data: Path, tmp_path: Path) -> None:
    cosmic = shared_data / "iemocap" / "iemocap_cosmic.pkl"
    corpus = load(reg, "iemocap", cosmic)  # label_6way.npz and label_4way.npz sit beside it
    assert len(corpus.samples) == 5531 and corpus.samples[0].id.rsplit("_", 1)[1][0] in "FM"
    alone = tmp_path / "iemocap_cosmic.pkl"
    alone.write_bytes(cosmic.read_bytes())
    wide = load(reg, "iemocap", alone)
    assert len(wide.samples) == 5584 and "5531" in wide.info["note"]
    assert wide.label_counts()["hap"] - corpus.label_counts()["hap"] == 53


# -- every ERC layout --------------------------------------------------------------------------------
LAYOUT_CASES = [  # file, dataset, modalities, split sizes (utterances)
    ("IEMOCAP_features.pkl", "iemocap6", {"text", "audio", "visual"}, {"train": 144, "test": 36}),
    ("iemocap_features_roberta.pkl", "iemocap6", {"text"}, {"train": 132, "val": 12, "test": 36}),
    ("MELD_features_raw.pkl", "meld", {"text", "audio"}, {"train": 150, "val": 25, "test": 50}),
    ("MELD_features_raw1.pkl", "meld", {"text", "audio", "visual"}, {"train": 150, "val": 25, "test": 50}),
    ("meld_cosmic.pkl", "meld", {"text"}, {"train": 150, "val": 25, "test": 50}),
    ("meld_features_roberta.pkl", "meld", {"text"}, {"train": 150, "val": 25, "test": 50}),
    ("M3ED_features.pkl", "m3ed", {"text", "audio", "visual"}, {"train": 8, "val": 8, "test": 8}),
]


@pytest.mark.parametrize("file,name,modalities,sizes", LAYOUT_CASES)
def test_every_erc_layout_loads_by_structure(reg, file: str, name: str, modalities: set, sizes: dict) -> None:
    corpus = load(reg, name, PICKLES / file)
    assert set(corpus.modalities) == modalities
    assert Counter(s.meta["split"] for s in corpus.samples) == sizes
    raw = load_pickle(PICKLES / file)
    labels = next(x for x in raw if isinstance(x, dict) and isinstance(next(iter(x.values()))[0], int))
    assert sum(map(len, labels.values())) == len(corpus.samples)


def test_meld_pickles_take_csv_ids_and_the_official_dev_split(reg) -> None:
    corpus = load(reg, "meld", PICKLES / "MELD_features_raw.pkl")
    by_id = corpus.by_id()
    assert by_id["val_dia0_utt0"].meta["split"] == "val" and by_id["test_dia9_utt4"].meta["split"] == "test"
    assert "’" in by_id["train_dia0_utt0"].meta["transcript"]  # cp1252 \x92 repaired
    assert all("sentiment" in s.meta for s in corpus.samples)


def test_every_cp1252_character_of_old_meld_files_is_repaired() -> None:
    from mer_toolkit.data.datasets.meld import repair_cp1252

    damaged = "Wait\x85 \x91hi\x92 \x93yes\x94 \x95 a\x96b\x97c\xa0d"
    assert repair_cp1252(damaged) == "Wait… ‘hi’ “yes” • a–b—c d"


def test_unknown_layout_is_refused_naming_file_and_contents(reg, tmp_path: Path) -> None:
    raw = load_pickle(PICKLES / "MELD_features_raw.pkl")
    bad = tmp_path / "MELD_other.pkl"
    bad.write_bytes(pickle.dumps([raw[1], raw[0], raw[2], raw[3], raw[5], raw[6], raw[7]]))
    proc = run_mer("data", "stats", "meld", "--root", str(bad))
    assert_clean_error(proc, str(bad), "unknown layout of 7 items", "speakers; labels; labels; features; sentences; split; split",
                       "expected one of")


def test_meld_numbering_is_checked(reg, tmp_path: Path) -> None:
    raw = load_pickle(PICKLES / "MELD_features_raw.pkl")
    raw[6] = [*raw[6], 1153]  # a test dialogue listed for training
    raw[7] = [d for d in raw[7] if d != 1153]
    path = tmp_path / "MELD_features_raw.pkl"
    path.write_bytes(pickle.dumps(raw))
    with pytest.raises(DataError, match="1153.*train list"):
        load(reg, "meld", path)


def _by_dialogue(samples: list) -> dict[str, list]:
    out: dict[str, list] = {}
    for s in samples:
        out.setdefault(s.dialogue_id, []).append(s)
    return out
