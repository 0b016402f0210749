"""`mer bench --tune N`: every model gets N trials per dataset on validation, then its seeds run tuned."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
import yaml

pytest.importorskip("optuna")

from mer_toolkit.cli.main import main  # noqa: E402
from mer_toolkit.results.report import markdown_table, summarize  # noqa: E402
from mer_toolkit.results import read_records  # noqa: E402


def test_bench_tune_runs_every_model_at_equal_budget(tmp_path: Path) -> None:
    out = tmp_path / "b"
    assert main(["bench", "--model", "concat_mlp,gated_mlp", "--dataset", "demo", "--tune", "2", "--seeds", "2",
                 "--epochs", "2", "--set", "data.dataset_options.dialogues=40", "--out", str(out)]) == 0
    recs = read_records(out / "results.jsonl")
    assert len(recs) == 4
    for r in recs:
        tuning = r["tuning"]
        assert tuning["trials"] == 2 and tuning["finished"] == 2 and tuning["selection"] == "val.wf1"
        assert (out / "tune" / f"{r['model']}-demo" / "study.db").is_file()
        ran = yaml.safe_load((Path(r["run_dir"]) / "config.yaml").read_text())
        for path, value in tuning["params"].items():  # the seeds trained with the study's best values
            node = ran
            for key in path.split("."):
                node = node[key]
            assert node == value, path
    assert {r["config_hash"] for r in recs if r["model"] == "concat_mlp"} != \
        {r["config_hash"] for r in recs if r["model"] == "gated_mlp"}
    text = (out / "summary.md").read_text()
    assert "demo: equal tuning budget, every model had 2 Optuna trials" in text
    # again with --resume: the studies are complete, nothing is tuned or trained twice
    assert main(["bench", "--model", "concat_mlp,gated_mlp", "--dataset", "demo", "--tune", "2", "--seeds", "2",
                 "--epochs", "2", "--set", "data.dataset_options.dialogues=40", "--out", str(out), "--resume"]) == 0
    assert len(read_records(out / "results.jsonl")) == 4
    uneven = copy.deepcopy(recs)
    uneven[0]["tuning"]["trials"] = 5
    assert "tuning budgets differ" in markdown_table(summarize(uneven))
    untuned = [{k: v for k, v in r.items() if k != "tuning"} for r in recs]
    assert "budget" not in markdown_table(summarize(untuned))
