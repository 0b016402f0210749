"""Guardrails computed from the data: recorded with every run, shown by `mer data stats` and the summary tables."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from mer_toolkit.cli.commands.data_cmd import collect_stats
from mer_toolkit.data.corpus import Fold
from mer_toolkit.data.guardrails import check_fold
from mer_toolkit.data.sample import Sample
from mer_toolkit.results.report import markdown_table, summarize
from mer_toolkit.testing import fresh_registry, train_tiny


def utt(i: int, speaker: str) -> Sample:
    return Sample(id=f"u{i}", label=i % 2, modalities={"text": "x"}, dialogue_id=f"d{i}", speaker=speaker)


def test_clean_fold_and_each_violation() -> None:
    train, val, test = [utt(0, "a"), utt(1, "b")], [utt(2, "c")], [utt(3, "d")]
    assert check_fold(Fold("f", train, val, test), speaker_independent=True)["status"] == "clean"
    leaky = check_fold(Fold("f", train, [*val, utt(0, "a")], test), speaker_independent=False)
    assert not leaky["disjoint_utterances"] and "1 utterance(s) in both train/val (e.g. u0)" in leaky["status"]
    shared = check_fold(Fold("f", train, val, [utt(3, "a")]), speaker_independent=True)
    assert not shared["speaker_disjoint"] and "speaker(s) in both train and test" in shared["status"]
    assert check_fold(Fold("f", train, val, [utt(3, "a")]), speaker_independent=False)["status"] == "clean"
    on_test = check_fold(Fold("f", train, val, test, selection="test"), speaker_independent=False)
    assert on_test["status"] == "model selection uses the test split"


def test_iemocap_loso_is_clean_with_true_speakers_and_not_with_bare_letters(shared_data: Path) -> None:
    reg = fresh_registry()
    corpus = reg.dataset.get("iemocap")(root=str(shared_data / "iemocap" / "iemocap_cosmic.pkl"))
    folds = reg.protocol.get("iemocap4")().folds(corpus)
    assert {check_fold(f, True)["status"] for f in folds} == {"clean"}
    bare = [dataclasses.replace(f, train=[dataclasses.replace(s, speaker=s.speaker[-1]) for s in f.train],
                                test=[dataclasses.replace(s, speaker=s.speaker[-1]) for s in f.test]) for f in folds]
    assert all("2 speaker(s) in both train and test" in check_fold(f, True)["status"] for f in bare)


def test_data_stats_shows_guardrails_per_fold(shared_data: Path) -> None:
    stats = collect_stats("iemocap6", str(shared_data / "iemocap" / "iemocap_cosmic.pkl"), None, {})
    assert [f["guardrails"] for f in stats["folds"]] == ["clean"]


def test_records_and_summary_tables_carry_the_guardrails(tmp_path: Path) -> None:
    rec = train_tiny("early_fusion", tmp_path, epochs=1)
    assert rec["guardrails"]["status"] == "clean" and rec["guardrails"]["selection_not_test"]
    bad = {**rec, "seed": 1, "guardrails": {"status": "model selection uses the test split"}}
    row = summarize([rec, bad])[0]
    assert row["guardrails"] == "model selection uses the test split"
    assert "| model selection uses the test split |" in markdown_table([row])
    assert summarize([rec])[0]["guardrails"] == "clean"


@pytest.mark.parametrize("name,claims", [("iemocap4", True), ("iemocap6", True), ("by_speaker", True),
                                         ("speaker_kfold", True), ("ravdess_si", True), ("official", False),
                                         ("random", False)])
def test_protocol_claims(name: str, claims: bool) -> None:
    assert fresh_registry().protocol.get(name).speaker_independent is claims
