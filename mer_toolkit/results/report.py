"""Summaries of run records: mean ± std over seeds and folds, as Markdown, CSV, JSON and LaTeX, and plots.

Published figures (package data of the plugins, see ``published.py``) appear in their own column, with
the labels of their source, never mixed with ours.
"""

from __future__ import annotations

import csv
import io
import json
import math
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ..config.metrics import LABELS, METRICS, metric_direction
from ..data.guardrails import summarize_checks
from .compare import tie_table
from .published import PublishedFigures, find_published

__all__ = ["dedupe", "summarize", "markdown_table", "write_reports", "write_plots"]


def dedupe(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One record per (model, dataset, fold, seed, config hash); the last one written wins."""
    from .records import record_key

    seen: dict[tuple, dict[str, Any]] = {}
    for r in records:
        seen[record_key(r)] = r
    return list(seen.values())


def _mean_std(values: list[float]) -> tuple[float, float]:
    m = sum(values) / len(values)
    sd = math.sqrt(sum((v - m) ** 2 for v in values) / (len(values) - 1)) if len(values) > 1 else 0.0
    return m, sd


def summarize(records: list[dict[str, Any]], published: Sequence[PublishedFigures] = ()) -> list[dict[str, Any]]:
    """Rows per (dataset, model): n runs, seeds, folds, protocol, mean/std of every metric, published figures,
    and ``vs_best``: per metric the paired bootstrap interval of its difference to the best model (``tied``)."""
    groups: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    for r in records:
        groups[(r["dataset"], r["model"])].append(r)
    rows = []
    for (dataset, model), recs in sorted(groups.items()):
        row: dict[str, Any] = {"dataset": dataset, "model": model, "n": len(recs),
                               "seeds": sorted({r["seed"] for r in recs}), "folds": sorted({str(r["fold"]) for r in recs}),
                               "protocol": recs[0]["protocol"], "selection": recs[0].get("selection", ""),
                               "tuning_trials": sorted({(r.get("tuning") or {}).get("trials", 0) for r in recs})}
        for m in METRICS:
            row[m], row[f"{m}_std"] = _mean_std([r["metrics"]["test"][m] for r in recs])
        ref = find_published(list(published), model, dataset)
        row["published"] = {"text": ref.text(), "source": ref.source} if ref else None
        row["guardrails"] = summarize_checks([(r.get("guardrails") or {}).get("status", "unchecked") for r in recs])
        rows.append(row)
    ties = tie_table(records, rows)
    for row in rows:
        row["vs_best"] = ties.get((row["dataset"], row["model"]), {})
    return rows


def _best(rows: list[dict[str, Any]]) -> set[tuple[str, str, str]]:
    best = set()
    for dataset in {r["dataset"] for r in rows}:
        sub = [r for r in rows if r["dataset"] == dataset]
        for m in METRICS:
            top = max(r[m] for r in sub)
            best |= {(dataset, r["model"], m) for r in sub if r[m] == top}
    return best


def _published_text(row: dict[str, Any]) -> str:
    return row["published"]["text"] if row.get("published") else ""


def _tied(row: dict[str, Any], metric: str) -> bool:
    return bool((row.get("vs_best") or {}).get(metric, {}).get("tied"))


def markdown_table(rows: list[dict[str, Any]], ledger_lines: Sequence[str] = ()) -> str:
    """Markdown table; the best mean per dataset and metric is bold, models tied with it are marked ≈; the notes
    end with how many configs of each model the test-access ledger saw evaluated on each test split."""
    best = _best(rows)
    head = ["dataset", "model", "runs", *[LABELS[m] for m in METRICS], "guardrails", "published (not ours)"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in rows:
        cells = []
        for m in METRICS:
            text = f"{r[m]:.2f} ± {r[f'{m}_std']:.2f}"
            cells.append(f"**{text}**" if (r["dataset"], r["model"], m) in best else
                         f"{text} ≈" if _tied(r, m) else text)
        lines.append("| " + " | ".join([r["dataset"], r["model"], str(r["n"]), *cells, r.get("guardrails", "unchecked"),
                                        _published_text(r)]) + " |")
    sources = sorted({r["published"]["source"] for r in rows if r.get("published")})
    notes = [f"Mean ± std over seeds and folds of the test split; the epoch was selected on validation "
             f"({rows[0]['selection'] if rows else ''}); best per dataset in bold. Guardrails: 'clean' = no "
             "utterance in two splits, selection not on test, train/test speakers disjoint where the protocol "
             "claims speaker independence; otherwise the violation."]
    notes += _tie_notes(rows)
    notes += _tuning_notes(rows)
    notes += [f"Published figures: {s}." for s in sources]
    if ledger_lines:
        notes.append("Test-split evaluations in the ledger (distinct configs per model and test fold): "
                     + "; ".join(ledger_lines) + ".")
    return "\n".join(lines) + "\n\n" + "\n".join(notes) + "\n"


def _tie_notes(rows: list[dict[str, Any]]) -> list[str]:
    """What ≈ means, and where ties could not be tested (records without per-utterance predictions)."""
    notes = []
    if any(r.get("vs_best") for r in rows):
        notes.append("≈: tied with the best of its dataset, the 95 % paired bootstrap interval of the difference "
                     "covers 0 (`mer results compare --test A,B` prints it).")
    best = _best(rows)
    untested = sorted({f"{r['model']} ({r['dataset']})" for r in rows for m in METRICS
                       if (r["dataset"], r["model"], m) not in best and m not in (r.get("vs_best") or {})})
    if untested:
        notes.append("Not tested against the best (no per-utterance predictions in a record, or no shared cell): "
                     + ", ".join(untested) + ".")
    return notes


def _tuning_notes(rows: list[dict[str, Any]]) -> list[str]:
    """Whether the models of each dataset were compared at an equal tuning budget (Optuna trials on validation)."""
    notes = []
    for dataset in sorted({r["dataset"] for r in rows}):
        budgets = {r["model"]: r.get("tuning_trials") or [0] for r in rows if r["dataset"] == dataset}
        if all(b == [0] for b in budgets.values()):
            continue
        values = {tuple(b) for b in budgets.values()}
        if len(values) == 1 and len(next(iter(values))) == 1:
            notes.append(f"{dataset}: equal tuning budget, every model had {next(iter(values))[0]} Optuna trials on "
                         "validation before its seeds ran with the best config.")
        else:
            parts = ", ".join(f"{m}: {'/'.join(map(str, b))}" for m, b in sorted(budgets.items()))
            notes.append(f"{dataset}: tuning budgets differ (trials per model: {parts}; 0 = defaults), so this is "
                         "not an equal-budget comparison.")
    return notes


def _latex(rows: list[dict[str, Any]]) -> str:
    best = _best(rows)
    out = ["\\begin{tabular}{ll" + "c" * len(METRICS) + "}", "\\toprule",
           "Dataset & Model & " + " & ".join(LABELS[m] for m in METRICS) + " \\\\", "\\midrule"]
    for r in rows:
        cells = []
        for m in METRICS:
            text = f"{r[m]:.2f} $\\pm$ {r[f'{m}_std']:.2f}"
            cells.append(f"\\textbf{{{text}}}" if (r["dataset"], r["model"], m) in best else
                         f"{text}$^\\approx$" if _tied(r, m) else text)
        out.append(f"{r['dataset']} & {r['model'].replace('_', chr(92) + '_')} & " + " & ".join(cells) + " \\\\")
    out += ["\\bottomrule", "\\end{tabular}"]
    return "\n".join(out) + "\n"


def write_reports(rows: list[dict[str, Any]], out: Path, ledger_lines: Sequence[str] = ()) -> list[Path]:
    """``summary.md/.csv/.json/.tex`` in ``out``."""
    out.mkdir(parents=True, exist_ok=True)
    paths = {ext: out / f"summary.{ext}" for ext in ("md", "csv", "json", "tex")}
    paths["md"].write_text(markdown_table(rows, ledger_lines))
    buf = io.StringIO()
    fields = ["dataset", "model", "n", "protocol", *[x for m in METRICS for x in (m, f"{m}_std")], "tied_with_best",
              "guardrails", "published"]
    writer = csv.DictWriter(buf, fieldnames=fields, extrasaction="ignore")
    writer.writeheader()
    for r in rows:
        writer.writerow({**r, "published": _published_text(r),
                         "tied_with_best": " ".join(m for m in METRICS if _tied(r, m))})
    paths["csv"].write_text(buf.getvalue())
    paths["json"].write_text(json.dumps(rows, indent=1))
    paths["tex"].write_text(_latex(rows))
    return list(paths.values())


def write_plots(records: list[dict[str, Any]], rows: list[dict[str, Any]], out: Path) -> list[Path]:
    """Model comparison with error bars, per-class F1, confusion matrix of the run best on validation."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    out.mkdir(parents=True, exist_ok=True)
    written = []
    for dataset in sorted({r["dataset"] for r in rows}):
        sub = [r for r in rows if r["dataset"] == dataset]
        fig, ax = plt.subplots(figsize=(max(5, 1.2 * len(sub) * 1.5), 3.6))
        width = 0.8 / len(METRICS)
        for k, m in enumerate(METRICS):
            xs = [i + k * width for i in range(len(sub))]
            ax.bar(xs, [r[m] for r in sub], width, yerr=[r[f"{m}_std"] for r in sub], capsize=3, label=LABELS[m])
        ax.set_xticks([i + 0.4 - width / 2 for i in range(len(sub))], [r["model"] for r in sub], rotation=20)
        ax.set_ylabel("test score (%)")
        ax.set_title(f"{dataset}: mean ± std over seeds/folds")
        ax.legend(fontsize=8, ncol=len(METRICS))
        fig.tight_layout()
        written.append(out / f"compare_{dataset}.png")
        fig.savefig(written[-1], dpi=110)
        plt.close(fig)

        recs = [r for r in records if r["dataset"] == dataset]
        labels = recs[0]["label_names"]
        fig, ax = plt.subplots(figsize=(max(5, 0.9 * len(labels) * 1.5), 3.6))
        models = sorted({r["model"] for r in recs})
        width = 0.8 / len(models)
        for k, model in enumerate(models):
            mine = [r for r in recs if r["model"] == model]
            means = [sum(r["metrics"]["test"]["per_class_f1"][c] for r in mine) / len(mine) for c in labels]
            ax.bar([i + k * width for i in range(len(labels))], means, width, label=model)
        ax.set_xticks([i + 0.4 - width / 2 for i in range(len(labels))], labels, rotation=20)
        ax.set_ylabel("test F1 (%)")
        ax.set_title(f"{dataset}: per-class F1")
        ax.legend(fontsize=8)
        fig.tight_layout()
        written.append(out / f"per_class_f1_{dataset}.png")
        fig.savefig(written[-1], dpi=110)
        plt.close(fig)

        best = _best_on_validation(recs)
        conf = best["metrics"]["test"]["confusion"]
        fig, ax = plt.subplots(figsize=(4.2, 3.8))
        ax.imshow(conf, cmap="Blues")
        for i, row in enumerate(conf):
            for j, v in enumerate(row):
                ax.text(j, i, str(v), ha="center", va="center", fontsize=8)
        ax.set_xticks(range(len(labels)), labels, rotation=30)
        ax.set_yticks(range(len(labels)), labels)
        ax.set_xlabel("predicted")
        ax.set_ylabel("true")
        ax.set_title(f"{best['model']} seed {best['seed']} {best['fold']} (best on val)", fontsize=9)
        fig.tight_layout()
        written.append(out / f"confusion_{dataset}.png")
        fig.savefig(written[-1], dpi=110)
        plt.close(fig)
    return written


def _best_on_validation(records: list[dict[str, Any]]) -> dict[str, Any]:
    """The record whose selection metric is best on validation (lowest when it selects on the loss)."""
    monitor = records[0].get("selection", "val.wf1").split(".")[-1]
    sign = -1 if metric_direction(monitor) == "minimize" else 1
    return max(records, key=lambda r: sign * r["metrics"]["val"][monitor])
