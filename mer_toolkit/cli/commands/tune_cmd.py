"""``mer tune``: search a model's hyper-parameters on validation with Optuna; the study is resumable and shareable."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from ..output import console
from .bench_cmd import add_run_args, add_tracking_args, tracking_overrides


def cmd_tune(args: argparse.Namespace) -> int:
    from ...data.dataset_choice import dataset_label
    from ...plugins.host import get_registry
    from ...bench.tune import run_tune, study_name

    reg = get_registry()
    args.set = [*args.set, *tracking_overrides(args)]
    out = Path(args.out or Path("runs") / "tune" / study_name(args.model, args.dataset, reg))

    def on_trial(study: Any, trial: Any) -> None:
        value = "" if trial.value is None else f" val {trial.value:.2f}"
        best = ""
        try:
            best = f" (best {study.best_value:.2f}, trial {study.best_trial.number})"
        except ValueError:  # no completed trial yet
            pass
        console.print(f"  trial {trial.number} {trial.state.name.lower()}{value}{best}  "
                      + "  ".join(f"{k}={v}" for k, v in trial.params.items()), markup=False)

    console.print(f"tune: {args.model} on {dataset_label(args.dataset, reg)}, {args.trials} trials → {out}")
    res = run_tune(args.model, args.dataset, reg, trials=args.trials, out=out, storage=args.storage,
                   study=args.study, timeout=args.timeout, pruner=args.pruner, overrides=args.set,
                   epochs=args.epochs, device=args.device, amp=args.amp, root=args.root, fold=args.fold,
                   seed=args.seed, search=args.search, sampler_seed=args.sampler_seed, on_trial=on_trial)
    console.print(f"study '{res.study}' ({res.storage}): {res.finished} finished trials; best trial "
                  f"{res.best_trial}, val.{res.monitor} {res.best_value:.2f} on fold {res.fold}", markup=False)
    for k, v in res.best_params.items():
        console.print(f"  {k} = {v}", markup=False)
    console.print(f"best config: {res.best_config}  (mer train --model {res.best_config} --dataset {args.dataset}); "
                  f"trials: {out / 'trials.csv'}, plots: {out / 'history.png'}, {out / 'importances.png'}",
                  markup=False)
    return 0


def register(subparsers: Any) -> None:
    p = subparsers.add_parser(
        "tune", help="tune a model's hyper-parameters on validation (Optuna)",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Run an Optuna study (TPE sampler, pruning on per-epoch validation metrics) over the model's "
                    "search space (search/<model>.yaml next to its config). Only the validation split of the tuning "
                    "fold is evaluated. The study is stored in a database: run the same command again to continue "
                    "it, or start it on several machines with one --storage URL to share it. Writes best.yaml "
                    "(_base_ + the best values), trials.csv/md, history.png and importances.png.",
        epilog="examples:\n  mer tune --model drkf --dataset demo --trials 8\n"
               "  mer tune --model mult --dataset iemocap --root /data/IEMOCAP --trials 50 --pruner hyperband\n"
               "  mer tune --model drkf --dataset meld --trials 100 --storage postgresql://me@db/studies  # shared")
    p.add_argument("--model", required=True, help="registered model name or YAML file")
    p.add_argument("--dataset", required=True, help="dataset name or manifest file")
    p.add_argument("--trials", type=int, required=True,
                   help="finished (complete or pruned) trials the study should hold")
    p.add_argument("--storage", help="SQLAlchemy URL of the study database (default: sqlite in --out)")
    p.add_argument("--study", help="study name (default MODEL-DATASET)")
    p.add_argument("--timeout", type=float, help="stop starting new trials after S seconds")
    p.add_argument("--pruner", default="median", choices=["median", "hyperband", "none"],
                   help="stop poor trials early on their per-epoch validation metric (default median)")
    p.add_argument("--search", help="search-space YAML to use instead of the model's own")
    p.add_argument("--fold", help="tuning fold (default: the protocol's first fold)")
    p.add_argument("--seed", type=int, default=1, help="training seed of every trial (default 1)")
    p.add_argument("--sampler-seed", type=int,
                   help="seed of the TPE sampler, so the same command draws the same values (default: unseeded; "
                        "processes sharing one study need different seeds)")
    p.add_argument("--root", help="dataset root")
    add_run_args(p)
    p.add_argument("--out", help="output folder (default runs/tune/MODEL-DATASET)")
    add_tracking_args(p)
    p.set_defaults(func=cmd_tune)
