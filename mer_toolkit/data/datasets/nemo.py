"""nEMO (Christop, LREC-COLING 2024): Polish acted emotional speech, 9 actors, 6 emotions, 90 fixed sentences.

The release (amu-cai/nEMO) holds ``data.tsv`` — one row per file: ``file_id`` (``<speaker>_<emotion>_<n>.wav``),
``emotion``, ``raw_text``, ``normalized_text``, ``speaker_id`` (left-padded with spaces), ``gender``, ``age`` —
and the files under ``samples/``. A copy may name the table ``data_full.tsv`` and the folder ``wav/``.

Labels are named as RAVDESS names the same emotions (anger → angry, fear → fearful, happiness → happy,
sadness → sad; neutral, surprised), so cross-corpus runs match them with no label map. Every sentence is
spoken in every emotion: the text carries no emotion. Rows whose file is absent are left out when the
audio folder exists (a partial copy; the corpus note counts them); without any audio folder the corpus is
labels only.
"""

from __future__ import annotations

import csv
from pathlib import Path

from ...errors import DataError
from ..corpus import Corpus
from ..sample import Sample
from ._common import Problems, resolve_root

__all__ = ["NEMO_LABELS", "EMOTIONS", "make_nemo"]

NEMO_LABELS = ["neutral", "happy", "sad", "angry", "fearful", "surprised"]
#: nEMO's emotion words → our (RAVDESS) names.
EMOTIONS = {"neutral": "neutral", "happiness": "happy", "sadness": "sad", "anger": "angry", "fear": "fearful",
            "surprised": "surprised"}
TABLES = ("data.tsv", "data_full.tsv")
AUDIO_DIRS = ("samples", "wav")
COLUMNS = ("file_id", "emotion", "raw_text", "speaker_id")
LAYOUT = "a folder with data.tsv (or data_full.tsv) and the files under samples/ (or wav/)"


def _table(path: Path) -> Path:
    table = next((path / t for t in TABLES if (path / t).is_file()), None)
    if table is None:
        raise DataError(f"nEMO root '{path}' has no {' or '.join(TABLES)}; expected {LAYOUT}")
    return table


def make_nemo(root: str | None = None, strict: bool = True) -> Corpus:
    """Every row of the release table whose file is present; default protocol ``speaker_kfold`` (5 folds by
    speaker, validation speakers drawn from each fold's training speakers)."""
    path = resolve_root("nemo", root, LAYOUT)
    table = _table(path)
    audio_dir = next((path / d for d in AUDIO_DIRS if (path / d).is_dir()), None)
    problems = Problems("nemo", strict)
    samples, absent, listed = [], 0, set()
    with open(table, encoding="utf-8", newline="") as f:
        reader = csv.DictReader(f, delimiter="\t")
        missing = [c for c in COLUMNS if c not in (reader.fieldnames or [])]
        if missing:
            raise DataError(f"nEMO table '{table}': missing column(s) {missing}; found {reader.fieldnames}; expected "
                            "file_id, emotion, raw_text, normalized_text, speaker_id, gender, age")
        for row in reader:
            where = f"{table}:{reader.line_num}"
            file_id, word = (row["file_id"] or "").strip(), (row["emotion"] or "").strip()
            listed.add(file_id)
            if word not in EMOTIONS:
                problems.add(f"{where}: unknown emotion '{word}' (expected one of {sorted(EMOTIONS)})")
                continue
            if f"_{word}_" not in file_id:
                problems.add(f"{where}: file {file_id} does not carry its row's emotion '{word}' in its name")
                continue
            text = (row["raw_text"] or "").strip()
            mods = {"text": text}
            if audio_dir is not None:
                if not (audio_dir / file_id).is_file():
                    absent += 1
                    continue
                mods["audio"] = str(audio_dir / file_id)
            uid = Path(file_id).stem
            samples.append(Sample(id=uid, label=NEMO_LABELS.index(EMOTIONS[word]), modalities=mods, dialogue_id=uid,
                                  position=0, speaker=(row["speaker_id"] or "").strip(),
                                  meta={"gender": (row.get("gender") or "").strip(), "age": (row.get("age") or "").strip(),
                                        "transcript": text, "line": reader.line_num}))
    for extra in sorted(p.name for p in audio_dir.glob("*.wav")) if audio_dir else []:
        if extra not in listed:
            problems.add(f"{audio_dir / extra}: not listed in {table.name}")
    if not samples:
        problems.finish()
        raise DataError(f"nEMO root '{path}': no utterances ({table.name} lists none whose file is in "
                        f"{audio_dir or 'an audio folder'}); expected {LAYOUT}")
    note = (f"{absent} file(s) listed in {table.name} are not in {audio_dir.name}/ and are left out" if absent else
            "labels only: no samples/ or wav/ folder" if audio_dir is None else "")
    return Corpus(name="nemo", label_names=list(NEMO_LABELS), samples=samples, default_protocol="speaker_kfold",
                  source=str(path), problems=problems.finish(), info={"note": note} if note else {})
