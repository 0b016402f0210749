"""``mer bench``: a grid of (model, dataset, fold, seed) cells, each trained with selection on validation,
evaluated once on test and appended to ``results.jsonl`` the moment it finishes.

Resumable (finished cells are matched by model, dataset, fold, seed and config hash; an interrupted
cell continues from its ``last.pt``), shardable (``--shard i/n`` takes every n-th cell), and safe to
kill: SIGTERM/SIGINT stop after writing state, and at most the current epoch is lost.
"""

from __future__ import annotations

import json
import signal
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from ..config import ResolvedConfig, load_yaml, resolve_config
from ..config.overrides import apply_overrides
from ..data.corpus import Corpus, Fold
from ..data.cross_corpus import CrossCorpus, cross_fold, read_label_map, restrict, shared_labels
from ..errors import ConfigError, DataError, MerError, RunError
from ..run.experiment import dataset_label, load_corpus, make_folds, run_fold, run_settings, select_dataset
from ..data.feature_cache import folder_lock
from .launchers import LaunchOptions, launch
from ..results.records import append_record, read_records, record_key
from .search import as_overrides

__all__ = ["Cell", "BenchInterrupted", "parse_shard", "plan_grid", "tune_grid", "run_bench", "append_result"]


class BenchInterrupted(MerError):
    """The bench received SIGINT/SIGTERM; finished cells are saved and ``--resume`` continues."""

    exit_code = 130


@dataclass
class Cell:
    """One unit of the grid: a model config trained on one fold of one dataset with one seed."""

    model: str
    dataset: str
    fold: Fold
    seed: int
    cfg: ResolvedConfig
    corpus: Corpus
    config_hash: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def key(self) -> tuple[str, str, str, int, str]:
        return (self.model, self.corpus.name, self.fold.name, self.seed, self.config_hash)

    def run_dir(self, out: Path) -> Path:
        return out / "cells" / Path(self.model).stem / self.corpus.name / self.fold.name / f"seed{self.seed}"


def parse_shard(text: str | None) -> tuple[int, int]:
    """``'2/4'`` → (2, 4); 1-based index."""
    if not text:
        return 1, 1
    try:
        i, n = (int(x) for x in text.split("/"))
    except ValueError:
        raise ConfigError(f"--shard '{text}': expected I/N with whole numbers, e.g. --shard 1/4") from None
    if not 1 <= i <= n:
        raise ConfigError(f"--shard '{text}': I must be between 1 and N")
    return i, n


def plan_grid(models: list[str], datasets: list[str], seeds: list[int], registry: Any, *,
              overrides: list[str] | None = None, epochs: int | None = None, device: str | None = None,
              amp: str | None = None, root: str | None = None, test_datasets: list[str] | None = None,
              test_root: str | None = None, label_map: str | None = None,
              tuned: dict[tuple[str, str], Any] | None = None) -> list[Cell]:
    """Every cell in a deterministic order (model, dataset, fold, seed); corpora are loaded once.

    With ``test_datasets`` every cell is cross-corpus: trained and selected on a fold of the dataset, tested on
    the whole test dataset, both restricted to the emotions they share (see ``data.cross_corpus``).
    ``tuned`` maps (model, dataset) to a ``TuneResult`` whose best values those cells train with.
    """
    corpora: dict[str, Corpus] = {}
    mapping = read_label_map(label_map)

    def corpus_of(cfg: ResolvedConfig, data_root: str | None) -> tuple[Corpus, Any]:
        if data_root:
            cfg.data.setdefault("data", {})["root"] = data_root
        settings = run_settings(cfg, seeds[0], epochs, device, amp)
        key = json.dumps({k: settings.data.to_dict()[k] for k in ("dataset", "root", "dataset_options",
                                                                    "features")}, sort_keys=True, default=str)
        if key not in corpora:
            corpora[key] = load_corpus(settings.data, registry)
        return corpora[key], settings

    cells: list[Cell] = []
    for model in models:
        base = resolve_config(model, registry, overrides)
        for dataset in datasets:
            cfg = select_dataset(base, dataset)
            tuning = (tuned or {}).get((model, dataset))
            if tuning is not None:
                apply_overrides(cfg, as_overrides(tuning.best_params), origin=f"tuned ({tuning.study})")
            corpus, settings = corpus_of(cfg, root)
            for target in test_datasets or [None]:
                run_corpus, label, extra = corpus, dataset_label(dataset), {}
                if tuning is not None:
                    extra["tuning"] = tuning.to_record()
                test_part = None
                if target is not None:
                    test_corpus, _ = corpus_of(select_dataset(base, target, "--test-dataset"), test_root)
                    missing = sorted(set(corpus.modalities) - set(test_corpus.modalities))
                    if missing:
                        raise DataError(f"--test-dataset {target}: it has no {missing} (it has "
                                        f"{test_corpus.modalities}), which '{corpus.name}' trains on")
                    labels = shared_labels(corpus, test_corpus, mapping)
                    run_corpus = restrict(corpus, labels, {}, f"{corpus.name}->{test_corpus.name}")
                    test_part = restrict(test_corpus, labels, mapping, test_corpus.name)
                    label = f"{label}->{dataset_label(target)}"
                    extra["cross_corpus"] = CrossCorpus(corpus.name, test_corpus.name, labels, mapping).to_record()
                for fold in make_folds(run_corpus, settings.data, registry):
                    if test_part is not None:
                        fold = cross_fold(fold, test_part)
                    for seed in seeds:
                        chash = run_settings(cfg, seed, epochs, device, amp).config_hash
                        cells.append(Cell(model, label, fold, seed, cfg, run_corpus, chash, extra=extra))
    return cells


def tune_grid(models: list[str], datasets: list[str], trials: int, out: Path, registry: Any, *, seed: int,
              overrides: list[str] | None = None, epochs: int | None = None, device: str | None = None,
              amp: str | None = None, root: str | None = None,
              on_trial: Callable[[Any, Any], None] | None = None) -> dict[tuple[str, str], Any]:
    """Equal budget: ``trials`` Optuna trials per (model, dataset) on the tuning fold's validation split.

    Each study lives in ``out/tune/MODEL-DATASET/study.db``, so ``--resume`` continues unfinished studies.
    """
    from .tune import run_tune, study_name

    return {(model, dataset): run_tune(model, dataset, registry, trials=trials, out=out / "tune" /
                                       study_name(model, dataset), overrides=overrides, epochs=epochs, device=device,
                                       amp=amp, root=root, seed=seed, on_trial=on_trial)
            for model in models for dataset in datasets}


@contextmanager
def stop_on_signals(on_signal: Callable[[], None] | None = None) -> Iterator[None]:
    """Turn SIGTERM into the same path as Ctrl-C so state is written before exiting.

    With ``on_signal`` nothing is raised: the caller is told and stops at its next safe point (an epoch's end).
    """

    def handler(signum: int, frame: Any) -> None:
        if on_signal is not None:
            on_signal()
            return
        raise KeyboardInterrupt(f"signal {signum}")

    old = {s: signal.signal(s, handler) for s in (signal.SIGTERM, signal.SIGINT)}
    try:
        yield
    finally:
        for s, h in old.items():
            signal.signal(s, h)


def run_bench(cells: list[Cell], out: Path, registry: Any, *, resume: bool, shard: tuple[int, int] = (1, 1),
              epochs: int | None = None, device: str | None = None, amp: str | None = None,
              on_event: Callable[[str, Cell, dict[str, Any]], None] | None = None,
              launch_opts: LaunchOptions | None = None) -> list[dict[str, Any]]:
    """Run this shard's cells, appending each record to ``out/results.jsonl`` as soon as it finishes.

    With ``launch_opts`` (``--jobs``, ``--launcher``) the cells run concurrently elsewhere and come back here.
    """
    out.mkdir(parents=True, exist_ok=True)
    results = out / "results.jsonl"
    existing = {record_key(r) for r in read_records(results)}
    if existing and not resume:
        raise RunError(f"'{results}' already holds {len(existing)} records; pass --resume to continue this bench "
                       "or choose another --out directory")
    i, n = shard
    emit = on_event or (lambda *_: None)
    todo: list[Cell] = []
    for cell in (c for k, c in enumerate(cells) if k % n == i - 1):
        if cell.key in existing:
            emit("skip", cell, {})
        else:
            todo.append(cell)
    new: list[dict[str, Any]] = []

    def finish(cell: Cell, status: str, result: Any) -> None:
        if status == "failed":  # e.g. NaN loss: record the failure, keep the other cells going
            emit("failed", cell, {"error": result})
            _log_failure(out, cell, result)
            return
        result["bench_shard"] = f"{i}/{n}"
        append_result(out, result)
        new.append(result)
        emit("done", cell, result)

    opts = launch_opts or LaunchOptions()
    where = "the running cells"
    with stop_on_signals():
        try:
            if opts.launcher == "local" and opts.jobs == 1:
                for cell in todo:
                    where = f"{cell.model} / {cell.corpus.name} / {cell.fold.name} / seed {cell.seed}"
                    emit("start", cell, {})
                    finish(cell, *_run_here(cell, out, registry, resume, epochs, device, amp, emit))
            else:
                jobs = [(c, str(out), resume, epochs, device, amp, opts.threads) for c in todo]
                with launch(jobs, opts) as finished:
                    for k, status, result in finished:
                        finish(todo[k], status, result)
        except KeyboardInterrupt:
            raise BenchInterrupted(f"bench interrupted during {where}; {len(new)} cell(s) finished in this run are "
                                   f"saved in {results}. Continue with the same command plus --resume.") from None
    return new


def _run_here(cell: Cell, out: Path, registry: Any, resume: bool, epochs: int | None, device: str | None,
              amp: str | None, emit: Callable[[str, Cell, dict[str, Any]], None]) -> tuple[str, Any]:
    """Train one cell in this process, with per-epoch events; a ``RunError`` is the cell's failure."""
    try:
        rec = run_fold(cell.cfg, cell.corpus, cell.fold, registry, run_dir=cell.run_dir(out), seed=cell.seed,
                       model_name=cell.model, resume=resume, epochs=epochs, device=device, amp=amp,
                       on_epoch=lambda row: emit("epoch", cell, row))
    except RunError as err:
        return "failed", str(err)
    rec.update(cell.extra)
    return "done", rec


def append_result(out: Path, record: dict[str, Any]) -> None:
    """Append to ``out/results.jsonl`` under the folder's lock, so concurrent writers never lose a record."""
    with folder_lock(out):
        append_record(out / "results.jsonl", record)


def _log_failure(out: Path, cell: Cell, error: str) -> None:
    with folder_lock(out), open(out / "failures.jsonl", "a", encoding="utf-8") as f:
        f.write(json.dumps({"model": cell.model, "dataset": cell.corpus.name, "fold": cell.fold.name,
                            "seed": cell.seed, "error": error, "time": time.time()}) + "\n")


def write_bench_file(out: Path, grid: dict[str, Any]) -> None:
    """``bench.yaml``: the grid and the command that produced it; a different bench writing into the same folder
    keeps the earlier grids under ``earlier`` (oldest first), so every command behind its records stays on file."""
    path = out / "bench.yaml"
    earlier: list[dict[str, Any]] = []
    if path.is_file():
        previous = load_yaml(path)[0]
        earlier = list(previous.pop("earlier", None) or [])
        if previous and previous != grid:
            earlier.append(previous)
    record = {**grid, "earlier": earlier} if earlier else grid
    path.write_text(yaml.safe_dump(record, sort_keys=False))
