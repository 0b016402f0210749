"""``mer predict``: emotion label and per-class probabilities of new utterances (audio file + transcript)."""

from __future__ import annotations

import argparse
import csv
from pathlib import Path
from typing import Any

from ...errors import DataError
from ..output import console, print_json, simple_table


def read_rows(args: argparse.Namespace) -> list[dict[str, str]]:
    """The utterances to label: one from --audio/--text, or every row of --csv (columns id, audio, text)."""
    from ...run.inference import RAW_INPUTS

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


def predict(checkpoint: str, rows: list[dict[str, str]], device: str = "cpu") -> list[dict[str, Any]]:
    """Label and probabilities per row (``Predictor`` on the checkpoint)."""
    from ...run.inference import Predictor

    return Predictor.from_checkpoint(checkpoint, device=device).predict(rows)


def cmd_predict(args: argparse.Namespace) -> int:
    from ...run.distributed import resolve_device

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
