"""Paired bootstrap intervals, ties with the best, the agreement breakdown and predictions kept in records,
on synthetic records whose differences are planted (no training: these run in seconds)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch

from mer_toolkit.errors import DataError
from mer_toolkit.results.compare import agreement_breakdown, compare_pair
from mer_toolkit.results.predictions import decode_predictions, encode_predictions
from mer_toolkit.results.records import append_record
from mer_toolkit.results.report import markdown_table, summarize
from mer_toolkit.results.stats import BootstrapCell, bootstrap, metric_scores, paired_test
from mer_toolkit.run.metrics import compute_metrics
from mer_toolkit.testing import assert_clean_error, run_mer

LABELS = ["neutral", "happy", "sad", "angry"]


def record(model: str, fold: str, seed: int, ids: list[str], labels: np.ndarray, preds: np.ndarray,
           dataset: str = "toy") -> dict:
    """A run record as run_fold writes it, with one-hot-ish logits for ``preds``."""
    logits = torch.nn.functional.one_hot(torch.as_tensor(preds), len(LABELS)).float() * 3
    test = compute_metrics(logits, torch.as_tensor(labels), LABELS)
    return {"model": model, "dataset": dataset, "protocol": "toy", "fold": fold, "seed": seed,
            "config_hash": f"h{model}", "selection": "val.wf1", "metrics": {"val": {"wf1": 0.0}, "test": test},
            "label_names": LABELS, "guardrails": {"status": "clean"},
            "predictions": encode_predictions(ids, labels, logits)}


def planted(accuracy: float, labels: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Predictions right on a random ``accuracy`` share of the utterances, a wrong class elsewhere."""
    right = rng.random(len(labels)) < accuracy
    return np.where(right, labels, (labels + rng.integers(1, len(LABELS), len(labels))) % len(LABELS))


def grid(accuracies: dict[str, float], folds: int = 2, seeds: int = 3, n: int = 300, seed: int = 0) -> list[dict]:
    """Records of each model on every (fold, seed) cell, each right on a random share of the fold's utterances."""
    rng = np.random.default_rng(seed)
    out = []
    for f in range(folds):
        ids = [f"f{f}_u{i}" for i in range(n)]
        labels = rng.integers(0, len(LABELS), n)
        for s in range(seeds):
            out += [record(m, f"fold{f}", s, ids, labels, planted(acc, labels, rng)) for m, acc in accuracies.items()]
    return out


def write(records: list[dict], folder: Path) -> Path:
    for r in records:
        append_record(folder / "results.jsonl", r)
    return folder


def test_bootstrap_matches_the_hand_computed_distribution() -> None:
    # A right on 3 utterances, B on the first only: per-utterance differences (0, 1, 1). A resample draws the
    # first utterance k ~ Binomial(3, 1/3) times, so WA(A) − WA(B) = 100 (3 − k) / 3: 0 with P = 1/27,
    # 33.3 with 6/27, 66.7 with 12/27, 100 with 8/27. Percentile interval [0, 100]; P(diff ≤ 0) = 1/27 so the
    # two-sided p is 2/27; sd = 100/3 · sqrt(3 · 1/3 · 2/3) = 27.2.
    cell = BootstrapCell("f", np.array([0, 1, 1]), np.array([0, 1, 1]), np.array([0, 0, 0]))
    (iv,) = bootstrap([cell], 2, ["wa"], n_boot=20000, seed=1)
    assert (iv.mean_a, iv.mean_b, iv.diff) == pytest.approx((100.0, 100 / 3, 200 / 3))
    assert (iv.low, iv.high) == (pytest.approx(0.0), pytest.approx(100.0))
    assert iv.p == pytest.approx(2 / 27, abs=0.006)
    assert iv.se == pytest.approx(100 / 3 * np.sqrt(2 / 3), rel=0.03)
    assert iv.mde == pytest.approx(2.8016 * iv.se, rel=1e-3) and iv.tied


def test_seeds_of_a_fold_share_the_utterance_draw() -> None:
    # Two seeds of one fold with identical predictions: sharing the draw leaves the spread of a single cell;
    # drawing each seed's utterances independently would shrink the standard error by sqrt(2).
    labels = np.array([0, 1] * 20)
    a = labels.copy()
    b = np.where(np.arange(40) % 4 == 0, 1 - labels, labels)
    one = bootstrap([BootstrapCell("f", labels, a, b)], 2, ["wa"], n_boot=4000)[0]
    two = bootstrap([BootstrapCell("f", labels, a, b)] * 2, 2, ["wa"], n_boot=4000)[0]
    assert two.se == pytest.approx(one.se, rel=0.08)


def test_metric_scores_equal_the_recorded_metrics() -> None:
    rng = np.random.default_rng(3)
    labels = rng.integers(0, 3, 50)  # class 3 never true; predicted sometimes
    preds = np.where(rng.random(50) < 0.6, labels, rng.integers(0, 4, 50))
    conf = np.asarray(compute_metrics(torch.nn.functional.one_hot(torch.as_tensor(preds), 4).float(),
                                      torch.as_tensor(labels), LABELS)["confusion"])
    ref = compute_metrics(torch.nn.functional.one_hot(torch.as_tensor(preds), 4).float(), torch.as_tensor(labels),
                          LABELS)
    for m in ("wa", "ua", "wf1", "macro_f1"):
        assert float(metric_scores(conf, m)) == pytest.approx(ref[m], abs=1e-3), m


def test_predictions_round_trip_through_the_record() -> None:
    logits = torch.tensor([[2.0, 0.5, -1.0, 0.0], [0.1, 0.2, 3.0, 0.0], [0.0, 0.0, 0.0, 0.0]])
    field = encode_predictions(["a", "b", "c"], torch.tensor([0, 2, -1]), logits)
    pred = decode_predictions({"predictions": json.loads(json.dumps(field)), "model": "m", "dataset": "d",
                               "fold": "f", "seed": 0})
    assert pred.ids == ["a", "b", "c"] and pred.labels.tolist() == [0, 2, -1] and pred.preds.tolist() == [0, 2, 0]
    assert np.allclose(pred.probs, torch.softmax(logits, 1).numpy(), atol=1e-3)
    assert pred.labelled().ids == ["a", "b"]


def test_a_planted_difference_is_found_with_its_size() -> None:
    # A right on 75 %, B on 60 % of 2 folds × 300 utterances, 3 seeds: WA difference about 15 points.
    recs = grid({"a": 0.75, "b": 0.60})
    res = compare_pair(recs, "a", "b", "toy")
    wa = next(m for m in res["metrics"] if m["metric"] == "wa")
    assert res["cells"] == 6 and res["utterances"] == 1800
    assert wa["diff"] == pytest.approx(15, abs=3) and wa["low"] > 5 and wa["low"] < wa["diff"] < wa["high"]
    assert not wa["tied"] and wa["p"] < 0.01 and wa["mde"] < 15
    assert wa["mean_a"] == pytest.approx(np.mean([r["metrics"]["test"]["wa"] for r in recs if r["model"] == "a"]))
    same = compare_pair(grid({"a": 0.7, "b": 0.7}, seed=5), "a", "b", "toy")
    assert all(m["tied"] for m in same["metrics"]) and all(m["p"] > 0.05 for m in same["metrics"])


def test_ties_with_the_best_are_marked(tmp_path: Path) -> None:
    recs = grid({"a1": 0.75, "a2": 0.75, "far": 0.55})  # a1 and a2 equally good: whichever leads, the other ties
    rows = summarize(recs)
    by = {r["model"]: r for r in rows}
    metrics = ("wa", "ua", "wf1", "macro_f1")
    for m in metrics:
        best = max(("a1", "a2"), key=lambda x: by[x][m])
        other = "a2" if best == "a1" else "a1"
        assert m not in by[best]["vs_best"] and by[other]["vs_best"][m]["best"] == best
        assert by[other]["vs_best"][m]["tied"] and not by["far"]["vs_best"][m]["tied"]
    table = markdown_table(rows, ["a1: 1 config on toy/fold0"])
    lines = {line.split("|")[2].strip(): line for line in table.splitlines() if line.startswith("| toy")}
    assert lines["a1"].count("≈") + lines["a2"].count("≈") == 4 and "≈" not in lines["far"]
    assert lines["a1"].count("**") + lines["a2"].count("**") == 8
    assert "a1: 1 config on toy/fold0" in table and "≈: tied with the best" in table
    proc = run_mer("results", "compare", str(write(recs, tmp_path)), "--test", "far,a1")
    assert proc.returncode == 0, proc.stderr
    assert "≈" in proc.stdout and "a1 better" in proc.stdout and "95% interval" in proc.stdout


def test_two_runs_of_one_model_are_paired_through_labels(tmp_path: Path) -> None:
    recs = grid({"strong": 0.75, "weak": 0.60})  # one model in two settings: both runs name it "m"
    runs = {k: write([{**r, "model": "m"} for r in recs if r["model"] == k], tmp_path / k) for k in ("strong", "weak")}
    proc = run_mer("results", "compare", f"s={runs['strong']}", f"w={runs['weak']}", "--test", "s/m,w/m", "--json")
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    (test,) = out["tests"]
    wa = next(m for m in test["metrics"] if m["metric"] == "wa")
    assert test["cells"] == 6 and wa["diff"] == pytest.approx(15, abs=3) and not wa["tied"]
    assert {r["model"] for r in out["rows"]} == {"s/m", "w/m"}
    assert_clean_error(run_mer("results", "compare", str(runs["strong"]), str(runs["weak"]), "--test", "s/m,w/m"),
                       "no records of model(s) ['s/m', 'w/m']", "['m']")
    assert_clean_error(run_mer("results", "compare", f"a/b={runs['weak']}"), "'a/b=", "without '/' or ','")


def test_a_model_right_only_when_the_modalities_agree() -> None:
    rng = np.random.default_rng(7)
    recs = []
    for f in range(2):
        ids = [f"f{f}_{i}" for i in range(400)]
        labels = rng.integers(0, len(LABELS), 400)
        for s in range(2):
            text, audio = planted(0.7, labels, rng), planted(0.6, labels, rng)
            agree = text == audio
            fusion = np.where(agree, labels, (labels + 1) % len(LABELS))  # right exactly where the two agree
            recs += [record(name, f"fold{f}", s, ids, labels, pred)
                     for name, pred in (("text", text), ("audio", audio), ("fusion", fusion))]
    rep = agreement_breakdown(recs, "text", "audio", "toy")
    fusion = rep["models"]["fusion"]
    assert fusion["agree"]["wa"]["mean"] == pytest.approx(100.0) and fusion["disagree"]["wa"]["mean"] == 0.0
    assert rep["parts"]["agree"] + rep["parts"]["disagree"] == 1600
    assert fusion["agree"]["utterances"] == rep["parts"]["agree"]
    text = rep["models"]["text"]  # where the two agree they are both right or both wrong the same way
    assert text["agree"]["wa"]["low"] <= text["agree"]["wa"]["mean"] <= text["agree"]["wa"]["high"]
    assert text["agree"]["wa"]["mean"] > text["disagree"]["wa"]["mean"]
    pair = agreement_breakdown(recs, "text", "audio", "toy", models=["fusion"], pair=("fusion", "text"))["pair"]
    assert pair["disagree"]["wa"]["diff"] == pytest.approx(-text["disagree"]["wa"]["mean"])
    assert pair["disagree"]["wa"]["high"] < 0 and not pair["disagree"]["wa"]["tied"]
    assert pair["agree"]["wa"]["diff"] == pytest.approx(100 - text["agree"]["wa"]["mean"])
    assert pair["agree"]["wa"]["diff"] > 0


def test_breakdown_command(tmp_path: Path) -> None:
    folder = write(grid({"text": 0.7, "audio": 0.6, "fusion": 0.75}), tmp_path)
    proc = run_mer("results", "breakdown", str(folder), "--by-agreement", "text,audio", "--metric", "wa", "--json",
                   "--test", "fusion,text")
    assert proc.returncode == 0, proc.stderr
    (rep,) = json.loads(proc.stdout)
    assert set(rep["pair"]["disagree"]["wa"]) == {"mean_a", "mean_b", "diff", "low", "high", "p", "tied"}
    shown = run_mer("results", "breakdown", str(folder), "--by-agreement", "text,audio", "--test", "fusion,text")
    assert shown.returncode == 0 and "fusion − text on each part" in shown.stdout, shown.stderr
    assert set(rep["models"]) == {"text", "audio", "fusion"} and set(rep["models"]["fusion"]["agree"]) == {
        "utterances", "wa"}
    assert_clean_error(run_mer("results", "breakdown", str(folder), "--by-agreement", "text,video"),
                       "no records of model(s) ['video']", "['audio', 'fusion', 'text']")
    assert_clean_error(run_mer("results", "breakdown", str(folder), "--by-agreement", "text"),
                       "--by-agreement 'text'", "two model names")


def test_records_without_predictions_are_named(tmp_path: Path) -> None:
    recs = grid({"a": 0.7, "b": 0.6}, folds=1, seeds=2)
    for r in recs[:2]:
        del r["predictions"]
        r["run_dir"] = f"runs/old/{r['model']}"
    folder = write(recs, tmp_path)
    assert_clean_error(run_mer("results", "compare", str(folder), "--test", "a,b"), "2 record(s) have none",
                       "a on toy fold fold0 seed 0 (runs/old/a)", "rerun those cells")
    proc = run_mer("results", "compare", str(folder))  # the table itself needs no predictions
    assert proc.returncode == 0 and "Not tested against the best" in proc.stdout
    assert_clean_error(run_mer("results", "compare", str(folder), "--test", "a,b", "--metric", "f1"),
                       "['f1'] not among the metrics")
    assert_clean_error(run_mer("results", "compare", str(folder), "--test", "a,b", "--boot", "5"), "--boot 5")
    assert_clean_error(run_mer("results", "compare", str(folder), "--test", "a,c"), "no records of model(s) ['c']")


def test_records_of_one_cell_must_share_utterances_and_labels() -> None:
    recs = grid({"a": 0.7, "b": 0.6}, folds=1, seeds=1)
    shuffled = dict(recs[1], predictions=dict(recs[1]["predictions"]))
    order = list(reversed(range(len(recs[1]["predictions"]["ids"]))))
    pred = decode_predictions(recs[1])
    shuffled["predictions"] = encode_predictions([pred.ids[i] for i in order], pred.labels[order],
                                                 np.log(pred.probs[order] + 1e-9))
    same = compare_pair([recs[0], shuffled], "a", "b", "toy")  # another order: matched by id
    assert same["metrics"] == compare_pair(recs, "a", "b", "toy")["metrics"]
    relabelled = dict(recs[1], predictions=encode_predictions(pred.ids, (pred.labels + 1) % 4, np.log(pred.probs)))
    with pytest.raises(DataError, match="different labels"):
        compare_pair([recs[0], relabelled], "a", "b", "toy")
    fewer = dict(recs[1], predictions=encode_predictions(pred.ids[1:], pred.labels[1:], np.log(pred.probs[1:])))
    with pytest.raises(DataError, match="not the same ones"):
        compare_pair([recs[0], fewer], "a", "b", "toy")


def test_one_matched_cell_has_no_sign_flip_evidence() -> None:
    one = paired_test([80.0], [70.0])  # ±10 with equal odds under the null
    assert (one.p_permutation, one.p_wilcoxon, one.mean_diff) == (1.0, 1.0, 10.0)
    assert paired_test([1.0, 2.0, 3.0], [0.0, 1.0, 3.0]).p_permutation == pytest.approx(0.5)  # 4 flips, 2 as extreme
    many = paired_test([float(i + 1) for i in range(20)], [0.0] * 20)  # 20 cells: random flips, seeded
    assert many.p_permutation < 0.001 and many.p_wilcoxon < 0.001
    assert paired_test([float(i + 1) for i in range(20)], [0.0] * 20) == many
