"""``mer train`` and ``mer eval``: train a model config on a dataset's folds; evaluate a checkpoint."""

from __future__ import annotations

import argparse
import time
from pathlib import Path
from typing import Any

from ...errors import ConfigError, RunError
from ..output import console, err_console, print_json, simple_table

METRIC_COLUMNS = ("wa", "ua", "wf1", "macro_f1")


def metrics_rows(records: list[dict[str, Any]]) -> list[list[Any]]:
    """One row per record (fold) plus a mean row when there are several."""
    rows = []
    for r in records:
        t = r["metrics"]["test"]
        rows.append([r["fold"], r["seed"], f"{r['metrics']['val'][r['selection'].split('.')[-1]]:.2f}",
                     *[f"{t[m]:.2f}" for m in METRIC_COLUMNS], r["best_epoch"]])
    if len(records) > 1:
        means = [sum(r["metrics"]["test"][m] for r in records) / len(records) for m in METRIC_COLUMNS]
        rows.append(["mean", "", "", *[f"{v:.2f}" for v in means], ""])
    return rows


def _resolve(args: argparse.Namespace) -> Any:
    from ...config import resolve_config
    from ...data.dataset_choice import select_dataset, set_root
    from ...plugins.host import get_registry

    target = args.config or args.model
    if not target:
        raise ConfigError("mer train needs --config FILE or --model NAME (see `mer list model`)")
    reg = get_registry()
    return select_dataset(set_root(resolve_config(target, reg, args.set), args.root), args.dataset, registry=reg)


def cmd_train(args: argparse.Namespace) -> int:
    from ...config.build import check_section
    from ...data.dataset_choice import dataset_label
    from ...plugins.host import get_registry

    reg = get_registry()
    cfg = _resolve(args)
    data_cfg = check_section("data", cfg.data.get("data"), cfg)
    check_section("train", cfg.data.get("train"), cfg)
    from ...run.experiment import build_model, data_spec, load_corpus, make_folds, run_fold, run_settings  # torch: only past the checks
    from ...results.records import append_record
    from ...run.distributed import is_main

    model_name = Path(args.config).stem if args.config else args.model
    out = Path(args.out or f"runs/train/{model_name}-{dataset_label(data_cfg.dataset, reg)}-{time.strftime('%Y%m%d-%H%M%S')}")
    seed = args.seed if args.seed is not None else int((cfg.data.get("train") or {}).get("seed", 42))
    settings = run_settings(cfg, seed, args.epochs, args.device, args.amp)
    corpus = load_corpus(data_cfg, reg, device=settings.train.device)
    folds = make_folds(corpus, data_cfg, reg)
    if args.fold:
        folds = [f for f in folds if f.name in args.fold.split(",")]
        if not folds:
            raise ConfigError(f"--fold {args.fold}: no such fold; folds are {[f.name for f in make_folds(corpus, data_cfg, reg)]}")
    build_model(cfg, data_spec(corpus, folds[0]), reg)  # fail on a bad model spec before any output
    say = err_console if args.json else console
    say.print(f"training [bold]{model_name}[/] on [bold]{corpus.name}[/] ({len(corpus.samples)} utterances, "
                  f"{len(folds)} fold(s), protocol {folds[0].protocol}) → {out}")
    records = []
    for fold in folds:
        def show(row: dict[str, Any]) -> None:
            mark = "*" if row["improved"] else " "
            say.print(f"  {fold.name} epoch {row['epoch']:>3}  loss {row['train']['loss']:.4f}  "
                          f"val wa {row['val']['wa']:.2f} wf1 {row['val']['wf1']:.2f} {mark}", markup=False)

        rec = run_fold(settings, corpus, fold, reg, run_dir=out / fold.name, model_name=model_name,
                       on_epoch=None if args.quiet else show)
        if is_main():
            append_record(out / "results.jsonl", rec)
        records.append(rec)
    if args.json:
        print_json(records)
        return 0
    console.print(simple_table(f"{model_name} on {corpus.name} — test metrics (%), selected on validation",
                               ["fold", "seed", f"val {records[0]['selection'].split('.')[-1]}", "WA", "UA", "WF1",
                                "macro-F1", "best epoch"], metrics_rows(records)))
    console.print(f"run directory: {out}  (config.yaml, best.pt, last.pt, log.jsonl per fold; results.jsonl)")
    return 0


def cmd_eval(args: argparse.Namespace) -> int:
    from ...config.build import check_section
    from ...data.feature_norm import normalize_fold
    from ...data.loader import input_dims, make_loader
    from ...data.dataset_choice import select_dataset, set_root
    from ...run.experiment import load_corpus, make_folds
    from ...run.inference import load_trained
    from ...plugins.host import get_registry
    from ...run.trainer import Trainer

    reg = get_registry()
    trained = load_trained(args.checkpoint, reg)
    cfg, spec = trained.config.copy(), trained.spec
    if args.set:
        from ...config.overrides import apply_overrides, parse_override

        fixed = [o for o in args.set if parse_override(o)[0].split(".")[0] == "model"]
        if fixed:
            raise ConfigError(f"mer eval --set {fixed[0]}: the model is the checkpoint's, built from the config it "
                              f"was trained with; only data.* and train.* keys can change at evaluation")
        apply_overrides(cfg, args.set)
    cfg = set_root(cfg, args.root)
    if args.dataset:
        cfg = select_dataset(cfg, args.dataset, registry=reg)
    data_cfg = check_section("data", cfg.data.get("data"), cfg)
    corpus = load_corpus(data_cfg, reg)
    if list(corpus.label_names) != list(spec.label_names):
        raise RunError(f"checkpoint '{trained.path}' predicts {spec.label_names} but dataset '{corpus.name}' "
                       f"has labels {corpus.label_names}")
    folds = make_folds(corpus, data_cfg, reg)
    fold_name = args.fold or trained.fold
    fold = next((f for f in folds if f.name == fold_name), None if args.fold else folds[0])
    if fold is None:
        raise ConfigError(f"--fold '{args.fold}': dataset '{corpus.name}' has folds {[f.name for f in folds]}")
    fold, _ = normalize_fold(fold, data_cfg.feature_norm, corpus)  # as the checkpoint's run saw its data
    samples = getattr(fold, args.split)
    dims = input_dims(samples)
    wrong = {m: (d, dims.get(m)) for m, d in spec.input_dims.items() if d is not None and dims.get(m) != d}
    if wrong:
        detail = ", ".join(f"{m}: checkpoint {a}, data {b}" for m, (a, b) in wrong.items())
        raise RunError(f"feature dimensions of '{corpus.name}' differ from what checkpoint '{trained.path}' "
                       f"expects ({detail}); extract the features with the encoder the model was trained on")
    model = trained.model
    train_cfg = check_section("train", cfg.data.get("train"), cfg)
    if args.device:
        train_cfg.device = args.device
    trainer = Trainer(model, train_cfg, label_names=spec.label_names)
    loader = make_loader(samples, data_cfg.eval_batch_size or data_cfg.batch_size, shuffle=False,
                         batch_by=data_cfg.batch_by, audio=corpus.audio_modalities)
    res = trainer.evaluate(loader)
    if args.split == "test":
        from ...results.ledger import log_test_access
        from ...results.records import config_hash

        log_test_access({"dataset": corpus.name, "protocol": fold.protocol, "fold": fold.name,
                         "model": trained.model_name or str(trained.path),
                         "config_hash": trained.config_hash or config_hash(trained.config.data),
                         "checkpoint": str(trained.path)}, "eval")
    out = {"checkpoint": str(args.checkpoint), "dataset": corpus.name, "fold": fold.name, "split": args.split,
           "utterances": len(samples), "metrics": res}
    if args.json:
        print_json(out)
        return 0
    console.print(simple_table(f"{args.checkpoint} on {corpus.name} {fold.name}/{args.split} ({len(samples)} utts)",
                               ["WA", "UA", "WF1", "macro-F1"], [[f"{res[m]:.2f}" for m in METRIC_COLUMNS]]))
    console.print(simple_table("per-class F1", list(res["per_class_f1"]),
                               [[f"{v:.2f}" for v in res["per_class_f1"].values()]]))
    return 0


def register(subparsers: Any) -> None:
    fmt = argparse.RawDescriptionHelpFormatter
    p = subparsers.add_parser(
        "train", help="train a model on a dataset", formatter_class=fmt,
        description="Train a registered model config or a YAML file on every fold of the dataset's protocol, "
                    "selecting the best epoch on validation and evaluating it once on test.",
        epilog="examples:\n  mer train --model gated_mlp --dataset demo --epochs 10\n"
               "  mer train --config my_model.yaml --dataset meld --root /data/MELD --set train.lr=3e-4")
    p.add_argument("--config", help="YAML config file (or registered model name)")
    p.add_argument("--model", help="registered model name (see `mer list model`)")
    p.add_argument("--dataset", help="dataset name or manifest file (default: the config's data.dataset)")
    p.add_argument("--root", help="dataset root (file or folder)")
    p.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="override a config value")
    p.add_argument("--epochs", type=int, help="number of epochs (overrides train.epochs)")
    p.add_argument("--seed", type=int, help="random seed (default train.seed)")
    p.add_argument("--device", help="auto, cpu, cuda, cuda:1 ...")
    p.add_argument("--amp", choices=["off", "bf16", "fp16"], help="mixed precision")
    p.add_argument("--fold", help="only these folds (comma list)")
    p.add_argument("--out", help="run directory (default runs/train/<model>-<dataset>-<time>)")
    p.add_argument("--quiet", action="store_true", help="no per-epoch lines")
    p.add_argument("--json", action="store_true", help="print the run records as JSON")
    p.set_defaults(func=cmd_train)

    p = subparsers.add_parser(
        "eval", help="evaluate a checkpoint", formatter_class=fmt,
        description="Evaluate a checkpoint written by `mer train`/`mer bench` on a split of a dataset.",
        epilog="example:\n  mer eval runs/train/x/official/best.pt --dataset demo --split test")
    p.add_argument("checkpoint")
    p.add_argument("--dataset", help="dataset (default: the one the checkpoint was trained on)")
    p.add_argument("--root", help="dataset root")
    p.add_argument("--split", choices=["train", "val", "test"], default="test")
    p.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                   help="override the checkpoint's data settings, e.g. data.batch_size=64")
    p.add_argument("--fold", help="fold name (default: the checkpoint's fold)")
    p.add_argument("--device", help="auto, cpu, cuda ...")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_eval)
