"""``mer tune``: an Optuna study (TPE, median or Hyperband pruning) over a model's search space.

Each trial trains on the tuning fold's training split and reports its validation metric after every
epoch; the test split is never evaluated. The study lives in a database (SQLite in the output folder
by default, any SQLAlchemy URL otherwise), so a killed study continues and several processes share one.
"""

from __future__ import annotations

import csv
import json
import os
import platform
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from ..config import resolve_config
from ..config.overrides import parse_override
from ..errors import ConfigError, MerError, RunError
from ..config.overrides import apply_overrides
from ..data.dataset_choice import dataset_label, select_dataset, set_root
from ..run.experiment import CorpusCache, run_fold, run_settings
from ..run.interrupts import stop_on_signals
from ..config.metrics import metric_direction
from .search import SearchSpace, as_overrides, check_space, find_search_space, load_search_space, nest

__all__ = ["TuneResult", "TuneInterrupted", "run_tune", "study_name", "default_storage", "import_optuna"]

FINISHED = ("COMPLETE", "PRUNED")


class TuneInterrupted(MerError):
    """SIGINT/SIGTERM during a study: finished trials are stored, the same command continues it."""

    exit_code = 130


@dataclass
class TuneResult:
    """Where the study lives and what it found."""

    study: str
    storage: str
    monitor: str
    direction: str
    trials: int
    finished: int
    best_params: dict[str, Any]
    best_value: float
    best_trial: int
    fold: str
    best_config: Path

    def to_record(self) -> dict[str, Any]:
        return {"trials": self.trials, "finished": self.finished, "study": self.study, "storage": self.storage,
                "selection": f"val.{self.monitor}", "fold": self.fold, "best_trial": self.best_trial,
                "best_value": self.best_value, "params": self.best_params}


def import_optuna() -> Any:
    try:
        import optuna
    except ImportError:
        raise ConfigError("tuning needs Optuna, which is not installed: pip install 'mer-toolkit[tune]'") from None
    optuna.logging.set_verbosity(optuna.logging.ERROR)  # trial outcomes are reported by the caller
    return optuna


def study_name(model: str, dataset: str, registry: Any) -> str:
    return f"{Path(model).stem}-{dataset_label(dataset, registry)}"


def default_storage(out: Path) -> str:
    return f"sqlite:///{(out / 'study.db').resolve()}"


def _storage(optuna: Any, url: str, attempts: int = 5) -> Any:
    """RDB storage with heartbeats: a trial whose process was killed is failed and its parameters retried.

    Processes that open a new shared database at the same moment race to create its schema; the loser
    sees an integrity error on the schema's version table (or "table already exists") and opens the
    database again, up to ``attempts`` times.
    """
    kwargs = {"connect_args": {"timeout": 60}} if url.startswith("sqlite") else {}
    for attempt in range(attempts):
        try:
            with warnings.catch_warnings():  # heartbeats are marked experimental
                warnings.simplefilter("ignore")
                return optuna.storages.RDBStorage(
                    url, engine_kwargs=kwargs, heartbeat_interval=5, grace_period=20,
                    heartbeat_stale_trial_callback=optuna.storages.RetryHeartbeatStaleTrialCallback(max_retry=1))
        except Exception as err:  # noqa: BLE001 - SQLAlchemy raises many kinds for a bad URL or server
            if type(err).__name__ in ("IntegrityError", "OperationalError") and attempt + 1 < attempts:
                time.sleep(0.5 * (attempt + 1))
                continue
            raise ConfigError(f"--storage '{url}': cannot open the study database ({type(err).__name__}: "
                              f"{str(err).splitlines()[0] if str(err) else ''}); give an SQLAlchemy URL such as "
                              "sqlite:///runs/tune/study.db or postgresql://user@host/db") from None
    raise AssertionError("unreachable")


def _pruner(optuna: Any, name: str, epochs: int) -> Any:
    if name == "median":
        return optuna.pruners.MedianPruner(n_startup_trials=2, n_warmup_steps=1)
    if name == "hyperband":
        return optuna.pruners.HyperbandPruner(min_resource=1, max_resource=max(1, epochs), reduction_factor=3)
    if name == "none":
        return optuna.pruners.NopPruner()
    raise ConfigError(f"--pruner '{name}': expected median, hyperband or none")


def _finished(study: Any) -> list[Any]:
    return [t for t in study.get_trials(deepcopy=False) if t.state.name in FINISHED]


def run_tune(model: str, dataset: str, registry: Any, *, trials: int, out: Path, storage: str | None = None,
             study: str | None = None, timeout: float | None = None, pruner: str = "median",
             overrides: list[str] | None = None, epochs: int | None = None, device: str | None = None,
             amp: str | None = None, root: str | None = None, fold: str | None = None, seed: int = 1,
             search: str | None = None, sampler_seed: int | None = None,
             on_trial: Callable[[Any, Any], None] | None = None) -> TuneResult:
    """Run trials until the study holds ``trials`` finished (complete or pruned) ones; write the outputs. The corpus
    and its folds are loaded once per study (again only for a trial whose values change the data). ``sampler_seed``
    makes one process's draws repeatable; processes sharing a study need different seeds (or none)."""
    optuna = import_optuna()
    if trials < 1:
        raise ConfigError(f"--trials must be at least 1, got {trials}")
    overrides = list(overrides or [])
    out.mkdir(parents=True, exist_ok=True)
    cfg = set_root(select_dataset(resolve_config(model, registry, overrides), dataset, registry=registry), root)
    cache = CorpusCache(registry)
    space = load_search_space(search) if search else find_search_space(model, registry, cfg)
    check_space(space, cfg, registry)
    settings = run_settings(cfg, seed, epochs, device, amp)
    monitor = settings.train.monitor
    direction = metric_direction(monitor)
    storage = storage or default_storage(out)
    name = study or study_name(model, dataset, registry)
    startup = max(1, min(10, trials // 2))
    the_study = optuna.create_study(
        study_name=name, storage=_storage(optuna, storage), direction=direction, load_if_exists=True,
        sampler=optuna.samplers.TPESampler(n_startup_trials=startup, constant_liar=True, seed=sampler_seed),
        pruner=_pruner(optuna, pruner, settings.train.epochs))
    if the_study.direction.name.lower() != direction:
        raise ConfigError(f"study '{name}' in {storage} was created to {the_study.direction.name.lower()} and this "
                          f"model selects on val.{monitor} ({direction}); use another --study name")
    if not the_study.trials:  # a new study tries the shipped config first: tuning never selects below it
        the_study.enqueue_trial(space.config_values(cfg), skip_if_exists=True)
    tuning_fold: list[str] = []
    stopped: list[bool] = []  # set by SIGINT/SIGTERM; the running trial stops at its next epoch's end

    def objective(trial: Any) -> float:
        params = space.suggest(trial)
        trial_cfg = cfg.copy()
        apply_overrides(trial_cfg, as_overrides(params), origin=f"trial {trial.number}")
        trial_settings = run_settings(trial_cfg, seed, epochs, device, amp)
        the_fold = _tuning_fold(cache.folds(trial_settings), fold)
        tuning_fold[:] = [the_fold.name]
        run_dir = out / "trials" / f"{trial.number:04d}"

        def report(row: dict[str, Any]) -> None:
            if stopped:
                raise KeyboardInterrupt("stop requested")
            trial.report(float(row["val"][monitor]), int(row["epoch"]))
            if trial.should_prune():
                raise optuna.TrialPruned(f"epoch {row['epoch']}: val.{monitor} {row['val'][monitor]:.2f}")

        try:
            rec = run_fold(trial_settings, cache.corpus(trial_settings), the_fold, registry, run_dir=run_dir,
                           model_name=model, on_epoch=report, evaluate_test=False)
        finally:
            for ck in run_dir.glob("*.pt"):  # trials keep config.yaml and log.jsonl; weights are not reused
                ck.unlink()
        trial.set_user_attr("best_epoch", rec["best_epoch"])
        trial.set_user_attr("epochs_run", rec["epochs_run"])
        trial.set_user_attr("fold", the_fold.name)
        trial.set_user_attr("worker", f"{platform.node()}:{os.getpid()}")
        return float(rec["metrics"]["val"][monitor])

    remaining = trials - len(_finished(the_study))
    callbacks = [optuna.study.MaxTrialsCallback(trials, states=tuple(getattr(optuna.trial.TrialState, s)
                                                                         for s in FINISHED))]
    if on_trial is not None:
        callbacks.append(on_trial)
    try:
        if remaining > 0:
            with stop_on_signals(lambda: (stopped.append(True), the_study.stop())):
                the_study.optimize(objective, n_trials=remaining, timeout=timeout, callbacks=callbacks,
                                   catch=(RunError,), gc_after_trial=True)
        if stopped:
            raise KeyboardInterrupt
    except KeyboardInterrupt:
        raise TuneInterrupted(f"tuning interrupted; the study '{name}' keeps its {len(_finished(the_study))} finished "
                              f"trial(s) in {storage}. Run the same command again to continue it.") from None
    finally:
        if _finished(the_study):
            write_outputs(the_study, out, model, overrides, space)
    done = [t for t in _finished(the_study) if t.state.name == "COMPLETE"]
    if not done:
        raise RunError(f"study '{name}' has no completed trial yet (see {out / 'trials.csv'}); run the command "
                       "again to continue it")
    best = the_study.best_trial
    return TuneResult(name, storage, monitor, direction, trials, len(_finished(the_study)), _params(best, space),
                      float(best.value), best.number, best.user_attrs.get("fold", "".join(tuning_fold)),
                      out / "best.yaml")


def _tuning_fold(folds: list[Any], fold: str | None) -> Any:
    """The tuning fold: the one named by ``--fold``, else the protocol's first fold."""
    if fold is None:
        return folds[0]
    for f in folds:
        if f.name == fold:
            return f
    raise ConfigError(f"--fold '{fold}' is not a fold of this protocol (folds: {[f.name for f in folds]})")


def _params(trial: Any, space: SearchSpace) -> dict[str, Any]:
    """A trial's values in config form (choices decoded from their labels)."""
    out = {}
    for p in space.params:
        if p.path in trial.params:
            value = trial.params[p.path]
            out[p.path] = json.loads(value) if p.kind == "choice" else value
    return out


def write_outputs(study: Any, out: Path, model: str, overrides: list[str], space: SearchSpace) -> None:
    """``trials.csv``, ``trials.md``, ``best.yaml`` and the history / importance plots."""
    trials = [t for t in study.get_trials(deepcopy=False) if t.state.name != "RUNNING"]
    cols = [p.path for p in space.params]
    rows = [{"trial": t.number, "state": t.state.name.lower(), "value": t.value,
             "epochs": t.user_attrs.get("epochs_run", t.last_step), "best_epoch": t.user_attrs.get("best_epoch"),
             "seconds": round(t.duration.total_seconds(), 1) if t.duration else None,
             **_params(t, space)} for t in trials]
    with open(out / "trials.csv", "w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, ["trial", "state", "value", "epochs", "best_epoch", "seconds", *cols])
        w.writeheader()
        w.writerows(rows)
    head = ["trial", "state", "value", "epochs", "seconds", *cols]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in rows:
        lines.append("| " + " | ".join(_cell(r.get(c)) for c in head) + " |")
    (out / "trials.md").write_text("\n".join(lines) + "\n")
    complete = [t for t in trials if t.state.name == "COMPLETE"]
    if not complete:
        return
    best = study.best_trial
    user = dict(parse_override(text) for text in overrides)  # the same YAML 1.2 reading as --set itself
    base = model if not Path(model).is_file() else str(Path(model).resolve())
    config = {"_base_": base, **nest({**user, **_params(best, space)})}
    header = (f"# best of {len(trials)} trials of study '{study.study_name}': trial {best.number}, "
              f"{study.direction.name.lower()} validation value {best.value:.4f}\n")
    (out / "best.yaml").write_text(header + yaml.safe_dump(config, sort_keys=False))
    _plots(study, complete, out)


def _cell(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    return "" if value is None else str(value).replace("|", "\\|")


def _plots(study: Any, complete: list[Any], out: Path) -> None:
    """Optimisation history (each trial and the best so far) and parameter importances."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import optuna

    sign = 1 if study.direction.name == "MAXIMIZE" else -1
    xs = [t.number for t in complete]
    ys = [t.value for t in complete]
    running = [sign * max(sign * v for v in ys[: i + 1]) for i in range(len(ys))]
    fig, ax = plt.subplots(figsize=(6, 3.5))
    ax.scatter(xs, ys, label="trial", s=18)
    ax.step(xs, running, where="post", color="C3", label="best so far")
    ax.set_xlabel("trial")
    ax.set_ylabel("validation value")
    ax.set_title(f"optimisation history: {study.study_name}")
    ax.legend()
    fig.tight_layout()
    fig.savefig(out / "history.png", dpi=110)
    plt.close(fig)
    try:
        with warnings.catch_warnings():  # few trials: the evaluator warns that importances are uniform
            warnings.simplefilter("ignore")
            importances = optuna.importance.get_param_importances(study)
    except (ValueError, RuntimeError):  # fewer than two completed trials, or no parameter varied
        return
    if not importances:
        return
    names = list(importances)[::-1]
    fig, ax = plt.subplots(figsize=(6, 0.4 * len(names) + 1.2))
    ax.barh(names, [importances[n] for n in names])
    ax.set_xlabel("importance (Optuna default evaluator)")
    ax.set_title(f"parameter importances: {study.study_name}")
    fig.tight_layout()
    fig.savefig(out / "importances.png", dpi=110)
    plt.close(fig)

