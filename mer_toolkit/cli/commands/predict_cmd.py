"""``mer predict``: emotion label and per-class probabilities of new utterances (audio file + transcript)."""

from __future__ import annotations

import argparse
import csv
from pathlib import Path
from typing import Any

from ...errors import DataError, RunError
from ..output import console, print_json, simple_table

RAW_INPUTS = ("text", "audio")
BATCH = 16


def checkpoint_file(path: str) -> Path:
    """``path`` itself, or the one ``best.pt`` inside a run folder."""
    p = Path(path)
    if p.is_dir():
        found = sorted(p.rglob("best.pt"))
        if len(found) != 1:
            raise RunError(f"'{p}' holds {len(found)} best.pt checkpoints{': ' if found else ''}"
                           f"{', '.join(str(f) for f in found[:4])}; name the checkpoint file")
        return found[0]
    return p


def read_rows(args: argparse.Namespace) -> list[dict[str, str]]:
    """The utterances to label: one from --audio/--text, or every row of --csv (columns id, audio, text)."""
    if not args.csv:
        if not args.audio and args.text is None:
            raise DataError('mer predict needs --audio FILE and/or --text "...", or --csv FILE')
        return [{"id": "input", "audio": args.audio or "", "text": args.text or ""}]
    path = Path(args.csv)
    if not path.is_file():
        raise DataError(f"--csv '{path}' does not exist")
    with open(path, encoding="utf-8-sig", newline="") as f:
        reader = csv.DictReader(f)
        if not set(RAW_INPUTS) & set(reader.fieldnames or []):
            raise DataError(f"'{path}': expected a header with columns audio and/or text (and optionally id), "
                            f"found {reader.fieldnames}")
        rows = []
        for row in reader:
            audio = (row.get("audio") or "").strip()
            if audio and not Path(audio).is_absolute():
                audio = str(path.parent / audio)
            rows.append({"id": (row.get("id") or "").strip() or f"{path.name}:{reader.line_num}", "audio": audio,
                         "text": row.get("text") or ""})
    if not rows:
        raise DataError(f"'{path}' has a header but no rows")
    return rows


def _sample(row: dict[str, str], needed: list[str]) -> Any:
    from ...data.sample import Sample

    mods: dict[str, Any] = {}
    for m in needed:
        raw = row.get(m, "")
        if m == "text" and not raw.strip():
            raise DataError(f"{row['id']}: the model reads a transcript but the text is empty; give --text "
                            "(or the csv column text) for every utterance")
        if m == "audio" and not raw:
            raise DataError(f"{row['id']}: the model reads audio but no file was given; add --audio FILE "
                            "(or the csv column audio)")
        mods[m] = raw
    return Sample(id=row["id"], label=-1, modalities=mods)


def predict(checkpoint: str, rows: list[dict[str, str]], device: str = "cpu") -> list[dict[str, Any]]:
    """Label and probabilities per row; the checkpoint's cached-feature encoders run on the raw input first."""
    import torch

    from ...config import ResolvedConfig
    from ...data.loader import SampleDataset
    from ...data.sample import collate
    from ...experiment import build_model
    from ...features import feature_encoder, run_encoder
    from ...model import DataSpec
    from ...plugins import get_registry
    from ...train import load_checkpoint

    reg = get_registry()
    path = checkpoint_file(checkpoint)
    ck = load_checkpoint(path)
    if "config" not in ck or "data_spec" not in ck:
        raise RunError(f"checkpoint '{path}' has no config/data_spec; it was not written by mer train")
    cfg = ResolvedConfig(ck["config"], name=str(path))
    spec = DataSpec(**ck["data_spec"])
    model = build_model(cfg, spec, reg)
    model.load_state_dict(ck["state_dict"])
    model.to(device).eval()
    needed = list(model.modalities)
    other = [m for m in needed if m not in RAW_INPUTS]
    if other:
        raise RunError(f"checkpoint '{path}' reads {other}; mer predict gives a model text and audio only")
    features = cfg.get("data.features") or {}
    encoders = {m: feature_encoder(m, node, reg).to(device) for m, node in features.items() if m in needed}
    samples = [_sample(row, needed) for row in rows]
    probs = []
    with torch.no_grad():
        for k in range(0, len(samples), BATCH):
            data = SampleDataset(samples[k:k + BATCH])
            batch = collate([data[i] for i in range(len(data))]).to(device)
            for m, enc in encoders.items():
                batch.inputs[m], batch.masks[m] = run_encoder(enc, batch, m)
                width, want = batch.inputs[m].shape[-1], spec.input_dims.get(m)
                if want is not None and width != want:
                    raise RunError(f"'{m}' features have {width} dims but checkpoint '{path}' expects {want}")
            probs.append(torch.softmax(model(batch).logits.float(), -1).cpu())
    out = []
    for row, p in zip(rows, torch.cat(probs)):
        out.append({"id": row["id"], "label": spec.label_names[int(p.argmax())],
                    "probabilities": {n: round(float(v), 4) for n, v in zip(spec.label_names, p)}})
    return out


def cmd_predict(args: argparse.Namespace) -> int:
    from ...train import resolve_device

    res = predict(args.checkpoint, read_rows(args), str(resolve_device(args.device)))
    if args.json:
        print_json(res)
        return 0
    labels = list(res[0]["probabilities"])
    console.print(simple_table(None, ["id", "emotion", *labels],
                               [[r["id"], r["label"], *[f"{r['probabilities'][n]:.3f}" for n in labels]]
                                for r in res]))
    return 0


def register(subparsers: Any) -> None:
    p = subparsers.add_parser(
        "predict", help="predict the emotion of new utterances", formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Emotion label and per-class probabilities for an audio file and/or a transcript, or for every "
                    "row of a CSV (columns id, audio, text; audio paths relative to the CSV). The features are "
                    "computed from the raw input with the encoders the checkpoint was trained on (its data.features).",
        epilog="examples:\n"
               '  mer predict runs/train/meld-text/official/best.pt --text "I can\'t believe you did that!"\n'
               "  mer predict runs/train/ravdess --audio clip.wav --text \"Kids are talking by the door.\"\n"
               "  mer predict best.pt --csv utterances.csv --json")
    p.add_argument("checkpoint", help="best.pt of a run (or a run folder holding one)")
    p.add_argument("--audio", help="audio file (WAV/FLAC/OGG, or a video container with ffmpeg)")
    p.add_argument("--text", help="transcript")
    p.add_argument("--csv", help="CSV with columns id, audio, text")
    p.add_argument("--device", default="cpu", help="cpu, cuda or auto (default: cpu)")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(func=cmd_predict)
