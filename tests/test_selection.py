"""The trainer's model selection with scripted validation scores: best epoch, ties, patience, the loss
monitor, the restored weights, and resuming from ``last.pt`` with the best epoch kept."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pytest
import torch

from mer_toolkit.data.datasets.demo import make_demo
from mer_toolkit.data.loader import make_loader
from mer_toolkit.components.model import ComposedModel, DataSpec
from mer_toolkit.config.sections import TrainConfig
from mer_toolkit.testing import fresh_registry
from mer_toolkit.run.trainer import Trainer, load_checkpoint

SAMPLES = make_demo(dialogues=4).samples
SPEC = DataSpec({"text": 32, "audio": 24}, 4, ["angry", "happy", "neutral", "sad"], [1, 1, 1, 1])
MODEL = {"encoders": {"text": "features", "audio": "features"}, "fusion": "concat", "heads": {"emotion": "linear"}}


@pytest.fixture(scope="module")
def registry():
    return fresh_registry()


def scores(monitor: str, values: list[float]) -> list[dict[str, Any]]:
    """Validation results whose ``monitor`` follows ``values`` (the other metrics stay fixed)."""
    base = {"wa": 50.0, "ua": 50.0, "wf1": 50.0, "macro_f1": 50.0, "loss": 1.0, "confusion": []}
    return [{**base, monitor: v} for v in values]


def fit(registry, run_dir: Path | None, values: list[float], *, monitor: str = "wf1", patience: int | None = None,
        epochs: int | None = None, resume: bool = False, stop_after: int | None = None,
        seen: list | None = None, **train: Any) -> tuple[Trainer, Any]:
    """Train the tiny model with ``values`` as the validation scores of successive epochs (``seen`` collects
    what ``on_epoch`` received); evaluating any loader but the validation one fails the test."""
    torch.manual_seed(0)
    model = ComposedModel.from_spec(MODEL, SPEC, registry)
    cfg = TrainConfig(**{"epochs": epochs or len(values), "patience": patience, "monitor": monitor,
                         "device": "cpu", "lr": 0.05, **train})

    def on_epoch(row: dict[str, Any]) -> None:
        if seen is not None:
            seen.append(row)
        if row["epoch"] == stop_after:
            raise KeyboardInterrupt

    trainer = Trainer(model, cfg, run_dir=run_dir, label_names=SPEC.label_names, on_epoch=on_epoch)
    scripted = iter(scores(monitor, values))
    train_loader = make_loader(SAMPLES, 8, shuffle=True, seed=0)
    val_loader = make_loader(SAMPLES[:10], 8, shuffle=False)

    def evaluate(loader: Any) -> dict[str, Any]:
        assert loader is val_loader, "selection evaluated another loader than validation"
        return next(scripted)

    trainer.evaluate = evaluate  # type: ignore[method-assign]
    return trainer, trainer.fit(train_loader, val_loader, resume=resume)


def test_best_epoch_is_the_best_validation_score_and_its_weights_are_kept(registry, tmp_path: Path) -> None:
    trainer, res = fit(registry, tmp_path, [50.0, 70.0, 60.0, 65.0, 55.0])
    assert (res.best_epoch, res.epochs_run, res.stopped_early, res.best_val["wf1"]) == (2, 5, False, 70.0)
    best = load_checkpoint(tmp_path / "best.pt")
    assert best["epoch"] == 2 and load_checkpoint(tmp_path / "last.pt")["epoch"] == 5
    for k, v in trainer.model.state_dict().items():
        assert torch.equal(v, best["state_dict"][k]), k
    assert [row["epoch"] for row in res.history] == [1, 2, 3, 4, 5]
    assert all(set(row) == {"epoch", "train", "val"} and "confusion" not in row["val"] for row in res.history)
    assert res.train_seconds == pytest.approx(sum(row["train"]["seconds"] for row in res.history))


def test_each_epoch_reports_the_best_epoch_so_far(registry, tmp_path: Path) -> None:
    seen: list = []
    fit(registry, tmp_path, [50.0, 70.0, 60.0], seen=seen)
    assert [(r["epoch"], r["best_epoch"], r["improved"]) for r in seen] == [(1, 1, True), (2, 2, True), (3, 2, False)]


def test_without_a_run_directory_nothing_is_written_and_the_best_weights_are_kept(registry, tmp_path: Path,
                                                                                  monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    trainer, res = fit(registry, None, [50.0, 70.0, 60.0])
    assert res.best_epoch == 2 and list(tmp_path.iterdir()) == []


def test_a_new_run_in_the_same_directory_starts_afresh_without_resume(registry, tmp_path: Path) -> None:
    fit(registry, tmp_path, [50.0, 60.0])
    _, res = fit(registry, tmp_path, [40.0, 30.0, 20.0])
    assert (res.resumed_from, res.epochs_run, res.best_epoch) == (0, 3, 1)


@pytest.mark.parametrize("scheduler,warmup,expected", [
    ("constant", 0, [1.0] * 8),
    ("linear", 0, [1 - s / 8 for s in range(8)]),
    ("cosine", 0, [0.5 * (1 + math.cos(math.pi * s / 8)) for s in range(8)]),
    ("cosine", 2, [0.5, 1.0] + [0.5 * (1 + math.cos(math.pi * (s - 2) / 6)) for s in range(2, 8)]),
])
def test_learning_rate_schedule(registry, scheduler: str, warmup: int, expected: list[float]) -> None:
    trainer = Trainer(ComposedModel.from_spec(MODEL, SPEC, registry), TrainConfig(device="cpu", scheduler=scheduler),
                      label_names=SPEC.label_names)
    assert [trainer._lr_factor(s, 8, warmup) for s in range(8)] == pytest.approx(expected)
    assert trainer._lr_factor(12, 8, 0) == (0.0 if scheduler != "constant" else 1.0)


def test_last_step_of_training_uses_the_scheduled_rate(registry, tmp_path: Path) -> None:
    trainer, _ = fit(registry, tmp_path, [50.0, 60.0], scheduler="linear", warmup_epochs=1.0, lr=0.1)
    steps = len(make_loader(SAMPLES, 8, shuffle=True, seed=0))  # per epoch; 2 epochs, the first one warms up
    assert trainer.optimizer.param_groups[0]["lr"] == pytest.approx(0.1 * (1 - (steps - 1) / steps))


def test_ties_keep_the_earlier_epoch_and_loss_is_minimised(registry, tmp_path: Path) -> None:
    assert fit(registry, tmp_path / "a", [60.0, 60.0, 40.0])[1].best_epoch == 1
    assert fit(registry, tmp_path / "b", [1.0, 0.4, 0.7], monitor="loss")[1].best_epoch == 2
    assert fit(registry, tmp_path / "t", [0.5, 0.5], monitor="loss")[1].best_epoch == 1
    assert fit(registry, tmp_path / "c", [30.0, 20.0, 40.0], monitor="ua")[1].best_epoch == 3


def test_patience_counts_epochs_without_improvement(registry, tmp_path: Path) -> None:
    _, res = fit(registry, tmp_path / "a", [50.0, 70.0, 60.0, 65.0, 90.0], patience=2)
    assert (res.best_epoch, res.epochs_run, res.stopped_early) == (2, 4, True)
    _, res = fit(registry, tmp_path / "b", [50.0, 70.0, 60.0, 75.0, 74.0], patience=2)
    assert (res.best_epoch, res.epochs_run, res.stopped_early) == (4, 5, False)


def test_resume_keeps_the_best_epoch_seen_before_the_interruption(registry, tmp_path: Path) -> None:
    with pytest.raises(KeyboardInterrupt):
        fit(registry, tmp_path / "first", [50.0], epochs=2, stop_after=1)
    assert fit(registry, tmp_path / "first", [40.0], epochs=2, resume=True)[1].history[1]["resumed_from"] == 1
    tmp_path = tmp_path / "second"
    with pytest.raises(KeyboardInterrupt):
        fit(registry, tmp_path, [50.0, 80.0], epochs=4, stop_after=2)
    trainer, res = fit(registry, tmp_path, [60.0, 70.0], epochs=4, resume=True)
    assert (res.resumed_from, res.best_epoch, res.epochs_run, res.best_val["wf1"]) == (2, 2, 4, 80.0)
    assert [row["epoch"] for row in res.history] == [1, 2, 3, 4]
    assert [row.get("resumed_from") for row in res.history] == [None, None, 2, None]
    best = load_checkpoint(tmp_path / "best.pt")
    for k, v in trainer.model.state_dict().items():
        assert torch.equal(v, best["state_dict"][k]), k
