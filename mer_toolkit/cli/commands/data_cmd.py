"""``mer data stats``: counts per split (or fold) and every problem found; ``mer data list``: one row per utterance."""

from __future__ import annotations

import argparse
from typing import Any

from ...errors import DataError
from ..output import console, print_json, simple_table


def load_corpus(dataset: str, root: str | None, options: dict[str, Any]) -> Any:
    """Read the dataset leniently (``strict=False``): problems are listed, not raised."""
    from ...data.dataset_choice import dataset_node
    from ...run.experiment import build_corpus
    from ...plugins.host import get_registry

    reg = get_registry()
    node: dict[str, Any] = dict(dataset_node(dataset, reg))
    node.update(options)
    if root is not None:
        node["root"] = root
    if "strict" in reg.dataset.info(node["type"])["signature"]:
        node["strict"] = False
    return build_corpus(node, reg, "dataset")


def silent_audio(corpus: Any) -> list[str]:
    """Ids of utterances with an audio file (of a modality the dataset declares as audio) that decodes to
    silence (they train without it)."""
    from ...data.audio import is_silent, load_waveform

    return [s.id for s in corpus.samples
            if any(isinstance(v := s.modalities.get(m), str) and is_silent(load_waveform(v))
                   for m in corpus.audio_modalities)]


def collect_stats(dataset: str, root: str | None, protocol: str | None, options: dict[str, Any],
                  decode: bool = False, protocol_options: dict[str, Any] | None = None) -> dict[str, Any]:
    """Read the dataset leniently and describe its folds; ``decode`` also reads every audio file for silence."""
    from ...config.build import build_part
    from ...run.experiment import fold_guardrails
    from ...plugins.host import get_registry

    reg = get_registry()
    corpus = load_corpus(dataset, root, options)
    proto_name = protocol or corpus.default_protocol
    reg.protocol.get(proto_name, where="--protocol")
    try:
        folds = build_part("protocol", {"type": proto_name, **(protocol_options or {})}, reg,
                           path="--protocol-option").folds(corpus)
    except DataError as err:  # still report what was read and every problem found
        folds, corpus.problems = [], [*corpus.problems, str(err)]
    out: dict[str, Any] = {"dataset": corpus.name, "source": corpus.source, "utterances": len(corpus.samples),
                           "dialogues": len({s.dialogue_id for s in corpus.samples}),
                           "speakers": len({s.speaker for s in corpus.samples}), "labels": corpus.label_names,
                           "label_counts": corpus.label_counts(), "modalities": corpus.modalities,
                           "protocol": proto_name, "note": corpus.info.get("note"), "folds": [],
                           "problems": list(corpus.problems),
                           "absent": corpus.absent(), "silent_audio": silent_audio(corpus) if decode else None}
    unlabeled = sum(1 for s in corpus.samples if s.label < 0)
    if unlabeled:
        out["problems"].append(f"{unlabeled} utterance(s) have no label")
    for f in folds:
        f.protocol = f.protocol or proto_name
        fold: dict[str, Any] = {"name": f.name, "guardrails": fold_guardrails(f, reg)["status"]}
        for split in ("train", "val", "test"):
            ss = getattr(f, split)
            fold[split] = {"utterances": len(ss), "dialogues": len({s.dialogue_id for s in ss}),
                           "speakers": len({s.speaker for s in ss}), "label_counts": corpus.label_counts(ss)}
        out["folds"].append(fold)
    return out


def utterance_rows(corpus: Any, split: str | None = None) -> list[dict[str, Any]]:
    """One record per utterance as the reader produced it; position is None where turn order is unknown.

    The split is the one of the dataset's default protocol when it makes a single fold, else the file's own.
    """
    from ...plugins.host import get_registry

    splits: dict[str, str] = {}
    try:
        folds = get_registry().protocol.get(corpus.default_protocol)().folds(corpus)
    except DataError:
        folds = []
    if len(folds) == 1:
        splits = {s.id: name for name in ("train", "val", "test") for s in getattr(folds[0], name)}
    rows = []
    for s in sorted(corpus.samples, key=lambda s: (s.dialogue_id, s.position, s.id)):
        where = splits.get(s.id, s.meta.get("split"))
        if split is not None and where != split:
            continue
        rows.append({"id": s.id, "split": where, "dialogue": s.dialogue_id,
                     "position": s.position if s.position >= 0 else None, "speaker": s.speaker,
                     "label": corpus.label_names[s.label] if s.label >= 0 else None,
                     "modalities": sorted(s.modalities)})
    return rows


def _options(items: list[str]) -> dict[str, Any]:
    from ...config.overrides import parse_override

    return dict(parse_override(item) for item in items)


def cmd_list(args: argparse.Namespace) -> int:
    corpus = load_corpus(args.dataset, args.root, _options(args.option))
    rows = utterance_rows(corpus, args.split)
    if args.json:
        print_json(rows)
        return 0
    console.print(simple_table(None, ["id", "split", "dialogue", "position", "speaker", "label", "modalities"],
                               [[r["id"], r["split"] or "-", r["dialogue"],
                                 "unknown" if r["position"] is None else r["position"], r["speaker"], r["label"],
                                 ",".join(r["modalities"])] for r in rows]))
    return 0


def cmd_stats(args: argparse.Namespace) -> int:
    stats = collect_stats(args.dataset, args.root, args.protocol, _options(args.option), args.decode,
                          _options(args.protocol_option))
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
            rows.append([f["name"], split, d["dialogues"], d["speakers"], d["utterances"],
                         *[d["label_counts"].get(x, 0) for x in labels], f["guardrails"] if split == "train" else ""])
    console.print(simple_table(None, ["fold", "split", "dialogues", "speakers", "utterances", *labels, "guardrails"],
                               rows))
    if stats["note"]:
        console.print(f"note: {stats['note']}", markup=False)
    for modality, ids in stats["absent"].items():
        console.print(f"without {modality} ({len(ids)}): {', '.join(ids)}", markup=False)
    if stats["silent_audio"]:
        console.print(f"silent audio, trained without it ({len(stats['silent_audio'])}): "
                      f"{', '.join(stats['silent_audio'])}", markup=False)
    violations = [f"{f['name']}: {f['guardrails']}" for f in stats["folds"] if f["guardrails"] != "clean"]
    if violations:
        stats["problems"] = [*stats["problems"], *(f"guardrail violated in fold {v}" for v in violations)]
    if stats["problems"]:
        console.print(f"[yellow]{len(stats['problems'])} problem(s):[/]")
        for p in stats["problems"]:
            console.print(f"  - {p}", markup=False)
        return 1
    return 0


def register(subparsers: Any) -> None:
    p = subparsers.add_parser(
        "data", help="inspect datasets", formatter_class=argparse.RawDescriptionHelpFormatter,
        description="`mer data stats DATASET --root PATH`: dialogues, speakers, utterances and label counts per split or fold, "
                    "and every problem found in the files (missing audio, unknown labels, bad rows); exit 1 if any. "
                    "`mer data list DATASET --root PATH`: one row per utterance (id, split, dialogue, position, "
                    "speaker, label, modalities present), to check a reader against the release.",
        epilog="examples:\n  mer data stats iemocap6 --root ../shared/data/iemocap/iemocap_cosmic.pkl --json\n"
               "  mer data stats meld --root /data/MELD.Raw\n  mer data stats my_corpus.csv\n"
               "  mer data list iemocap6 --root ../shared/data/iemocap --option "
               "order=../shared/data/iemocap/iemocap_cosmic.pkl --split test")
    sub = p.add_subparsers(dest="data_command", metavar="ACTION")
    s = sub.add_parser("stats", help="dataset statistics and problems")
    s.add_argument("dataset", help="dataset name or manifest file")
    s.add_argument("--root", help="dataset root (file or folder); default $MER_DATA_ROOT/<dataset>")
    s.add_argument("--protocol", help="split protocol (default: the dataset's own)")
    s.add_argument("--option", action="append", default=[], metavar="KEY=VALUE", help="dataset option")
    s.add_argument("--protocol-option", action="append", default=[], metavar="KEY=VALUE",
                   help="protocol option, e.g. validation=speakers")
    s.add_argument("--decode", action="store_true", help="also decode every audio file and list the silent ones")
    s.add_argument("--json", action="store_true")
    s.set_defaults(func=cmd_stats)
    ls = sub.add_parser("list", help="one row per utterance: id, split, dialogue, position, speaker, label, modalities")
    ls.add_argument("dataset", help="dataset name or manifest file")
    ls.add_argument("--root", help="dataset root (file or folder); default $MER_DATA_ROOT/<dataset>")
    ls.add_argument("--split", choices=["train", "val", "test"], help="only utterances of this split")
    ls.add_argument("--option", action="append", default=[], metavar="KEY=VALUE", help="dataset option")
    ls.add_argument("--json", action="store_true")
    ls.set_defaults(func=cmd_list)
    p.set_defaults(func=lambda a: (p.print_help(), 0)[1])
