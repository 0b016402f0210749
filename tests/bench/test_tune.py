"""`mer tune`: search spaces, validation-only trials, pruning, best config, resumable and shared studies."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

optuna = pytest.importorskip("optuna")
sqlalchemy = pytest.importorskip("sqlalchemy")

from mer_toolkit.cli.main import main  # noqa: E402
from mer_toolkit.config import resolve_config  # noqa: E402
from mer_toolkit.errors import ConfigError  # noqa: E402
from mer_toolkit.run.experiment import run_settings, select_dataset  # noqa: E402
from mer_toolkit.plugins import get_registry  # noqa: E402
from mer_toolkit.bench.search import check_space, find_search_space, load_search_space  # noqa: E402
from mer_toolkit.testing import fresh_registry  # noqa: E402
from mer_toolkit.bench.tune import default_storage, run_tune  # noqa: E402

SMALL = ["data.dataset_options.dialogues=40"]


def finished(storage: str, name: str) -> list:
    study = optuna.load_study(study_name=name, storage=storage)
    return [t for t in study.get_trials() if t.state.name in ("COMPLETE", "PRUNED")]


def test_search_files_parse_with_located_errors(tmp_path: Path) -> None:
    good = tmp_path / "s.yaml"
    good.write_text("search:\n  train.lr: {type: float, low: 1.0e-4, high: 1.0e-2, log: true}\n"
                    "  model.fusion.layers: {type: int, low: 1, high: 3}\n"
                    "  model.heads.emotion.hidden: {type: choice, values: [[64], [128, 64]]}\n")
    space = load_search_space(good)
    study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=0))
    for _ in range(30):
        trial = study.ask()
        values = space.suggest(trial)
        assert 1e-4 <= values["train.lr"] <= 1e-2 and values["model.fusion.layers"] in (1, 2, 3)
        assert values["model.heads.emotion.hidden"] in ([64], [128, 64])
        study.tell(trial, 0.0)
    dist = study.trials[0].distributions
    assert dist["train.lr"].log and isinstance(dist["model.fusion.layers"], optuna.distributions.IntDistribution)
    bad = tmp_path / "bad.yaml"
    bad.write_text("search:\n  train.lr: {type: float, low: 1.0e-2, high: 1.0e-4}\n")
    with pytest.raises(ConfigError, match=r"bad.yaml:2: search.train.lr needs low < high"):
        load_search_space(bad)
    bad.write_text("search:\n  train.lr: {type: normal, mean: 1}\n")
    with pytest.raises(ConfigError, match=r"bad.yaml:2: search.train.lr must be a mapping with type"):
        load_search_space(bad)
    bad.write_text("search:\n  model.fusion.nope: {type: int, low: 1, high: 3}\n")
    reg = fresh_registry()
    cfg = resolve_config("concat_mlp", reg)
    with pytest.raises(ConfigError, match=r"bad.yaml:2: search.model.fusion.nope does not fit"):
        check_space(load_search_space(bad), cfg, reg)


MODELS = ["drkf", "drkf-no-orl", "drkf-no-ed", "drkf-e2e", "early_fusion", "late_fusion", "tfn", "lmf", "mult",
          "misa", "mmgcn", "concat_mlp", "gated_mlp"]


@pytest.mark.parametrize("model", MODELS)
def test_every_shipped_model_has_a_search_space_that_fits(model: str) -> None:
    reg = get_registry()
    cfg = select_dataset(resolve_config(model, reg), "demo", registry=reg)
    space = find_search_space(model, reg, cfg)
    assert len(space.params) >= 3 and any(p.log for p in space.params)
    check_space(space, cfg, reg)
    if model == "drkf-no-orl":  # inherited from drkf minus the ORL it does not have
        assert space.dropped and all(p.startswith("model.interaction.") for p in space.dropped)


@pytest.fixture(scope="module")
def tuned(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("tune") / "concat"
    assert main(["tune", "--model", "concat_mlp", "--dataset", "demo", "--trials", "3", "--epochs", "2",
                 "--set", SMALL[0], "--set", "train.amp=off", "--out", str(out)]) == 0
    return out


def test_tune_writes_study_table_plots_and_best_config(tuned: Path) -> None:
    for name in ("study.db", "trials.csv", "trials.md", "best.yaml", "history.png", "importances.png"):
        assert (tuned / name).is_file(), name
    trials = finished(default_storage(tuned), "concat_mlp-demo")
    assert len(trials) == 3
    best = max((t for t in trials if t.state.name == "COMPLETE"), key=lambda t: t.value)
    cfg = yaml.safe_load((tuned / "best.yaml").read_text())
    assert cfg["_base_"] == "concat_mlp" and cfg["train"]["lr"] == best.params["train.lr"]
    assert cfg["train"]["amp"] == "off"  # --set values keep their YAML 1.2 reading (YAML 1.1 made 'off' false)
    reg = get_registry()
    # the best config resolves to exactly the configuration the best trial trained
    ran = yaml.safe_load((tuned / "trials" / f"{best.number:04d}" / "config.yaml").read_text())
    again = run_settings(select_dataset(resolve_config(str(tuned / "best.yaml"), reg), "demo", registry=reg), 1, epochs=2)
    assert again.resolved["train"] == ran["train"] and again.resolved["model"] == ran["model"]
    assert len((tuned / "trials.csv").read_text().splitlines()) == 4
    # trial 0 is the shipped config (every searched value of it lies in the space), so the best is never below it
    shipped = select_dataset(resolve_config("concat_mlp", reg, SMALL), "demo", registry=reg).data
    first = min(trials, key=lambda t: t.number)
    assert first.params == {"train.lr": shipped["train"]["lr"], "train.weight_decay": shipped["train"]["weight_decay"],
                            "model.adapters.text.dim": str(shipped["model"]["adapters"]["text"]["dim"]),
                            "model.adapters.audio.dim": str(shipped["model"]["adapters"]["audio"]["dim"]),
                            "model.heads.emotion.dropout": shipped["model"]["heads"]["emotion"]["dropout"]}


def test_trials_never_see_the_test_split(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import mer_toolkit.run.experiment as experiment

    seen: list[str] = []
    real = experiment.make_loader

    def spy(samples, *args, **kwargs):  # noqa: ANN001, ANN002, ANN003 - same signature as make_loader
        seen.extend(s.id for s in samples)
        return real(samples, *args, **kwargs)

    monkeypatch.setattr(experiment, "make_loader", spy)
    reg = get_registry()
    res = run_tune("concat_mlp", "demo", reg, trials=1, out=tmp_path, overrides=SMALL, epochs=1, pruner="none")
    from mer_toolkit.bench.grid import plan_grid

    (cell,) = plan_grid(["concat_mlp"], ["demo"], [1], reg, overrides=SMALL, epochs=1)
    assert res.fold == cell.fold.name and seen
    assert not set(seen) & {s.id for s in cell.fold.test}
    assert set(seen) == {s.id for s in cell.fold.train} | {s.id for s in cell.fold.val}


@pytest.mark.parametrize("pruner,pruned", [("median", True), ("none", False)])
def test_median_pruning_stops_a_hopeless_trial(tmp_path: Path, pruner: str, pruned: bool) -> None:
    space = tmp_path / "lr.yaml"
    space.write_text("search:\n  train.lr: {type: float, low: 1.0e-9, high: 1.0e-1, log: true}\n")
    storage = default_storage(tmp_path)
    study = optuna.create_study(study_name="s", storage=storage, direction="maximize")
    for lr in (1e-2, 1e-2, 1e-9):  # two that learn, then one that cannot move
        study.enqueue_trial({"train.lr": lr})
    run_tune("concat_mlp", "demo", get_registry(), trials=3, out=tmp_path, study="s", search=str(space),
             overrides=["data.dataset_options.dialogues=60", "train.patience=null"], epochs=3, pruner=pruner)
    last = optuna.load_study(study_name="s", storage=storage).trials[2]
    assert last.params["train.lr"] == 1e-9
    assert (last.state.name == "PRUNED") is pruned
    assert last.last_step == (1 if pruned else 3)


def tune_cmd(out: Path, trials: int, storage: str | None = None, epochs: int = 2) -> list[str]:
    return [sys.executable, "-m", "mer_toolkit.cli.main", "tune", "--model", "concat_mlp", "--dataset", "demo",
            "--trials", str(trials), "--epochs", str(epochs), "--set", SMALL[0], "--out", str(out), "--pruner", "none",
            *(["--storage", storage] if storage else [])]


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGKILL])
def test_killed_study_continues_to_the_requested_count(tmp_path: Path, sig: int) -> None:
    storage = default_storage(tmp_path)
    proc = subprocess.Popen(tune_cmd(tmp_path, 3, epochs=6), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
    deadline = time.time() + 180
    while time.time() < deadline:
        time.sleep(0.5)
        if (tmp_path / "study.db").is_file():
            try:
                if len(finished(storage, "concat_mlp-demo")) >= 1:
                    break
            except KeyError:  # the study is not created yet
                pass
            except sqlalchemy.exc.SQLAlchemyError:  # the worker is creating the database schema right now
                pass
    proc.send_signal(sig)
    _, err = proc.communicate(timeout=60)
    if sig == signal.SIGTERM:
        assert proc.returncode == 130 and "Run the same command again" in err and "Traceback" not in err
    before = {t.number: (t.params, t.value) for t in finished(storage, "concat_mlp-demo")}
    assert 1 <= len(before) < 3
    assert main(["tune", "--model", "concat_mlp", "--dataset", "demo", "--trials", "3", "--epochs", "6",
                 "--set", SMALL[0], "--out", str(tmp_path), "--pruner", "none"]) == 0
    after = {t.number: (t.params, t.value) for t in finished(storage, "concat_mlp-demo")}
    assert len(after) == 3
    assert {n: after[n] for n in before} == before  # finished trials are kept, not run again


def test_two_processes_share_one_study(tmp_path: Path) -> None:
    storage = f"sqlite:///{tmp_path / 'shared.db'}"
    procs = [subprocess.Popen(tune_cmd(tmp_path / f"w{i}", 4, storage), stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for i in range(2)]
    for p in procs:
        _, err = p.communicate(timeout=300)
        assert p.returncode == 0, err
    trials = finished(storage, "concat_mlp-demo")
    assert 4 <= len(trials) <= 5  # the count is reached; a worker finishing its last trial may add one
    workers = {t.user_attrs["worker"] for t in trials}
    assert len(workers) == 2 and all(str(p.pid) in " ".join(workers) for p in procs)
    assert os.path.isfile(tmp_path / "w0" / "best.yaml") and os.path.isfile(tmp_path / "w1" / "best.yaml")
