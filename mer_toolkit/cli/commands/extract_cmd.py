"""``mer extract``: compute and cache per-utterance encoder features of one modality of a dataset."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from ..output import console, print_json


def _encoder_spec(text: str) -> Any:
    if text.endswith((".yaml", ".yml")):
        from ...config import load_yaml

        data, _ = load_yaml(Path(text))
        return data.get("encoder", data)
    return text


def cmd_extract(args: argparse.Namespace) -> int:
    from ...config import parse_override
    from ...experiment import load_corpus
    from ...features import clear_cache, extract
    from ...plugins import get_registry
    from ...sections import DataConfig

    if args.clear:
        clear_cache()
        console.print("feature cache cleared")
        return 0
    reg = get_registry()
    data_cfg = DataConfig(dataset=args.dataset, root=args.root,
                          dataset_options=dict(parse_override(o) for o in args.option))
    corpus = load_corpus(data_cfg, reg)
    spec = _encoder_spec(args.encoder)
    modality = args.modality or ("audio" if str(spec).split(".")[0] in ("fbank", "mfcc", "hf_audio") else "text")
    progress = Progress(TextColumn(f"{corpus.name}/{modality}"), BarColumn(), MofNCompleteColumn(),
                        TimeRemainingColumn(), console=console, disable=not console.is_terminal or args.json,
                        transient=True)
    with progress:
        task = progress.add_task("extract", total=len(corpus.samples))
        res = extract(corpus, modality, spec, reg, device=args.device, batch_size=args.batch_size,
                      progress=lambda done, total: progress.update(task, completed=done))
    out = {"dataset": corpus.name, "modality": modality, "encoder": spec, "cache": str(res.path), "hit": res.hit,
           "utterances": res.utterances, "dim": res.dim, "seconds": round(res.seconds, 3)}
    if args.json:
        print_json(out)
    else:
        state = "already cached" if res.hit else f"computed in {res.seconds:.1f}s"
        console.print(f"{corpus.name}/{modality}: {res.utterances} utterances × {res.dim} dims, {state} → {res.path}")
        console.print(f"use it in a config: data: {{features: {{{modality}: {args.encoder}}}}}", markup=False)
    return 0


def register(subparsers: Any) -> None:
    p = subparsers.add_parser(
        "extract", help="cache encoder features of a dataset", formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Compute per-utterance features of one modality with a registered encoder (or an encoder YAML) "
                    "and cache them under $MER_CACHE_DIR (default ~/.cache/mer-toolkit/features). A second run with "
                    "the same encoder, options, weights and data does no work; an interrupted run resumes.",
        epilog="examples:\n  mer extract --dataset meld --root ../shared/data/meld --encoder minilm\n"
               "  mer extract --dataset ravdess --root ../shared/data/ravdess --encoder fbank --modality audio\n"
               "  mer train --model drkf-text --dataset meld --root ../shared/data/meld --set data.features.text=minilm")
    p.add_argument("--dataset", required=False, default="demo", help="dataset name or manifest")
    p.add_argument("--root", help="dataset root")
    p.add_argument("--option", action="append", default=[], metavar="KEY=VALUE", help="dataset option")
    p.add_argument("--encoder", default="minilm", help="registered encoder name or YAML with {type: ..., ...}")
    p.add_argument("--modality", help="text or audio (default: from the encoder)")
    p.add_argument("--device", default="cpu", help="cpu or cuda")
    p.add_argument("--batch-size", type=int, default=16)
    p.add_argument("--clear", action="store_true", help="delete the whole feature cache")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_extract)
