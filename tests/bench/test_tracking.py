"""TensorBoard event files and MLflow runs of every epoch, read back with the libraries' own readers."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mer_toolkit.cli.main import main
from mer_toolkit.config import resolve_config
from mer_toolkit.run.experiment import run_settings, select_dataset
from mer_toolkit.results import read_records
from mer_toolkit.testing import fresh_registry

ARGS = ["bench", "--model", "drkf", "--dataset", "demo", "--seeds", "1", "--epochs", "2",
        "--set", "data.dataset_options.dialogues=40"]


def epoch_rows(run_dir: Path) -> list[dict]:
    return [json.loads(line) for line in (run_dir / "log.jsonl").read_text().splitlines()]


@pytest.fixture(scope="module")
def tracked(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """One DRKF cell tracked to TensorBoard and to an MLflow SQLite store at once (both read the same epochs)."""
    pytest.importorskip("tensorboard")
    pytest.importorskip("mlflow")
    out = tmp_path_factory.mktemp("tracked")
    uri = f"sqlite:///{out / 'mlflow.db'}"
    assert main([*ARGS, "--out", str(out / "b"), "--tensorboard", "--mlflow", uri]) == 0
    return out / "b", uri


def test_tensorboard_events_hold_every_loss_term_and_metric(tracked: tuple[Path, str]) -> None:
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    (rec,) = read_records(tracked[0] / "results.jsonl")
    rows = epoch_rows(Path(rec["run_dir"]))
    acc = EventAccumulator(str(Path(rec["run_dir"]) / "tensorboard"))
    acc.Reload()
    tags = set(acc.Tags()["scalars"])
    terms = [k for k in rows[0]["train"] if k not in ("seconds", "loader_wait_fraction")]
    assert len(terms) >= 4  # DRKF's named terms: CE, ED, ORL's contrastive / reconstruction / KL terms
    assert {f"train/{t}" for t in terms} | {"val/wf1", "val/ua", "val/wa", "val/loss"} <= tags
    for tag, section, key in (("val/wf1", "val", "wf1"), (f"train/{terms[-1]}", "train", terms[-1])):
        events = acc.Scalars(tag)
        assert [e.step for e in events] == [1, 2]
        assert [e.value for e in events] == pytest.approx([r[section][key] for r in rows], rel=1e-6)


def assert_mlflow_run_per_cell(out: Path, uri: str) -> None:
    from mlflow.tracking import MlflowClient

    (rec,) = read_records(out / "results.jsonl")
    rows = epoch_rows(Path(rec["run_dir"]))
    client = MlflowClient(tracking_uri=uri)
    exp = client.get_experiment_by_name("demo")
    (run,) = client.search_runs([exp.experiment_id])
    assert run.info.run_name == "drkf/official/seed1" and run.info.status == "FINISHED"
    assert run.data.tags["config_hash"] == rec["config_hash"] and run.data.params["train.lr"] == "0.001"
    history = client.get_metric_history(run.info.run_id, "val/wf1")
    assert [m.step for m in history] == [1, 2]
    assert [m.value for m in history] == pytest.approx([r["val"]["wf1"] for r in rows])
    assert len(client.get_metric_history(run.info.run_id, "train/loss")) == 2


def test_mlflow_run_per_cell_with_epoch_metrics_in_sqlite(tracked: tuple[Path, str]) -> None:
    assert_mlflow_run_per_cell(*tracked)


def test_mlflow_run_per_cell_with_epoch_metrics_in_files(tmp_path: Path) -> None:
    pytest.importorskip("mlflow")
    uri = (tmp_path / "mlruns").as_uri()
    assert main([*ARGS, "--out", str(tmp_path / "b"), "--mlflow", uri]) == 0
    assert_mlflow_run_per_cell(tmp_path / "b", uri)


def test_tracking_does_not_change_the_config_hash() -> None:
    reg = fresh_registry(entry_points=True)
    plain = select_dataset(resolve_config("drkf", reg), "demo", registry=reg)
    tracked = select_dataset(resolve_config("drkf", reg, ["train.tensorboard=true", "train.mlflow=sqlite:///x.db"]),
                             "demo", registry=reg)
    a, b = run_settings(plain, 1), run_settings(tracked, 1)
    assert a.config_hash == b.config_hash and b.resolved["train"]["tensorboard"] is True
