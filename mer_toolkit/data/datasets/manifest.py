"""Bring-your-own corpus: a CSV, TSV or JSONL manifest with one utterance per row.

Columns (first name canonical, then accepted aliases; case-insensitive) are in ``ALIASES``: ``audio``
(relative to the manifest's folder or absolute), ``text``, ``label``, and optional ``id``, ``speaker``,
``dialogue``, ``position``, ``split`` (train/val/test) and ``fold``. A label column and an audio or
text column are required. Every bad row is reported with its line number.
"""

from __future__ import annotations

import csv
import json
from collections import Counter
from pathlib import Path
from typing import Any

from ...errors import DataError
from ..corpus import Corpus
from ..protocols.official import SPLIT_ALIASES
from ..sample import Sample
from ._common import Problems

__all__ = ["ALIASES", "SUFFIXES", "make_manifest", "read_rows"]

ALIASES = {
    "audio": ("audio", "path", "wav", "file", "audio_path", "filename"),
    "text": ("text", "transcript", "utterance", "sentence"),
    "label": ("label", "emotion", "emo"),
    "id": ("id", "utt_id", "utterance_id", "name"),
    "speaker": ("speaker", "spk", "actor", "speaker_id"),
    "dialogue": ("dialogue", "dialogue_id", "dialog", "conversation", "session"),
    "position": ("position", "pos", "turn"),
    "split": ("split", "set", "partition", "subset"),
    "fold": ("fold",),
}
SUFFIXES = (".csv", ".tsv", ".jsonl")

Row = tuple[int, dict[str, Any]]
Bad = tuple[int, str]


def read_rows(path: Path) -> tuple[list[Row], list[str], list[Bad]]:
    """(line number, row) pairs, the column names, and the malformed lines (line number, why) of a CSV/TSV/JSONL
    manifest."""
    if not path.is_file():
        raise DataError(f"manifest '{path}' does not exist (expected a {'/'.join(SUFFIXES)} file)")
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as err:
        raise DataError(f"manifest '{path}': not UTF-8 text (byte {err.start}); save it as UTF-8") from None
    rows: list[Row] = []
    bad: list[Bad] = []
    if path.suffix == ".jsonl":
        cols: list[str] = []
        for n, line in enumerate(text.splitlines(), 1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as err:
                bad.append((n, f"not valid JSON ({err.msg}, column {err.colno})"))
                continue
            if not isinstance(row, dict):
                bad.append((n, f"expected a JSON object, got {type(row).__name__}"))
                continue
            rows.append((n, row))
            cols += [c for c in row if c not in cols]
        return rows, cols, bad
    reader = csv.DictReader(text.splitlines(), delimiter="\t" if path.suffix == ".tsv" else ",")
    width = len(reader.fieldnames or [])
    for row in reader:
        n = reader.line_num
        if None in row or None in row.values():
            found = width + len(row.get(None) or []) - sum(v is None for v in row.values())
            bad.append((n, f"{found} field(s), the header has {width}"))
            continue
        rows.append((n, row))
    return rows, list(reader.fieldnames or []), bad


def _resolve_columns(path: Path, cols: list[str]) -> dict[str, str]:
    """Canonical column name -> the manifest's own column name."""
    lower = {str(c).strip().lower(): c for c in cols}
    found = {key: next((lower[a] for a in names if a in lower), None) for key, names in ALIASES.items()}
    if found["label"] is None or (found["audio"] is None and found["text"] is None):
        raise DataError(f"manifest '{path}': needs a label column ({'/'.join(ALIASES['label'])}) and an audio "
                        f"({'/'.join(ALIASES['audio'])}) or text ({'/'.join(ALIASES['text'])}) column; found "
                        f"columns {cols}")
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


def _label_set(labels: list[str] | str | None, found: list[str], file: Path) -> list[str]:
    """The given label set (a list or a comma-separated string) or, without one, the sorted labels found."""
    if labels is None:
        return found
    names = [x.strip() for x in labels.split(",")] if isinstance(labels, str) else [str(x).strip() for x in labels]
    dups = sorted(k for k, v in Counter(names).items() if v > 1)
    if not names or "" in names or dups:
        raise DataError(f"manifest '{file}': labels={labels!r}; expected distinct, non-empty label names"
                        f"{f' (repeated: {dups})' if dups else ''}")
    return names


def _value(row: dict[str, Any], column: str | None) -> str:
    """The stripped value of ``column`` in ``row`` ("" when the column is absent or the cell empty)."""
    value = row.get(column) if column is not None else None
    return "" if value is None else str(value).strip()


class _Reader:
    """Turns manifest rows into samples; ``sample`` returns the reason instead when a row is unusable."""

    def __init__(self, file: Path, col: dict[str, str], label_names: list[str], check_audio: bool,
                 rows: list[Row]) -> None:
        self.file, self.col, self.label_names, self.check_audio = file, col, label_names, check_audio
        self.ids: dict[str, int] = {}
        self.files: dict[str, int] = {}
        self.turns: Counter[str] = Counter()
        self.required = {k for k in ("split", "fold") if any(self.get(r, k) for _, r in rows)}

    def get(self, row: dict[str, Any], key: str) -> str:
        """The value of canonical column ``key`` in ``row``."""
        return _value(row, self.col.get(key))

    def sample(self, n: int, row: dict[str, Any]) -> Sample | str:
        """The sample of the row on line ``n``, or why it cannot be used."""
        label = self.get(row, "label")
        if not label:
            return "empty label"
        if label not in self.label_names:
            return f"label '{label}' is not in the label set {self.label_names}"
        mods: dict[str, Any] = {}
        if "audio" in self.col:
            name = self.get(row, "audio")
            if not name:
                return f"empty audio path (column '{self.col['audio']}')"
            audio = Path(name).expanduser()
            audio = audio if audio.is_absolute() else self.file.parent / audio
            reason = _check_audio(audio) if self.check_audio else None
            if reason:
                return f"{reason}: {audio}"
            if str(audio) in self.files:
                return f"audio file {audio} is already listed on line {self.files[str(audio)]}"
            mods["audio"] = str(audio)
        if "text" in self.col:
            mods["text"] = self.get(row, "text")
            if not mods["text"] and "audio" not in mods:
                return f"empty text (column '{self.col['text']}') and no audio column"
        uid = self.get(row, "id") or f"{self.file.stem}_{n}"
        if uid in self.ids:
            return f"duplicated id '{uid}' (first on line {self.ids[uid]})"
        meta: dict[str, Any] = {"line": n, "transcript": mods.get("text", "")}
        for key in sorted(self.required):
            if not self.get(row, key):
                return f"empty {key} (column '{self.col[key]}' is filled on other rows)"
        if "split" in self.required:
            split = SPLIT_ALIASES.get(self.get(row, "split").lower())
            if split is None:
                return f"split '{self.get(row, 'split')}' is not one of {sorted(SPLIT_ALIASES)}"
            meta["split"] = split
        if "fold" in self.required:
            meta["fold"] = self.get(row, "fold")
        position = self.get(row, "position")
        if position and not position.lstrip("-").isdigit():
            return f"position '{position}' is not a whole number"
        self.ids[uid] = n
        if "audio" in mods:
            self.files[mods["audio"]] = n
        dialogue = self.get(row, "dialogue") or uid
        turn = int(position) if position else self.turns[dialogue]
        self.turns[dialogue] += 1
        return Sample(id=uid, label=self.label_names.index(label), modalities=mods, dialogue_id=dialogue,
                      position=turn, speaker=self.get(row, "speaker"), meta=meta)


def make_manifest(path: str | None = None, root: str | None = None, labels: list[str] | str | None = None,
                  strict: bool = True, check_audio: bool = True, protocol: str = "random") -> Corpus:
    """Utterances listed in a manifest file (``path``, or ``root`` as an alias); ``labels`` fixes the label set
    (else the sorted set found). Default protocol: ``official`` with a split column, ``by_fold`` with a fold
    column, else ``protocol``."""
    where = path or root
    if not where:
        raise DataError("dataset 'manifest' needs path: the CSV/TSV/JSONL file listing the utterances")
    file = Path(where).expanduser()
    if file.suffix.lower() not in SUFFIXES:
        raise DataError(f"manifest '{file}': expected a {', '.join(SUFFIXES)} file")
    rows, cols, bad = read_rows(file)
    col = _resolve_columns(file, cols)
    found = sorted({_value(r, col["label"]) for _, r in rows} - {""})
    reader = _Reader(file, col, _label_set(labels, found, file), check_audio, rows)
    samples = []
    for n, row in rows:
        result = reader.sample(n, row)
        if isinstance(result, str):
            bad.append((n, result))
        else:
            samples.append(result)
    problems = Problems(file.stem, strict)
    for n, why in sorted(bad):
        problems.add(f"{file}:{n}: {why}")
    found_problems = problems.finish()
    if not samples:
        raise DataError(f"manifest '{file}': no usable rows ({len(rows)} row(s) read, {len(found_problems)} "
                        f"problem(s){', e.g. ' + '; '.join(found_problems[:3]) if found_problems else ''})")
    default = "official" if "split" in reader.required else "by_fold" if "fold" in reader.required else protocol
    return Corpus(name=file.stem, label_names=reader.label_names, samples=samples, default_protocol=default,
                  source=str(file), problems=found_problems)
