"""Generic split protocols (random, by_speaker, speaker_kfold, by_fold) on small in-memory corpora."""

from __future__ import annotations

import dataclasses
from collections import Counter

import pytest

from mer_toolkit.data.corpus import Corpus, Fold
from mer_toolkit.data.sample import Sample
from mer_toolkit.errors import ConfigError, DataError
from mer_toolkit.run.experiment import make_folds
from mer_toolkit.config.sections import DataConfig
from mer_toolkit.testing import fresh_registry


@pytest.fixture(scope="module")
def reg():
    return fresh_registry()


def make_corpus(speakers: int = 10, per_speaker: int = 12, classes: int = 3, folds: int = 0) -> Corpus:
    """``speakers`` x ``per_speaker`` utterances, labels cycling over ``classes``; optional ``meta['fold']``."""
    samples = []
    for p in range(speakers):
        for k in range(per_speaker):
            meta = {"fold": str(p % folds + 1)} if folds else {}
            samples.append(Sample(id=f"s{p:02d}_{k:02d}", label=k % classes, modalities={"text": "x"},
                                  dialogue_id=f"s{p:02d}_{k:02d}", speaker=f"spk{p:02d}", meta=meta))
    return Corpus("toy", [f"c{i}" for i in range(classes)], samples, source="in memory")


def ids(samples: list[Sample]) -> list[str]:
    return sorted(s.id for s in samples)


def speakers(samples: list[Sample]) -> set[str]:
    return {s.speaker for s in samples}


def assert_partition(fold: Fold, corpus: Corpus) -> None:
    parts = [ids(fold.train), ids(fold.val), ids(fold.test)]
    assert sorted(sum(parts, [])) == ids(corpus.samples)  # every utterance in exactly one split


def test_every_protocol_is_registered(reg) -> None:
    names = set(reg.protocol.names())
    assert {"random", "by_speaker", "speaker_kfold", "by_fold", "ravdess_si", "ravdess_6fold"} <= names


def test_random_is_stratified_seeded_and_a_partition(reg) -> None:
    corpus = make_corpus()
    fold = reg.protocol.get("random")(val=0.1, test=0.25, seed=7).folds(corpus)[0]
    assert_partition(fold, corpus)
    assert Counter(s.label for s in fold.test) == {0: 10, 1: 10, 2: 10}  # 25 % of each class's 40
    assert Counter(s.label for s in fold.val) == {0: 4, 1: 4, 2: 4}
    again = reg.protocol.get("random")(val=0.1, test=0.25, seed=7).folds(corpus)[0]
    assert ids(again.test) == ids(fold.test) and ids(again.val) == ids(fold.val)
    assert ids(reg.protocol.get("random")(val=0.1, test=0.25, seed=8).folds(corpus)[0].test) != ids(fold.test)


def test_random_keeps_small_classes_in_every_split(reg) -> None:
    corpus = make_corpus(speakers=1, per_speaker=31, classes=10)  # class 0 has 4 utterances, the others 3
    fold = reg.protocol.get("random")(val=0.05, test=0.05).folds(corpus)[0]
    for split in (fold.train, fold.val, fold.test):
        assert {s.label for s in split} == set(range(10))


@pytest.mark.parametrize("options", [{"val": 0.5, "test": 0.5}, {"val": 0, "test": 0.2}, {"test": 1.5}])
def test_random_refuses_bad_fractions(reg, options: dict) -> None:
    with pytest.raises(DataError, match="expected fractions between 0 and 1"):
        reg.protocol.get("random")(**options)


def test_by_speaker_fractions_are_speaker_disjoint_and_seeded(reg) -> None:
    corpus = make_corpus(speakers=20)
    tests = set()
    for seed in range(4):
        fold = reg.protocol.get("by_speaker")(val=0.1, test=0.2, seed=seed).folds(corpus)[0]
        assert_partition(fold, corpus)
        tr, va, te = speakers(fold.train), speakers(fold.val), speakers(fold.test)
        assert len(te) == 4 and len(va) == 2 and len(tr) == 14
        assert tr.isdisjoint(va) and tr.isdisjoint(te) and va.isdisjoint(te)
        same = reg.protocol.get("by_speaker")(val=0.1, test=0.2, seed=seed).folds(corpus)[0]
        assert ids(same.test) == ids(fold.test) and ids(same.val) == ids(fold.val)
        tests.add(tuple(sorted(te)))
    assert len(tests) > 1  # the seed changes the draw


def test_by_speaker_lists(reg) -> None:
    corpus = make_corpus()
    fold = reg.protocol.get("by_speaker")(val_speakers=["spk01"], test_speakers=["spk00", "spk09"]).folds(corpus)[0]
    assert speakers(fold.val) == {"spk01"} and speakers(fold.test) == {"spk00", "spk09"}
    assert speakers(fold.train) == {f"spk{p:02d}" for p in range(2, 9)}
    for seed in range(5):  # test speakers are drawn around the given validation speakers
        fold = reg.protocol.get("by_speaker")(val_speakers=["spk01", "spk02"], seed=seed).folds(corpus)[0]
        assert speakers(fold.val) == {"spk01", "spk02"} and not speakers(fold.test) & {"spk01", "spk02"}


def test_by_speaker_errors_name_the_problem(reg) -> None:
    corpus = make_corpus()
    with pytest.raises(DataError, match=r"speakers \['nobody'\] are not in dataset 'toy'"):
        reg.protocol.get("by_speaker")(test_speakers=["nobody"]).folds(corpus)
    with pytest.raises(DataError, match=r"\['spk01'\] are in both"):
        reg.protocol.get("by_speaker")(val_speakers=["spk01"], test_speakers=["spk01"])
    corpus.samples[5].speaker = ""
    with pytest.raises(DataError, match="utterance 's00_05' .* has no speaker"):
        reg.protocol.get("by_speaker")().folds(corpus)


def test_speaker_kfold_tests_each_speaker_once(reg) -> None:
    corpus = make_corpus(speakers=11)
    folds = reg.protocol.get("speaker_kfold")(k=4, val=0.2, seed=3).folds(corpus)
    assert [f.name for f in folds] == ["fold1", "fold2", "fold3", "fold4"]
    tested = [spk for f in folds for spk in speakers(f.test)]
    assert sorted(tested) == sorted(speakers(corpus.samples)) and len(set(tested)) == 11
    for f in folds:
        assert_partition(f, corpus)
        assert speakers(f.test).isdisjoint(speakers(f.train) | speakers(f.val))
        assert speakers(f.train).isdisjoint(speakers(f.val)) and len(speakers(f.val)) == 2
    again = reg.protocol.get("speaker_kfold")(k=4, val=0.2, seed=3).folds(corpus)
    assert [ids(f.test) + ids(f.val) for f in again] == [ids(f.test) + ids(f.val) for f in folds]
    other = reg.protocol.get("speaker_kfold")(k=4, val=0.2, seed=4).folds(corpus)
    assert [ids(f.test) for f in other] != [ids(f.test) for f in folds]


def test_speaker_kfold_order_and_limits(reg) -> None:
    corpus = make_corpus(speakers=6)
    order = [f"spk{p:02d}" for p in (5, 4, 3, 2, 1, 0)]
    folds = reg.protocol.get("speaker_kfold")(k=3, speaker_order=order).folds(corpus)
    assert [speakers(f.test) for f in folds] == [{"spk05", "spk04"}, {"spk03", "spk02"}, {"spk01", "spk00"}]
    with pytest.raises(DataError, match=r"has 6 speaker\(s\); k=7 folds need at least k speakers"):
        reg.protocol.get("speaker_kfold")(k=7).folds(corpus)
    with pytest.raises(DataError, match="2 speakers left for training and validation"):
        reg.protocol.get("speaker_kfold")(k=2).folds(make_corpus(speakers=3))
    with pytest.raises(DataError, match="speaker_order and the speakers"):
        reg.protocol.get("speaker_kfold")(k=3, speaker_order=order[:5]).folds(corpus)
    with pytest.raises(DataError, match="k=1"):
        reg.protocol.get("speaker_kfold")(k=1)


def test_by_fold_uses_the_fold_column(reg) -> None:
    corpus = make_corpus(speakers=6, folds=3)
    folds = reg.protocol.get("by_fold")(val_fraction=0.2, seed=1).folds(corpus)
    assert [f.name for f in folds] == ["fold1", "fold2", "fold3"]
    for f in folds:
        assert_partition(f, corpus)
        assert {s.meta["fold"] for s in f.test} == {f.name[-1]}
        assert f.name[-1] not in {s.meta["fold"] for s in f.train + f.val}


def test_protocol_options_from_the_config(reg) -> None:
    corpus = make_corpus(speakers=8)
    cfg = DataConfig(protocol="speaker_kfold", protocol_options={"k": 4, "seed": 1}, folds=["fold2"])
    (fold,) = make_folds(corpus, cfg, reg)
    assert fold.name == "fold2" and fold.protocol == "speaker_kfold" and len(speakers(fold.test)) == 2


def test_an_unknown_protocol_option_is_a_config_error_naming_the_key(reg) -> None:
    from mer_toolkit.errors import ConfigError

    cfg = DataConfig(protocol="speaker_kfold", protocol_options={"k": 4, "kk": 1})
    with pytest.raises(ConfigError, match=r"data\.protocol_options\.kk for protocol 'speaker_kfold'.*'k'"):
        make_folds(make_corpus(speakers=8), cfg, reg)


def sessions_corpus(sessions: int = 5) -> Corpus:
    """IEMOCAP-like: each session has two actors (F, M) talking in its own dyadic dialogues."""
    samples = [Sample(id=f"Ses{g}_d{d}_{k}", label=k % 3, modalities={"text": "x"}, dialogue_id=f"Ses{g}_d{d}",
                      position=k, speaker=f"Ses{g}_{'FM'[k % 2]}", meta={"session": str(g)})
               for g in range(1, sessions + 1) for d in range(4) for k in range(6)]
    return Corpus("toy", ["a", "b", "c"], samples, source="in memory")


@pytest.mark.parametrize("validation", ["dialogues", "speakers"])
def test_iemocap6_loso_tests_every_session_once(reg, validation: str) -> None:
    corpus = sessions_corpus()
    fs = make_folds(corpus, DataConfig(protocol="iemocap6_loso", protocol_options={"validation": validation}), reg)
    assert [f.name for f in fs] == [f"session{g}" for g in range(1, 6)]
    assert Counter(s.meta["session"] for f in fs for s in f.test) == {str(g): 24 for g in range(1, 6)}
    for f in fs:
        assert_partition(f, corpus)
        assert speakers(f.test).isdisjoint(speakers(f.train) | speakers(f.val))
        if validation == "speakers":
            assert speakers(f.val).isdisjoint(speakers(f.train))
            assert len(speakers(f.val)) == 2 and len({s.meta["session"] for s in f.val}) == 1
            assert {s.dialogue_id for s in f.val}.isdisjoint(s.dialogue_id for s in f.train)  # dialogues whole
        else:
            assert speakers(f.val) <= speakers(f.train)  # today's validation: the training actors' dialogues
    if validation == "speakers":  # each session validates once, in the fold after its own test fold
        assert [f.val[0].meta["session"] for f in fs] == ["2", "3", "4", "5", "1"]


def test_speaker_validation_refuses_speakers_across_groups_and_unknown_options(reg) -> None:
    corpus = sessions_corpus()
    shared = Corpus("toy", corpus.label_names, [dataclasses.replace(s, speaker="everyone") if s.meta["session"] == "2"
                                                 or s.id.startswith("Ses3_d0") else s for s in corpus.samples])
    cfg = DataConfig(protocol="iemocap6_loso", protocol_options={"validation": "speakers"})
    with pytest.raises(DataError, match=r"speakers \['everyone'\] of session 2 also speak in other sessions"):
        make_folds(shared, cfg, reg)
    with pytest.raises(ConfigError, match=r"validation='actors'; expected one of \['dialogues', 'speakers'\]"):
        make_folds(corpus, DataConfig(protocol="iemocap6_loso", protocol_options={"validation": "actors"}), reg)
    with pytest.raises(DataError, match="needs at least 3 sessions"):
        make_folds(sessions_corpus(2), cfg, reg)
