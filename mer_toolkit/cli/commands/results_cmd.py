"""``mer results compare``: merge bench directories (e.g. shards), tabulate, plot and test significance."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from ...errors import ConfigError, DataError
from ..output import console, print_json, simple_table


def cmd_compare(args: argparse.Namespace) -> int:
    from ...plugins.host import get_host
    from ...config.metrics import METRICS
    from ...results.report import dedupe, markdown_table, summarize, write_plots, write_reports
    from ...results.records import read_records
    from ...results.stats import paired_test

    records: list[dict[str, Any]] = []
    for d in args.dirs:
        path = Path(d) / "results.jsonl" if Path(d).is_dir() else Path(d)
        if not path.is_file():
            raise DataError(f"'{d}' has no results.jsonl; pass bench directories or results.jsonl files")
        records += read_records(path)
    records = dedupe(records)
    if not records:
        raise DataError(f"no records in {args.dirs}")
    rows = summarize(records, get_host().published_figures())
    out = Path(args.out) if args.out else None
    if out is not None:
        write_reports(rows, out)
        write_plots(records, rows, out)
    result: dict[str, Any] = {"rows": rows}
    if args.test:
        a, b = (x.strip() for x in args.test.split(",", 1)) if "," in args.test else (None, None)
        if not a or not b:
            raise ConfigError(f"--test '{args.test}': expected two model names, e.g. --test drkf,early_fusion")
        if args.metric not in METRICS:
            raise ConfigError(f"--metric '{args.metric}' is not one of {list(METRICS)}")
        by = {(r["model"], r["dataset"], str(r["fold"]), r["seed"]): r["metrics"]["test"][args.metric] for r in records}
        tests = []
        for dataset in sorted({r["dataset"] for r in records}):
            keys = sorted({(f, s) for (m, ds, f, s) in by if ds == dataset and m == a} &
                          {(f, s) for (m, ds, f, s) in by if ds == dataset and m == b})
            if not keys:
                continue
            t = paired_test([by[(a, dataset, f, s)] for f, s in keys], [by[(b, dataset, f, s)] for f, s in keys])
            tests.append({"dataset": dataset, "a": a, "b": b, "metric": args.metric, **vars(t)})
        if not tests:
            raise DataError(f"models '{a}' and '{b}' share no (dataset, fold, seed) cells in {args.dirs}")
        result["tests"] = tests
    if args.json:
        print_json(result)
        return 0
    console.print(markdown_table(rows), markup=False)
    for t in result.get("tests", []):
        console.print(simple_table(
            f"paired test on {t['dataset']} ({t['metric']}, {t['n']} matched runs)",
            ["A", "B", "mean A", "mean B", "A − B", "p (sign-flip)", "p (Wilcoxon)"],
            [[t["a"], t["b"], f"{t['mean_a']:.2f}", f"{t['mean_b']:.2f}", f"{t['mean_diff']:+.2f}",
              f"{t['p_permutation']:.4f}", f"{t['p_wilcoxon']:.4f}"]]))
    return 0


def register(subparsers: Any) -> None:
    p = subparsers.add_parser(
        "results", help="compare bench results", formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Merge results of bench directories or shards (duplicates removed), print the mean ± std table, "
                    "optionally write reports/plots and run a paired significance test between two models.",
        epilog="examples:\n  mer results compare runs/shard1 runs/shard2 --out runs/merged\n"
               "  mer results compare runs/x --test drkf,early_fusion --metric wf1")
    sub = p.add_subparsers(dest="results_command", metavar="ACTION")
    c = sub.add_parser("compare", help="merge and tabulate results")
    c.add_argument("dirs", nargs="+", help="bench directories or results.jsonl files")
    c.add_argument("--out", help="write summary.* and plots here")
    c.add_argument("--test", help="paired significance test between two models: A,B")
    c.add_argument("--metric", default="wf1", help="metric of the test (wa, ua, wf1, macro_f1)")
    c.add_argument("--json", action="store_true")
    c.set_defaults(func=cmd_compare)
    p.set_defaults(func=lambda a: (p.print_help(), 0)[1])
