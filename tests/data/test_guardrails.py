"""Guardrails computed from the data: recorded with every run, shown by `mer data stats` and the summary tables."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from mer_toolkit.cli.commands.data_cmd import collect_stats
from mer_toolkit.config import resolve_config
from mer_toolkit.data.corpus import Corpus, Fold
from mer_toolkit.data.datasets.demo import make_demo
from mer_toolkit.data.guardrails import check_fold, summarize_checks
from mer_toolkit.data.sample import Sample
from mer_toolkit.results.report import markdown_table, summarize
from mer_toolkit.run.experiment import run_fold, run_settings, select_dataset
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
    assert on_test["status"] == "model selection uses the test split" and on_test["selection_not_test"] is False
    both = check_fold(Fold("f", train, [*val, utt(0, "a")], test, selection="test"), speaker_independent=False)
    assert both["status"] == "1 utterance(s) in both train/val (e.g. u0); model selection uses the test split"


def test_summary_of_several_runs_names_each_distinct_violation_once() -> None:
    assert summarize_checks(["clean", "clean"]) == "clean"
    assert summarize_checks(["clean", "b", "a", "b"]) == "a | b"


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


@pytest.fixture(scope="module")
def speaker_fold() -> tuple[Corpus, Fold]:
    """A small demo corpus with eight speakers and its ``by_speaker`` fold (speaker-independent by construction)."""
    demo = make_demo(dialogues=24)
    samples = [dataclasses.replace(s, speaker=f"spk{int(s.dialogue_id[-3:]) % 8}") for s in demo.samples]
    corpus = Corpus("demo_speakers", demo.label_names, samples)
    (fold,) = fresh_registry().protocol.get("by_speaker")(val=0.2, test=0.2).folds(corpus)
    return corpus, fold


def run_record(corpus: Corpus, fold: Fold, run_dir: Path) -> dict:
    """The record ``run_fold`` writes for one epoch of ``concat_mlp`` on ``fold``."""
    registry = fresh_registry()
    settings = run_settings(select_dataset(resolve_config("concat_mlp", registry), "demo", registry=registry), 0,
                            epochs=1, device="cpu")
    return run_fold(settings, corpus, fold, registry, run_dir=run_dir, model_name="concat_mlp")


def test_a_run_of_a_speaker_independent_protocol_records_the_claim_and_its_check(speaker_fold, tmp_path) -> None:
    rec = run_record(*speaker_fold, tmp_path)
    assert rec["protocol"] == "by_speaker" and rec["guardrails"]["speaker_independent_claimed"] is True
    assert rec["guardrails"]["speaker_disjoint"] is True and rec["guardrails"]["status"] == "clean"


@pytest.mark.parametrize("protocol,claimed", [("by_speaker", True), ("random", False)])
def test_a_run_on_a_fold_with_a_planted_speaker_leak_reports_it(speaker_fold, tmp_path, protocol: str,
                                                                claimed: bool) -> None:
    """One test utterance given a training speaker: reported against the claim of the fold's protocol only."""
    corpus, fold = speaker_fold
    seen = fold.train[0].speaker
    leaky = dataclasses.replace(fold, protocol=protocol,
                                test=[dataclasses.replace(fold.test[0], speaker=seen), *fold.test[1:]])
    guardrails = run_record(corpus, leaky, tmp_path)["guardrails"]
    assert guardrails["speaker_independent_claimed"] is claimed
    if claimed:
        assert guardrails["speaker_disjoint"] is False
        assert guardrails["status"] == (f"1 speaker(s) in both train and test of a speaker-independent protocol "
                                        f"(e.g. {seen})")
    else:
        assert "speaker_disjoint" not in guardrails and guardrails["status"] == "clean"
