"""``mer data stats``: utterances, dialogues and label counts per split (or fold), and every problem found."""

from __future__ import annotations

import argparse
from typing import Any

from ...errors import DataError
from ..output import console, print_json, simple_table


def collect_stats(dataset: str, root: str | None, protocol: str | None, options: dict[str, Any]) -> dict[str, Any]:
    """Read the dataset leniently (``strict=False``) and describe its folds."""
    from ...config import build_part
    from ...experiment import dataset_node
    from ...plugins import get_registry

    reg = get_registry()
    node: dict[str, Any] = dict(dataset_node(dataset))
    node.update(options)
    if root is not None:
        node["root"] = root
    if "strict" in reg.dataset.info(node["type"])["signature"]:
        node["strict"] = False
    corpus = build_part("dataset", node, reg, path="dataset")
    proto_name = protocol or corpus.default_protocol
    try:
        folds = reg.protocol.get(proto_name, where="--protocol")().folds(corpus)
    except DataError as err:  # still report what was read and every problem found
        folds, corpus.problems = [], [*corpus.problems, str(err)]
    out: dict[str, Any] = {"dataset": corpus.name, "source": corpus.source, "utterances": len(corpus.samples),
                           "dialogues": len({s.dialogue_id for s in corpus.samples}),
                           "speakers": len({s.speaker for s in corpus.samples}), "labels": corpus.label_names,
                           "label_counts": corpus.label_counts(), "modalities": corpus.modalities,
                           "protocol": proto_name, "folds": [], "problems": list(corpus.problems)}
    unlabeled = sum(1 for s in corpus.samples if s.label < 0)
    if unlabeled:
        out["problems"].append(f"{unlabeled} utterance(s) have no label")
    for f in folds:
        fold: dict[str, Any] = {"name": f.name}
        for split in ("train", "val", "test"):
            ss = getattr(f, split)
            fold[split] = {"utterances": len(ss), "dialogues": len({s.dialogue_id for s in ss}),
                           "label_counts": corpus.label_counts(ss)}
        out["folds"].append(fold)
    return out


def cmd_stats(args: argparse.Namespace) -> int:
    options = {}
    for item in args.option:
        from ...config import parse_override

        key, value = parse_override(item)
        options[key] = value
    stats = collect_stats(args.dataset, args.root, args.protocol, options)
    if args.json:
        print_json(stats)
        return 1 if stats["problems"] else 0
    console.print(f"[bold]{stats['dataset']}[/] from {stats['source']}: {stats['utterances']} utterances, "
                  f"{stats['dialogues']} dialogues, {stats['speakers']} speakers, modalities {stats['modalities']}, "
                  f"protocol {stats['protocol']}")
    labels = stats["labels"]
    rows = []
    for f in stats["folds"]:
        for split in ("train", "val", "test"):
            d = f[split]
            rows.append([f["name"], split, d["dialogues"], d["utterances"], *[d["label_counts"].get(x, 0) for x in labels]])
    console.print(simple_table(None, ["fold", "split", "dialogues", "utterances", *labels], rows))
    if stats["problems"]:
        console.print(f"[yellow]{len(stats['problems'])} problem(s):[/]")
        for p in stats["problems"]:
            console.print(f"  - {p}", markup=False)
        return 1
    return 0


def register(subparsers: Any) -> None:
    p = subparsers.add_parser(
        "data", help="inspect datasets", formatter_class=argparse.RawDescriptionHelpFormatter,
        description="`mer data stats DATASET --root PATH`: dialogues, utterances and label counts per split or fold, "
                    "and every problem found in the files (missing audio, unknown labels, bad rows); exit 1 if any.",
        epilog="examples:\n  mer data stats iemocap6 --root ../shared/data/iemocap/iemocap_cosmic.pkl --json\n"
               "  mer data stats meld --root /data/MELD.Raw\n  mer data stats my_corpus.csv")
    sub = p.add_subparsers(dest="data_command", metavar="ACTION")
    s = sub.add_parser("stats", help="dataset statistics and problems")
    s.add_argument("dataset", help="dataset name or manifest file")
    s.add_argument("--root", help="dataset root (file or folder); default $MER_DATA_ROOT/<dataset>")
    s.add_argument("--protocol", help="split protocol (default: the dataset's own)")
    s.add_argument("--option", action="append", default=[], metavar="KEY=VALUE", help="dataset option")
    s.add_argument("--json", action="store_true")
    s.set_defaults(func=cmd_stats)
    p.set_defaults(func=lambda a: (p.print_help(), 0)[1])
