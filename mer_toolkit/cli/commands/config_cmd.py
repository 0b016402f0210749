"""``mer config show``: the fully resolved config of a model name or YAML file, with provenance."""

from __future__ import annotations

import argparse
import json
from typing import Any

import yaml

from ..output import console


def _leaves(data: Any, prefix: str = "") -> list[tuple[str, Any]]:
    if isinstance(data, dict) and data:
        out: list[tuple[str, Any]] = []
        for k, v in data.items():
            out += _leaves(v, f"{prefix}.{k}" if prefix else str(k))
        return out
    return [(prefix, data)]


def cmd_show(args: argparse.Namespace) -> int:
    from ...config import resolve_config
    from ...data.dataset_choice import select_dataset
    from ...plugins.host import get_registry

    reg = get_registry()
    cfg = resolve_config(args.target, reg, args.set)
    if args.dataset:
        cfg = select_dataset(cfg, args.dataset, registry=reg)
    if not args.explain:
        console.print(yaml.safe_dump(cfg.data, sort_keys=False), markup=False, end="")
        return 0
    rows = _leaves(cfg.data)
    width = max(len(p) for p, _ in rows)
    for path, value in rows:
        text = json.dumps(value, default=str) if not isinstance(value, str) else value
        console.print(f"{path:<{width}} = {text:<24} # {cfg.where(path)}", markup=False)
    return 0


def register(subparsers: Any) -> None:
    p = subparsers.add_parser(
        "config", help="show resolved configs", formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Inspect configs: `mer config show NAME|FILE` prints the config after _base_ inheritance "
                    "and --set overrides; --explain shows where each value came from (file:line, --set, model).",
        epilog="examples:\n  mer config show gated_mlp --explain\n  mer config show my_model.yaml --set train.lr=3e-4")
    sub = p.add_subparsers(dest="config_command", metavar="ACTION")
    s = sub.add_parser("show", help="print a resolved config")
    s.add_argument("target", help="registered model name or YAML file")
    s.add_argument("--explain", action="store_true", help="show the origin of every value")
    s.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="override a value")
    s.add_argument("--dataset", help="apply this dataset's per_dataset overrides")
    s.set_defaults(func=cmd_show)
    p.set_defaults(func=lambda a: (p.print_help(), 0)[1])
