"""The test-access ledger: `mer train`, `mer eval --split test` and `mer bench` each log their test evaluations
in $MER_CACHE_DIR; summaries count the distinct configs per model and test split; records keep predictions."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from mer_toolkit.data.feature_cache import clear_cache
from mer_toolkit.results import read_records
from mer_toolkit.results.ledger import config_counts, ledger_path, read_ledger
from mer_toolkit.results.predictions import decode_predictions
from mer_toolkit.results.stats import metric_scores
from mer_toolkit.testing import assert_clean_error, run_mer

SMALL = ["--dataset", "demo", "--epochs", "1", "--set", "data.dataset_options.dialogues=60"]


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "cache"
    monkeypatch.setenv("MER_CACHE_DIR", str(folder))
    return folder


def train(out: Path, *extra: str) -> dict:
    proc = run_mer("train", "--model", "gated_mlp", *SMALL, "--quiet", "--out", str(out), *extra)
    assert proc.returncode == 0, proc.stderr
    (rec,) = read_records(out / "results.jsonl")
    return rec


def test_train_and_eval_log_test_evaluations(cache: Path, tmp_path: Path) -> None:
    rec = train(tmp_path / "run")
    (entry,) = read_ledger()
    assert ledger_path() == cache / "test_ledger.jsonl"
    assert {k: entry[k] for k in ("dataset", "protocol", "fold", "model", "config_hash", "source")} == {
        "dataset": rec["dataset"], "protocol": rec["protocol"], "fold": rec["fold"], "model": "gated_mlp",
        "config_hash": rec["config_hash"], "source": "train"}
    assert entry["time"].endswith("Z")

    # the record's predictions reproduce its test metrics
    pred = decode_predictions(rec).labelled()
    conf = np.zeros((len(rec["label_names"]),) * 2)
    np.add.at(conf, (pred.labels, pred.preds), 1)
    for m in ("wa", "ua", "wf1", "macro_f1"):
        assert float(metric_scores(conf, m)) == pytest.approx(rec["metrics"]["test"][m], abs=1e-3)
    assert len(pred.ids) == rec["sizes"]["test"] and np.allclose(pred.probs.sum(1), 1, atol=1e-2)

    checkpoint = str(Path(rec["run_dir"]) / "best.pt")
    assert run_mer("eval", checkpoint, "--split", "val").returncode == 0
    assert len(read_ledger()) == 1  # validation is not a test access
    assert run_mer("eval", checkpoint, "--split", "test").returncode == 0
    entries = read_ledger()
    assert [e["source"] for e in entries] == ["train", "eval"] and entries[1]["config_hash"] == rec["config_hash"]
    assert entries[1]["checkpoint"] == checkpoint
    assert config_counts(entries) == {("gated_mlp", rec["dataset"], rec["fold"]): 1}  # one config, twice

    other = train(tmp_path / "run2", "--set", "train.lr=0.01")
    assert other["config_hash"] != rec["config_hash"]
    assert config_counts(read_ledger()) == {("gated_mlp", rec["dataset"], rec["fold"]): 2}
    line = f"gated_mlp: 2 configs on {rec['dataset']}/{rec['fold']}"
    proc = run_mer("results", "compare", str(tmp_path / "run2"))
    assert proc.returncode == 0 and line in proc.stdout, proc.stdout
    listing = run_mer("results", "ledger", rec["dataset"])
    assert listing.returncode == 0 and "gated_mlp" in listing.stdout and "│ 2 " in listing.stdout, listing.stdout
    assert json.loads(run_mer("results", "ledger", "nope", "--json").stdout) == []

    (cache / "demo-text-minilm-0").mkdir()  # a feature entry: cleared, while the ledger beside it stays
    assert clear_cache() == 1 and not (cache / "demo-text-minilm-0").exists() and len(read_ledger()) == 3


def test_bench_logs_every_cell_and_reports_the_count(cache: Path, tmp_path: Path) -> None:
    proc = run_mer("bench", "--model", "gated_mlp", *SMALL, "--seeds", "2", "--out", str(tmp_path / "b"))
    assert proc.returncode == 0, proc.stderr
    recs = read_records(tmp_path / "b" / "results.jsonl")
    entries = read_ledger("demo")
    assert sorted((e["source"], e["seed"]) for e in entries) == [("bench", r["seed"]) for r in
                                                                    sorted(recs, key=lambda r: r["seed"])]
    assert all(r["predictions"]["ids"] for r in recs)
    line = f"gated_mlp: 1 config on demo/{recs[0]['fold']}"
    assert line in (tmp_path / "b" / "summary.md").read_text() and line in proc.stdout


def test_a_damaged_ledger_is_named(cache: Path) -> None:
    cache.mkdir()
    (cache / "test_ledger.jsonl").write_text('{"dataset": "demo"}\n')
    assert_clean_error(run_mer("results", "ledger"), str(cache / "test_ledger.jsonl") + ":1",
                       "['protocol', 'fold', 'model', 'config_hash'] missing")


def test_a_validation_only_run_logs_nothing(cache: Path, tmp_path: Path) -> None:
    """Tuning trials (``evaluate_test=False``) never touch the test split: no predictions, no ledger line."""
    from mer_toolkit.config import resolve_config
    from mer_toolkit.run.experiment import CorpusCache, run_fold, run_settings, select_dataset
    from mer_toolkit.testing import fresh_registry

    reg = fresh_registry(entry_points=True)
    cfg = select_dataset(resolve_config("gated_mlp", reg, ["data.dataset_options.dialogues=60"]), "demo", registry=reg)
    settings = run_settings(cfg, 0, 1, "cpu")
    corpora = CorpusCache(reg)
    rec = run_fold(settings, corpora.corpus(settings), corpora.folds(settings)[0], reg, run_dir=tmp_path / "r",
                   model_name="gated_mlp", evaluate_test=False)
    assert "test" not in rec["metrics"] and "predictions" not in rec and read_ledger() == []
