"""Bring-your-own corpus: a CSV, TSV or JSONL manifest with one utterance per row.

Columns (aliases in brackets): ``audio`` [path, wav, file, audio_path] — relative to the manifest's
folder or absolute; ``text`` [transcript, utterance, sentence]; ``label`` [emotion, emo]; optional
``id`` [utt_id, utterance_id], ``speaker``, ``dialogue`` [dialogue_id, dialog], ``position``,
``split`` (train/val/test) or ``fold``. At least one of audio/text is needed. Every bad row (missing
or unreadable audio, empty or unknown label, duplicated id) is reported with its line number.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

from ...errors import DataError
from ..corpus import Corpus
from ..protocols.official import SPLIT_ALIASES
from ..sample import Sample
from ._common import Problems

__all__ = ["ALIASES", "make_manifest", "read_rows"]

ALIASES = {
    "audio": ("audio", "path", "wav", "file", "audio_path"),
    "text": ("text", "transcript", "utterance", "sentence"),
    "label": ("label", "emotion", "emo"),
    "id": ("id", "utt_id", "utterance_id"),
    "speaker": ("speaker", "spk", "actor"),
    "dialogue": ("dialogue", "dialogue_id", "dialog"),
    "position": ("position", "pos", "turn"),
    "split": ("split", "set", "partition"),
    "fold": ("fold",),
}


def read_rows(path: Path) -> tuple[list[tuple[int, dict[str, Any]]], list[str]]:
    """(line number, row) pairs and the column names of a CSV/TSV/JSONL manifest."""
    if not path.is_file():
        raise DataError(f"manifest '{path}' does not exist")
    text = path.read_text(encoding="utf-8-sig")
    if path.suffix == ".jsonl":
        rows, cols = [], []
        for n, line in enumerate(text.splitlines(), 1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as err:
                raise DataError(f"{path}:{n}: not a JSON object ({err.msg})") from None
            if not isinstance(row, dict):
                raise DataError(f"{path}:{n}: expected a JSON object per line")
            rows.append((n, row))
            cols += [c for c in row if c not in cols]
        return rows, cols
    reader = csv.DictReader(text.splitlines(), delimiter="\t" if path.suffix == ".tsv" else ",")
    rows = [(reader.line_num, row) for row in reader]
    return rows, list(reader.fieldnames or [])


def _resolve_columns(path: Path, cols: list[str]) -> dict[str, str]:
    lower = {c.strip().lower(): c for c in cols}
    found = {key: next((lower[a] for a in names if a in lower), None) for key, names in ALIASES.items()}
    if found["label"] is None or (found["audio"] is None and found["text"] is None):
        raise DataError(f"manifest '{path}': needs a label column ({'/'.join(ALIASES['label'])}) and an audio "
                        f"({'/'.join(ALIASES['audio'])}) or text ({'/'.join(ALIASES['text'])}) column; found {cols}")
    return {k: v for k, v in found.items() if v is not None}


def _check_audio(path: Path) -> str | None:
    """Why ``path`` is not usable audio, or None (header check only: fast on large corpora)."""
    import soundfile as sf

    from ..audio import VIDEO_SUFFIXES

    if not path.is_file():
        return "audio file does not exist"
    if path.suffix.lower() in VIDEO_SUFFIXES:
        return None
    try:
        info = sf.info(str(path))
    except Exception as err:  # noqa: BLE001 - any libsndfile failure means unreadable audio
        return f"unreadable audio ({str(err).splitlines()[0]})"
    return "zero-length audio" if info.frames == 0 else None


def make_manifest(path: str | None = None, root: str | None = None, labels: list[str] | None = None,
                  strict: bool = True, check_audio: bool = True, protocol: str = "random") -> Corpus:
    """Utterances listed in a manifest; ``labels`` fixes the label set (else the sorted set found)."""
    where = path or root
    if not where:
        raise DataError("dataset 'manifest' needs path: the CSV/TSV/JSONL file listing the utterances")
    file = Path(where).expanduser()
    if file.suffix not in (".csv", ".tsv", ".jsonl"):
        raise DataError(f"manifest '{file}': expected a .csv, .tsv or .jsonl file")
    rows, cols = read_rows(file)
    col = _resolve_columns(file, cols)
    problems = Problems(file.stem, strict)
    found = sorted({str(r.get(col["label"], "")).strip() for _, r in rows} - {""})
    label_names = list(labels) if labels else found
    samples: list[Sample] = []
    seen: dict[str, int] = {}
    for n, row in rows:
        loc = f"{file}:{n}"
        label = str(row.get(col["label"], "") or "").strip()
        if not label:
            problems.add(f"{loc}: empty label")
            continue
        if label not in label_names:
            problems.add(f"{loc}: label '{label}' is not in the label set {label_names}")
            continue
        mods: dict[str, Any] = {}
        if "audio" in col:
            audio = Path(str(row.get(col["audio"], "") or "").strip())
            audio = audio if audio.is_absolute() else file.parent / audio
            reason = _check_audio(audio) if check_audio else None
            if reason:
                problems.add(f"{loc}: {reason}: {audio}")
                continue
            mods["audio"] = str(audio)
        if "text" in col:
            mods["text"] = str(row.get(col["text"], "") or "").strip()
        uid = str(row.get(col.get("id", ""), "") or "").strip() or f"{file.stem}_{n}"
        if uid in seen:
            problems.add(f"{loc}: duplicated id '{uid}' (first on line {seen[uid]})")
            continue
        seen[uid] = n
        meta: dict[str, Any] = {"line": n, "transcript": mods.get("text", "")}
        if "split" in col and str(row.get(col["split"], "")).strip():
            split = SPLIT_ALIASES.get(str(row[col["split"]]).strip().lower())
            if split is None:
                problems.add(f"{loc}: split '{row[col['split']]}' is not one of {sorted(SPLIT_ALIASES)}")
                continue
            meta["split"] = split
        if "fold" in col:
            meta["fold"] = str(row.get(col["fold"], "")).strip()
        speaker = str(row.get(col.get("speaker", ""), "") or "").strip()
        dialogue = str(row.get(col.get("dialogue", ""), "") or "").strip() or uid
        try:
            position = int(row.get(col.get("position", ""), 0) or 0)
        except ValueError:
            problems.add(f"{loc}: position '{row[col['position']]}' is not a whole number")
            continue
        samples.append(Sample(id=uid, label=label_names.index(label), modalities=mods, dialogue_id=dialogue,
                              position=position, speaker=speaker, meta=meta))
    found_problems = problems.finish()
    if not samples:
        raise DataError(f"manifest '{file}': no usable rows ({len(found_problems)} problem(s), e.g. "
                        f"{found_problems[:3]})")
    has_split = all("split" in s.meta for s in samples)
    return Corpus(name=file.stem, label_names=label_names, samples=samples,
                  default_protocol="official" if has_split else protocol, source=str(file), problems=found_problems)


def register(registry) -> None:  # noqa: ANN001 - the staged registry view
    registry.dataset.register("manifest", make_manifest)
