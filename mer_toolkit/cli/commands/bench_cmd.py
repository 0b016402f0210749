"""``mer bench``: train a grid of models × datasets × folds × seeds and write a comparison report."""

from __future__ import annotations

import argparse
import json
import shlex
import sys
import time
from pathlib import Path
from typing import Any

from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

from ...errors import ConfigError
from ..output import console


def _seeds(args: argparse.Namespace) -> list[int]:
    if args.seed_list:
        try:
            return [int(s) for s in args.seed_list.split(",") if s.strip()]
        except ValueError:
            raise ConfigError(f"--seed-list '{args.seed_list}': expected whole numbers, e.g. 1,2,3") from None
    if args.seeds < 1:
        raise ConfigError(f"--seeds must be at least 1, got {args.seeds}")
    return list(range(1, args.seeds + 1))


def add_run_args(p: argparse.ArgumentParser) -> None:
    """``--epochs``, ``--set``, ``--device``, ``--amp``: how each run trains (shared with ``mer tune``)."""
    p.add_argument("--epochs", type=int, help="override train.epochs")
    p.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="override a config value")
    p.add_argument("--device", help="auto, cpu, cuda")
    p.add_argument("--amp", choices=["off", "bf16", "fp16"], help="mixed precision on CUDA")


def add_tracking_args(p: argparse.ArgumentParser) -> None:
    """``--tensorboard`` and ``--mlflow URI`` (shared with ``mer tune``)."""
    p.add_argument("--tensorboard", action="store_true", help="write TensorBoard event files to each run directory "
                                                              "(same as --set train.tensorboard=true)")
    p.add_argument("--mlflow", metavar="URI", help="log every run to this MLflow tracking store, e.g. "
                                                    "sqlite:///mlflow.db (same as --set train.mlflow=URI)")


def tracking_overrides(args: argparse.Namespace) -> list[str]:
    """The ``--set`` overrides that ``--tensorboard`` / ``--mlflow`` stand for."""
    out = ["train.tensorboard=true"] if args.tensorboard else []
    return out + ([f"train.mlflow={json.dumps(args.mlflow)}"] if args.mlflow else [])


def cmd_bench(args: argparse.Namespace) -> int:
    from ...bench.grid import parse_shard, plan_grid, shard_cells
    from ...bench.runner import run_bench, tune_grid, write_bench_file
    from ...bench.launchers import LaunchOptions, parse_devices
    from ...plugins.host import get_host, get_registry
    from ...results.report import dedupe, markdown_table, summarize, write_plots, write_reports
    from ...results.ledger import access_lines, read_ledger
    from ...results.records import read_records

    reg = get_registry()
    args.set = [*args.set, *tracking_overrides(args)]
    models = [m.strip() for m in args.model.split(",") if m.strip()]
    datasets = [d.strip() for d in args.dataset.split(",") if d.strip()]
    shard = parse_shard(args.shard)
    seeds = _seeds(args)
    out = Path(args.out or f"runs/bench-{time.strftime('%Y%m%d-%H%M%S')}")
    tests = [d.strip() for d in (args.test_dataset or "").split(",") if d.strip()] or None
    if args.label_map and not tests:
        raise ConfigError("--label-map applies to cross-corpus cells only: give --test-dataset too")
    if args.jobs < 1:
        raise ConfigError(f"--jobs must be at least 1, got {args.jobs}")
    opts = LaunchOptions(args.launcher, args.jobs, parse_devices(args.devices), args.gpus_per_cell, args.ray_address,
                         args.slurm_partition, args.slurm_time, str(out / "slurm"))
    tuned = None
    if args.tune is not None:
        if args.tune < 1:
            raise ConfigError(f"--tune must be at least 1 trial, got {args.tune}")
        console.print(f"tuning: {args.tune} trials per model and dataset on validation (equal budget) → {out}/tune")
        tuned = tune_grid(models, datasets, args.tune, out, reg, seed=seeds[0], overrides=args.set,
                          epochs=args.epochs, device=args.device, amp=args.amp, root=args.root,
                          on_trial=lambda study, t: console.print(
                              f"  tune {study.study_name} trial {t.number} {t.state.name.lower()}"
                              f"{'' if t.value is None else f' val {t.value:.2f}'}", markup=False))
        for (model, dataset), res in tuned.items():
            console.print(f"  tuned {model} / {dataset}: val.{res.monitor} {res.best_value:.2f} (trial "
                          f"{res.best_trial} of {res.finished}) → {res.best_config}", markup=False)
    cells = plan_grid(models, datasets, seeds, reg, overrides=args.set, epochs=args.epochs, device=args.device,
                      amp=args.amp, root=args.root, test_datasets=tests, test_root=args.test_root,
                      label_map=args.label_map, tuned=tuned)
    out.mkdir(parents=True, exist_ok=True)
    write_bench_file(out, {"models": models, "datasets": datasets, "test_datasets": tests, "seeds": seeds, "set": args.set,
                           "epochs": args.epochs, "device": args.device, "amp": args.amp, "shard": f"{shard[0]}/{shard[1]}",
                           "tune": args.tune, "jobs": args.jobs, "launcher": args.launcher,
                           "cells": len(cells), "command": "mer " + shlex.join(sys.argv[1:])})
    mine = shard_cells(cells, shard)
    console.print(f"bench: {len(models)} model(s) × {len(datasets)} dataset(s) × folds × {len(seeds)} seed(s) = "
                  f"{len(cells)} cells{f', shard {shard[0]}/{shard[1]}: {len(mine)}' if shard[1] > 1 else ''} → {out}")
    progress = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                        TimeRemainingColumn(), console=console, disable=not console.is_terminal, transient=True)
    task = progress.add_task("grid", total=len(mine))

    def on_event(kind: str, cell: Any, info: dict[str, Any]) -> None:
        name = cell.name
        if kind == "epoch":
            terms = "  ".join(f"{k} {v:.3f}" for k, v in info["train"].items()
                              if k not in ("seconds", "loader_wait_fraction"))
            progress.update(task, description=f"{name} · epoch {info['epoch']} · {terms[:80]} · "
                                              f"val {info['val']['wf1']:.1f}")
        elif kind in ("done", "skip", "failed", "duplicate"):
            progress.advance(task)
            if kind == "done":
                t = info["metrics"]["test"]
                resumed = f", resumed after epoch {info['resumed_from_epoch']}" if info["resumed_from_epoch"] else ""
                console.print(f"  done  {name}: test WA {t['wa']:.2f} UA {t['ua']:.2f} WF1 {t['wf1']:.2f} "
                              f"(best epoch {info['best_epoch']}/{info['epochs_run']}, {info['train_seconds']:.1f}s"
                              f"{resumed})", markup=False)
            elif kind == "skip":
                console.print(f"  skip  {name}: already in results.jsonl", markup=False)
            elif kind == "duplicate":
                console.print(f"  dup   {name}: trained here, but another bench recorded it first (kept theirs)",
                              markup=False)
            elif kind == "wait":
                console.print(f"  wait  {name}: another bench on this folder is training it (pid {info.get('pid')} "
                              f"on {info.get('host')}); recorded by that bench, or taken over if it stops", markup=False)
            else:
                console.print(f"  FAILED {name}: {info['error']}", markup=False)

    with progress:
        run_bench(cells, out, reg, resume=args.resume, shard=shard, on_event=on_event, launch_opts=opts)
    records = dedupe(read_records(out / "results.jsonl"))
    if not records:
        console.print("no finished cells yet")
        return 1
    rows = summarize(records, get_host().published_figures())
    ledger = access_lines(read_ledger(), list(dict.fromkeys((r["model"], r["dataset"]) for r in rows)))
    write_reports(rows, out, ledger)
    plots = write_plots(records, rows, out)
    console.print(markdown_table(rows, ledger), markup=False)
    console.print(f"reports: {out}/summary.md|csv|json|tex, plots: {', '.join(p.name for p in plots)}")
    failures = out / "failures.jsonl"
    return 1 if failures.is_file() and failures.stat().st_size else 0


def register(subparsers: Any) -> None:
    p = subparsers.add_parser(
        "bench", help="benchmark models on datasets over seeds", formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Train every (model, dataset, fold, seed) cell with selection on validation, evaluate it once on "
                    "test, append its record to OUT/results.jsonl, then write summary.md/csv/json/tex and plots.",
        epilog="examples:\n  mer bench --model drkf,early_fusion --dataset demo --seeds 2 --epochs 3 --out runs/x\n"
               "  mer bench --model drkf,mult,misa --dataset iemocap,meld,m3ed --seeds 3 --resume --out runs/big\n"
               "  mer bench ... --shard 2/4           # the 2nd quarter of the grid (SLURM arrays, k8s jobs)\n"
               "  mer bench --model drkf,early_fusion --dataset demo --tune 4   # 4 Optuna trials per model first\n"
               "  mer bench ... --jobs 4 --devices 0,1   # 4 cells at a time, two per GPU\n"
               "  mer bench ... --launcher ray --ray-address auto    # one Ray task per cell on a `ray start` cluster\n"
               "  mer bench ... --launcher slurm --slurm-partition gpu --gpus-per-cell 1   # one Slurm job array\n"
               "  mer bench --model early_fusion --dataset ravdess --root ../shared/data/ravdess \\\n"
               "            --test-dataset my_corpus.csv --label-map ravdess_to_mine.yaml   # cross-corpus\n"
               "  torchrun --nproc_per_node=4 -m mer_toolkit.cli.main bench --model drkf --dataset meld  # DDP")
    p.add_argument("--model", required=True, help="comma list of registered model names or YAML files")
    p.add_argument("--dataset", required=True, help="comma list of dataset names or manifest files")
    p.add_argument("--root", help="dataset root (for a single dataset)")
    p.add_argument("--test-dataset", help="cross-corpus: train and select on --dataset, test on every utterance of "
                                          "these datasets (comma list) over the emotions both share")
    p.add_argument("--test-root", help="root of the --test-dataset")
    p.add_argument("--label-map", help="YAML/JSON mapping of test-dataset labels to training labels (null drops one)")
    p.add_argument("--seeds", type=int, default=3, help="seeds 1..N (default 3)")
    p.add_argument("--seed-list", help="explicit seeds, e.g. 1,7,42")
    add_run_args(p)
    p.add_argument("--out", help="bench directory (default runs/bench-<time>)")
    p.add_argument("--resume", action="store_true", help="skip finished cells, continue interrupted ones")
    p.add_argument("--shard", help="run the I-th of N deterministic parts of the grid, e.g. 1/4")
    p.add_argument("--jobs", type=int, default=1, help="cells at a time in worker processes (CPU threads divided "
                                                        "among them; default 1: in this process)")
    p.add_argument("--devices", help="CUDA devices the local workers take in turn, e.g. 0,1")
    p.add_argument("--launcher", default="local", choices=["local", "ray", "slurm"],
                   help="where cells run: local processes, Ray tasks, or a Slurm job array (submitit)")
    p.add_argument("--gpus-per-cell", type=float, default=0.0, help="GPUs a Ray task or Slurm job requests")
    p.add_argument("--ray-address", help="Ray cluster to join (e.g. auto after `ray start`; default: a local one)")
    p.add_argument("--slurm-partition", help="Slurm partition of the job array")
    p.add_argument("--slurm-time", type=int, default=60, help="minutes each Slurm job may run (default 60)")
    add_tracking_args(p)
    p.add_argument("--tune", type=int, metavar="N", help="equal tuning budget: N Optuna trials per model and dataset "
                                                          "on validation (see mer tune), then every seed runs with the "
                                                          "best config; studies are kept in OUT/tune")
    p.set_defaults(func=cmd_bench)
