"""The cross-corpus table of benchmarks/cross_corpus.sh: per (training corpus → test corpus) pair the test UA and
WA of both `data.feature_norm` modes (mean ± std over seeds and folds) and the paired 95 % bootstrap interval
of corpus − train on the same (fold, seed) cells, from the records' per-utterance predictions.

    python benchmarks/cross_corpus_table.py [runs/cross_corpus]
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from mer_toolkit.results.compare import compare_pair
from mer_toolkit.results.records import labelled, read_records

CORPORA = ("ravdess", "emodb", "nemo")
MODES = ("train", "corpus")


def _cell(summary: dict, metric: str) -> str:
    return f"{summary[metric]:.2f} ± {summary[metric + '_std']:.2f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", nargs="?", default="runs/cross_corpus")
    out = Path(parser.parse_args().out)
    print("| train → test | emotions | test utterances | cells | UA `train` | UA `corpus` | UA corpus − train [95 %] "
          "| WA `train` | WA `corpus` | WA corpus − train [95 %] |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for src in CORPORA:
        for tgt in CORPORA:
            if src == tgt:
                continue
            folders = {m: out / f"{src}_{tgt}_{m}" for m in MODES}
            if not all((f / "summary.json").exists() for f in folders.values()):
                continue
            summary = {m: json.loads((folders[m] / "summary.json").read_text())[0] for m in MODES}
            # each mode's records labelled with it, as `mer results compare train=DIR corpus=DIR` does
            records = [r for m in MODES for r in labelled(read_records(folders[m] / "results.jsonl"), m)]
            first = records[0]
            model = summary["train"]["model"]
            cmp = compare_pair(records, f"corpus/{model}", f"train/{model}", first["dataset"], metrics=("ua", "wa"))
            diff = {row["metric"]: f"{row['diff']:+.2f} [{row['low']:+.2f}, {row['high']:+.2f}]"
                    + (" (tie)" if row["tied"] else "") for row in cmp["metrics"]}
            n_test = len(first["predictions"]["ids"])
            print(f"| {src} → {tgt} | {len(first['label_names'])} | {n_test} | {cmp['cells']} "
                  f"| {_cell(summary['train'], 'ua')} | {_cell(summary['corpus'], 'ua')} | {diff['ua']} "
                  f"| {_cell(summary['train'], 'wa')} | {_cell(summary['corpus'], 'wa')} | {diff['wa']} |")


if __name__ == "__main__":
    main()
