"""``mer results``: merge and tabulate bench results (``compare``, with paired intervals between two models),
split them by whether two unimodal models agree (``breakdown``), and list the test-access ledger (``ledger``)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from ...errors import ConfigError, DataError
from ..output import console, print_json, simple_table


def _records(dirs: list[str]) -> list[dict[str, Any]]:
    """Every record of the bench folders or results.jsonl files, duplicates removed; ``LABEL=DIR`` puts
    ``LABEL/`` before the model names of that folder's records."""
    from ...results.records import labelled, read_records
    from ...results.report import dedupe

    records: list[dict[str, Any]] = []
    for d in dirs:
        label, sep, where = d.partition("=")
        if not sep or Path(d).exists():
            label, where = "", d
        elif not label or any(c in label for c in "/,"):
            raise ConfigError(f"'{d}': a label before '=' names one run, without '/' or ',' (e.g. "
                              f"corpus=runs/cc/ravdess_emodb_corpus)")
        path = Path(where) / "results.jsonl" if Path(where).is_dir() else Path(where)
        if not path.is_file():
            raise DataError(f"'{where}' has no results.jsonl; pass bench directories or results.jsonl files "
                            f"(LABEL=DIR labels a folder's models)")
        records += labelled(read_records(path), label) if label else read_records(path)
    records = dedupe(records)
    if not records:
        raise DataError(f"no records in {dirs}")
    return records


def _pair(text: str, option: str, example: str) -> tuple[str, str]:
    a, _, b = (x.strip() for x in text.partition(","))
    if not a or not b or "," in b:
        raise ConfigError(f"{option} '{text}': expected two model names separated by a comma, e.g. {option} {example}")
    return a, b


def _metrics(text: str | None) -> list[str]:
    from ...config.metrics import METRICS

    chosen = [m.strip() for m in text.split(",")] if text else list(METRICS)
    wrong = [m for m in chosen if m not in METRICS]
    if wrong:
        raise ConfigError(f"--metric {text}: {wrong} not among the metrics {list(METRICS)}")
    return chosen


def _ledger_lines(pairs: list[tuple[str, str]]) -> list[str]:
    from ...results.ledger import access_lines, read_ledger

    return access_lines(read_ledger(), list(dict.fromkeys(pairs)))


def _known_models(records: list[dict[str, Any]], names: tuple[str, ...], dirs: list[str]) -> None:
    known = sorted({r["model"] for r in records})
    missing = [n for n in names if n not in known]
    if missing:
        raise DataError(f"no records of model(s) {missing} in {dirs}; the records hold {known}")


def _fmt_p(p: float, n_boot: int) -> str:
    """The p-value; at its floor (no replicate on the other side of 0) as ``≤ floor``."""
    return f"≤{p:.4f}" if p <= 2 / (n_boot + 1) + 1e-12 else f"{p:.4f}"


def _boot(args: argparse.Namespace) -> None:
    if args.boot < 100:
        raise ConfigError(f"--boot {args.boot}: use at least 100 bootstrap replicates (default 2000)")


def cmd_compare(args: argparse.Namespace) -> int:
    from ...plugins.host import get_host
    from ...results.compare import compare_pair
    from ...results.report import markdown_table, summarize, write_plots, write_reports

    _boot(args)
    records = _records(args.dirs)
    metrics = _metrics(args.metric)
    pair = _pair(args.test, "--test", "drkf,early_fusion") if args.test else None
    if pair:
        _known_models(records, pair, args.dirs)
    rows = summarize(records, get_host().published_figures())
    ledger = _ledger_lines([(r.get("unlabelled_model", r["model"]), r["dataset"]) for r in records])
    out = Path(args.out) if args.out else None
    if out is not None:
        write_reports(rows, out, ledger)
        write_plots(records, rows, out)
    result: dict[str, Any] = {"rows": rows, "ledger": ledger}
    if pair:
        a, b = pair
        tests = [t for dataset in sorted({r["dataset"] for r in records})
                 if (t := compare_pair(records, a, b, dataset, metrics, args.boot, args.boot_seed)) is not None]
        if not tests:
            raise DataError(f"models '{a}' and '{b}' share no (dataset, fold, seed) cells in {args.dirs}")
        result["tests"] = tests
        unlabelled = {r["model"]: r.get("unlabelled_model", r["model"]) for r in records}
        result["ledger_pair"] = _ledger_lines([(unlabelled[m], t["dataset"]) for t in tests for m in (a, b)])
    if args.json:
        print_json(result)
        return 0
    console.print(markdown_table(rows, ledger), markup=False)
    for t in result.get("tests", []):
        console.print(simple_table(
            f"{t['a']} − {t['b']} on {t['dataset']}: {t['cells']} matched (fold, seed) cells, {t['utterances']} "
            f"test predictions per model, {t['n_boot']} paired bootstrap replicates",
            ["metric", "A", "B", "A − B", "95% interval", "p (bootstrap)", "MDE", "p (sign-flip)", "p (Wilcoxon)",
             "verdict"],
            [[m["metric"], f"{m['mean_a']:.2f}", f"{m['mean_b']:.2f}", f"{m['diff']:+.2f}",
              f"[{m['low']:+.2f}, {m['high']:+.2f}]", _fmt_p(m["p"], t["n_boot"]), f"{m['mde']:.2f}",
              f"{m['p_sign_flip']:.4f}", f"{m['p_wilcoxon']:.4f}",
              "tied" if m["tied"] else (f"{t['a']} better" if m["diff"] > 0 else f"{t['b']} better")]
             for m in t["metrics"]]))
    if result.get("ledger_pair"):
        console.print("test-split evaluations in the ledger: " + "; ".join(result["ledger_pair"]), markup=False)
    return 0


def cmd_breakdown(args: argparse.Namespace) -> int:
    from ...results.compare import agreement_breakdown

    _boot(args)
    records = _records(args.dirs)
    first, second = _pair(args.by_agreement, "--by-agreement", "text_mlp,audio_mlp")
    models = [m.strip() for m in args.models.split(",") if m.strip()] if args.models else None
    _known_models(records, (first, second, *(models or ())), args.dirs)
    metrics = _metrics(args.metric)
    datasets = sorted({r["dataset"] for r in records if r["model"] == first} &
                      {r["dataset"] for r in records if r["model"] == second})
    if args.dataset:
        if args.dataset not in datasets:
            raise DataError(f"--dataset {args.dataset}: '{first}' and '{second}' both have records only on {datasets}")
        datasets = [args.dataset]
    if not datasets:
        raise DataError(f"models '{first}' and '{second}' have no dataset in common in {args.dirs}")
    pair = _pair(args.test, "--test", "drkf,early_fusion") if args.test else None
    if pair:
        _known_models(records, pair, args.dirs)
    reports = [agreement_breakdown(records, first, second, d, models, metrics, args.boot, args.boot_seed, pair)
               for d in datasets]
    if args.json:
        print_json(reports)
        return 0
    for rep in reports:
        head = ["model", "cells"] + [f"{part} {m}" for part in ("agree", "disagree") for m in metrics]
        table = []
        for model, res in rep["models"].items():
            cells = [model, str(res["cells"])]
            for part in ("agree", "disagree"):
                for m in metrics:
                    v = res[part].get(m)
                    cells.append(f"{v['mean']:.2f} [{v['low']:.2f}, {v['high']:.2f}]" if v else "–")
            table.append(cells)
        console.print(simple_table(
            f"{rep['dataset']}: {rep['by'][0]} and {rep['by'][1]} agree on {rep['parts']['agree']} and disagree on "
            f"{rep['parts']['disagree']} test predictions over {rep['cells']} (fold, seed) cells; "
            "mean [95% bootstrap interval]", head, table))
        if "pair" in rep:
            t = rep["pair"]
            console.print(simple_table(
                f"{t['a']} − {t['b']} on each part ({t['cells']} matched cells), paired bootstrap",
                ["part", "metric", "A", "B", "A − B", "95% interval", "p", "verdict"],
                [[part, m, f"{v['mean_a']:.2f}", f"{v['mean_b']:.2f}", f"{v['diff']:+.2f}",
                  f"[{v['low']:+.2f}, {v['high']:+.2f}]", _fmt_p(v["p"], rep["n_boot"]),
                  "tied" if v["tied"] else (f"{t['a']} better" if v["diff"] > 0 else f"{t['b']} better")]
                 for part in ("agree", "disagree") for m in metrics if (v := t[part].get(m))]))
    return 0


def cmd_ledger(args: argparse.Namespace) -> int:
    from ...results.ledger import config_counts, ledger_path, read_ledger

    entries = read_ledger(args.dataset)
    if args.json:
        print_json(entries)
        return 0
    if not entries:
        console.print(f"no test-split evaluation{' of ' + args.dataset if args.dataset else ''} in {ledger_path()}")
        return 0
    counts = config_counts(entries)
    evaluations: dict[tuple[str, str, str], int] = {}
    last: dict[tuple[str, str, str], str] = {}
    for e in entries:
        key = (e["model"], e["dataset"], e["fold"])
        evaluations[key] = evaluations.get(key, 0) + 1
        last[key] = max(last.get(key, ""), e["time"])
    console.print(simple_table(
        f"test-split evaluations in {ledger_path()}",
        ["dataset", "test fold", "model", "distinct configs", "evaluations", "last"],
        [[d, f, m, str(counts[(m, d, f)]), str(evaluations[(m, d, f)]), last[(m, d, f)]]
         for (m, d, f) in sorted(counts, key=lambda k: (k[1], k[2], k[0]))]))
    return 0


def register(subparsers: Any) -> None:
    fmt = argparse.RawDescriptionHelpFormatter
    p = subparsers.add_parser(
        "results", help="compare bench results", formatter_class=fmt,
        description="Merge results of bench directories or shards (duplicates removed), print the mean ± std table "
                    "with ties to the best marked, compare two models with paired bootstrap intervals, split the "
                    "test utterances by whether two unimodal models agree, and list the test-access ledger. "
                    "See docs/results.md.",
        epilog="examples:\n  mer results compare runs/shard1 runs/shard2 --out runs/merged\n"
               "  mer results compare runs/x --test drkf,early_fusion\n"
               "  mer results compare a=runs/x b=runs/y --test a/drkf,b/drkf\n"
               "  mer results breakdown runs/x --by-agreement text_mlp,audio_mlp\n"
               "  mer results ledger iemocap6")
    sub = p.add_subparsers(dest="results_command", metavar="ACTION")
    c = sub.add_parser("compare", help="merge and tabulate results; --test A,B: paired intervals")
    c.add_argument("dirs", nargs="+", help="bench directories or results.jsonl files; LABEL=DIR names that folder's "
                                           "models LABEL/<model>, so two runs of one model can be paired")
    c.add_argument("--out", help="write summary.* and plots here")
    c.add_argument("--test", metavar="A,B", help="paired comparison of two models: difference, 95%% bootstrap "
                                                 "interval, p-values, minimal detectable effect per metric")
    c.add_argument("--metric", help="metrics of the comparison, comma list (default: wa,ua,wf1,macro_f1)")
    c.add_argument("--json", action="store_true")
    b = sub.add_parser("breakdown", help="metrics on the test utterances where two models agree / disagree")
    b.add_argument("dirs", nargs="+", help="bench directories or results.jsonl files of one run")
    b.add_argument("--by-agreement", required=True, metavar="TEXT_MODEL,AUDIO_MODEL",
                   help="the two (unimodal) models whose agreement splits the utterances")
    b.add_argument("--models", help="models to report, comma list (default: every model of the run)")
    b.add_argument("--test", metavar="A,B", help="also the paired interval of A − B on each part")
    b.add_argument("--dataset", help="only this dataset (default: each dataset both models ran on)")
    b.add_argument("--metric", help="metrics, comma list (default: wa,ua,wf1,macro_f1)")
    b.add_argument("--json", action="store_true")
    for s in (c, b):
        s.add_argument("--boot", type=int, default=2000, help="bootstrap replicates (default 2000)")
        s.add_argument("--boot-seed", type=int, default=0, help="seed of the bootstrap draws (default 0)")
    c.set_defaults(func=cmd_compare)
    b.set_defaults(func=cmd_breakdown)
    g = sub.add_parser("ledger", help="test-split evaluations recorded with the feature cache")
    g.add_argument("dataset", nargs="?", help="only this dataset (as records name it, e.g. iemocap6)")
    g.add_argument("--json", action="store_true", help="print every entry")
    g.set_defaults(func=cmd_ledger)
    p.set_defaults(func=lambda a: (p.print_help(), 0)[1])
