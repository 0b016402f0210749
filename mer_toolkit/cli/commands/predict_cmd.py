"""``mer predict``: emotion probabilities for new utterances (audio file + transcript) from a checkpoint."""

from __future__ import annotations

import argparse
import csv
from pathlib import Path
from typing import Any

import torch

from ...errors import DataError, RunError
from ..output import console, print_json, simple_table


def _inputs(args: argparse.Namespace) -> list[dict[str, str]]:
    if args.csv:
        path = Path(args.csv)
        if not path.is_file():
            raise DataError(f"--csv '{path}' does not exist")
        with open(path, encoding="utf-8-sig", newline="") as f:
            reader = csv.DictReader(f)
            if not {"audio", "text"} & set(reader.fieldnames or []):
                raise DataError(f"'{path}': expected columns audio and/or text, found {reader.fieldnames}")
            rows = []
            for row in reader:
                audio = (row.get("audio") or "").strip()
                if audio and not Path(audio).is_absolute():
                    audio = str(path.parent / audio)
                rows.append({"id": row.get("id") or f"row{reader.line_num}", "audio": audio, "text": row.get("text") or ""})
            return rows
    if not args.audio and args.text is None:
        raise DataError("mer predict needs --audio FILE and/or --text \"...\", or --csv FILE")
    return [{"id": "input", "audio": args.audio or "", "text": args.text or ""}]


def predict(checkpoint: str, rows: list[dict[str, str]], device: str = "cpu") -> list[dict[str, Any]]:
    """Label and per-class probabilities for each row, computing the checkpoint's features from raw input."""
    from ...config import ResolvedConfig, build_part
    from ...data.loader import SampleDataset
    from ...data.sample import Sample, collate
    from ...experiment import build_model
    from ...model import DataSpec
    from ...plugins import get_registry
    from ...train import load_checkpoint

    reg = get_registry()
    ck = load_checkpoint(checkpoint)
    if "config" not in ck or "data_spec" not in ck:
        raise RunError(f"checkpoint '{checkpoint}' has no config/data_spec; it was not written by mer train")
    cfg = ResolvedConfig(ck["config"], name=checkpoint)
    spec = DataSpec(**ck["data_spec"])
    model = build_model(cfg, spec, reg)
    model.load_state_dict(ck["state_dict"])
    model.to(device).eval()
    features = (cfg.data.get("data") or {}).get("features") or {}
    needed = list(model.modalities)
    samples = []
    for row in rows:
        mods: dict[str, Any] = {}
        for m in needed:
            raw = row.get(m, "")
            if m == "text" and not raw.strip():
                raise DataError(f"{row['id']}: the model needs a transcript (text) but it is empty")
            if m != "text" and not raw:
                raise DataError(f"{row['id']}: the model needs '{m}' input (a file path) but none was given")
            mods[m] = raw
        samples.append(Sample(id=row["id"], label=-1, modalities=mods))
    samples = [SampleDataset(samples)[i] for i in range(len(samples))]
    batch = collate(samples)
    with torch.no_grad():
        for m, spec_m in features.items():
            if m not in batch.inputs:
                continue
            node = {"type": spec_m} if isinstance(spec_m, str) else dict(spec_m)
            enc = build_part("encoder", node, reg, path=f"data.features.{m}").eval()
            h, mask = enc(batch.inputs[m], batch.masks.get(m))
            batch.inputs[m], batch.masks[m] = h, mask
        if spec.input_dims:
            for m, d in spec.input_dims.items():
                x = batch.inputs.get(m)
                if d is not None and isinstance(x, torch.Tensor) and x.shape[-1] != d:
                    raise RunError(f"modality '{m}' has {x.shape[-1]} features but the checkpoint expects {d}")
        probs = torch.softmax(model(batch.to(device)).logits.float(), -1).cpu()
    out = []
    for row, p in zip(rows, probs):
        k = int(p.argmax())
        out.append({"id": row["id"], "label": spec.label_names[k],
                    "probabilities": {n: round(float(v), 4) for n, v in zip(spec.label_names, p)}})
    return out


def cmd_predict(args: argparse.Namespace) -> int:
    res = predict(args.checkpoint, _inputs(args), args.device)
    if args.json:
        print_json(res)
        return 0
    labels = list(res[0]["probabilities"])
    console.print(simple_table("predictions", ["id", "emotion", *labels],
                               [[r["id"], r["label"], *[f"{r['probabilities'][n]:.3f}" for n in labels]] for r in res]))
    return 0


def register(subparsers: Any) -> None:
    p = subparsers.add_parser(
        "predict", help="predict emotions of new utterances", formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Emotion label and per-class probabilities for an audio file and/or transcript (or a CSV with "
                    "columns id, audio, text). Features are computed with the encoders the checkpoint was trained on.",
        epilog="examples:\n  mer predict runs/train/x/official/best.pt --audio clip.wav --text \"I can't believe it\"\n"
               "  mer predict best.pt --csv utterances.csv --json")
    p.add_argument("checkpoint")
    p.add_argument("--audio", help="WAV/FLAC (or mp4 with ffmpeg) file")
    p.add_argument("--text", help="transcript")
    p.add_argument("--csv", help="CSV with columns id, audio, text")
    p.add_argument("--device", default="cpu")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_predict)
