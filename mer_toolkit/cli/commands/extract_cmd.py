"""``mer extract``: compute and cache per-utterance encoder features of one modality of a dataset."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

import yaml

from ...errors import ConfigError
from ..output import console, print_json, simple_table


def _encoder_spec(text: str) -> Any:
    """An encoder name, an inline mapping ``{type: fbank, n_mels: 40}`` or a YAML file holding one."""
    from ...config.loading import load_yaml
    from ...config.overrides import parse_override

    if text.strip().startswith("{"):
        node = parse_override(f"--encoder={text}")[1]
    elif text.endswith((".yaml", ".yml")):
        data, _ = load_yaml(Path(text))
        node = data.get("encoder", data) if isinstance(data, dict) else data
    else:
        return text
    if not isinstance(node, dict) or not isinstance(node.get("type"), str):
        raise ConfigError(f"--encoder {text}: expected an encoder mapping with a 'type' key (e.g. `type: hf_audio` "
                          f"and `path: /models/wav2vec2-base`), in a file optionally under `encoder:`; got {node!r}")
    return node


def _list_cache(as_json: bool) -> int:
    from ...data.feature_cache import cache_entries, cache_root

    entries = cache_entries()
    if as_json:
        print_json(entries)
        return 0
    rows = [[e["dataset"], e["modality"], e["encoder"].get("type"), e["utterances"], e["dim"],
             "pooled" if e["pooled"] else "sequence", e["mib"], e["created"]] for e in entries]
    console.print(simple_table(f"feature cache {cache_root()}",
                               ["dataset", "modality", "encoder", "utterances", "dim", "shape", "MiB", "created"],
                               rows))
    return 0


def cmd_extract(args: argparse.Namespace) -> int:
    from ...config.overrides import parse_override
    from ...run.experiment import load_corpus
    from ...data.feature_cache import clear_cache, extract, input_modality, progress_bar
    from ...plugins.host import get_registry
    from ...config.sections import DataConfig
    from ...run.distributed import resolve_device

    if args.clear:
        console.print(f"removed {clear_cache()} cached feature set(s)")
        return 0
    if args.list:
        return _list_cache(args.json)
    if not args.dataset or not args.encoder:
        raise ConfigError("mer extract needs --dataset and --encoder (or --list / --clear); "
                          "e.g. mer extract --dataset meld --root ../shared/data/meld --encoder minilm")
    reg = get_registry()
    spec = _encoder_spec(args.encoder)
    modality = args.modality or input_modality(spec, reg)
    if modality is None:
        raise ConfigError(f"--encoder {args.encoder}: the encoder does not say which modality it reads; "
                          "add --modality text or --modality audio")
    data_cfg = DataConfig(dataset=args.dataset, root=args.root,
                          dataset_options=dict(parse_override(o) for o in args.option))
    corpus = load_corpus(data_cfg, reg)
    with progress_bar(f"{corpus.name}/{modality}", enabled=not args.json) as progress:
        res = extract(corpus, modality, spec, reg, device=str(resolve_device(args.device)),
                      batch_size=args.batch_size, progress=progress)
    out = {"dataset": corpus.name, "modality": modality, "encoder": spec, "cache": str(res.path), "hit": res.hit,
           "utterances": res.utterances, "dim": res.dim, "pooled": res.pooled, "empty_texts": res.empty_texts,
           "seconds": round(res.seconds, 3)}
    if args.json:
        print_json(out)
        return 0
    state = "already cached" if res.hit else f"computed in {res.seconds:.1f} s"
    shape = "pooled" if res.pooled else "sequences"
    console.print(f"{corpus.name}/{modality}: {res.utterances} utterances, {res.dim}-d {shape}, {state}", markup=False)
    console.print(f"cache: {res.path}", markup=False)
    if res.empty_texts:
        console.print(f"note: {res.empty_texts} empty transcript(s) were encoded as the unknown token", markup=False)
    name = spec if isinstance(spec, str) else yaml.safe_dump(spec, default_flow_style=True, sort_keys=False).strip()
    console.print(f"train on it: mer train ... --set 'data.features.{modality}={name}'", markup=False)
    return 0


def register(subparsers: Any) -> None:
    p = subparsers.add_parser(
        "extract", help="compute and cache encoder features of a dataset",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Compute per-utterance features of one modality with a frozen encoder (a registered name or an "
                    "encoder YAML) and cache them under $MER_CACHE_DIR (default ~/.cache/mer-toolkit/features). "
                    "A second run with the same encoder, options, weights and data does no work; an interrupted run "
                    "resumes. Training configs use the cache through `data: {features: {text: minilm}}`.",
        epilog="examples:\n"
               "  mer extract --dataset meld --root ../shared/data/meld --encoder minilm\n"
               "  mer extract --dataset ravdess --root ../shared/data/ravdess --encoder '{type: fbank, pool: stats}'\n"
               "  mer extract --dataset iemocap6 --root /data/IEMOCAP --encoder wav2vec2.yaml --device cuda\n"
               "  mer train --config text_mlp.yaml --dataset meld --root ../shared/data/meld   "
               "# text_mlp.yaml has data: {features: {text: minilm}}\n"
               "  mer extract --list")
    p.add_argument("--dataset", help="dataset name, manifest file or corpus folder")
    p.add_argument("--root", help="dataset root folder")
    p.add_argument("--option", action="append", default=[], metavar="KEY=VALUE", help="dataset option (repeatable)")
    p.add_argument("--encoder", help="encoder name, inline mapping '{type: fbank, n_mels: 40}' or a YAML file")
    p.add_argument("--modality", help="text or audio (default: what the encoder reads)")
    p.add_argument("--device", default="auto", help="cpu, cuda or auto (default: auto = cuda when available)")
    p.add_argument("--batch-size", type=int, default=16, help="utterances per encoder call (default: 16)")
    p.add_argument("--list", action="store_true", help="list the cached feature sets")
    p.add_argument("--clear", action="store_true", help="delete the whole feature cache")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(func=cmd_extract)
