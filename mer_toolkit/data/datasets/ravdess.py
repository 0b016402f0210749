"""RAVDESS speech (Livingstone & Russo 2018): 24 actors, 8 emotions, two fixed sentences.

Files follow ``Actor_XX/MM-VC-EE-II-SS-RR-AA.wav`` (modality, vocal channel, emotion, intensity,
statement, repetition, actor); WAV or FLAC. Everything is read from the file names; transcripts come
from the statement code. The text carries no emotion, so the corpus tests the audio path and fusions
that must learn to trust audio.
"""

from __future__ import annotations

from pathlib import Path

from ...errors import DataError
from ..corpus import Corpus
from ..sample import Sample
from ._common import Problems, resolve_root

__all__ = ["RAVDESS_LABELS", "STATEMENTS", "INTENSITIES", "actor", "make_ravdess", "parse_name"]

RAVDESS_LABELS = ["neutral", "calm", "happy", "sad", "angry", "fearful", "disgust", "surprised"]
STATEMENTS = {1: "Kids are talking by the door.", 2: "Dogs are sitting by the door."}
INTENSITIES = {1: "normal", 2: "strong"}
FIELDS = ("modality", "channel", "emotion", "intensity", "statement", "repetition", "actor")
RANGES = {"modality": (1, 3), "channel": (1, 2), "emotion": (1, 8), "intensity": (1, 2), "statement": (1, 2),
          "repetition": (1, 2), "actor": (1, 24)}
LAYOUT = "a folder with Actor_01 .. Actor_24 holding MM-VC-EE-II-SS-RR-AA.wav/.flac files"


def actor(number: int) -> str:
    """The speaker name of actor ``number`` (``actor07``), shared with the RAVDESS protocols."""
    return f"actor{number:02d}"


def parse_name(path: Path) -> dict[str, int]:
    """Fields of a RAVDESS file name; ValueError saying what is wrong when it does not follow the convention."""
    parts = path.stem.split("-")
    if len(parts) != len(FIELDS) or not all(p.isdigit() for p in parts):
        raise ValueError("expected 7 numeric fields MM-VC-EE-II-SS-RR-AA")
    fields = dict(zip(FIELDS, (int(p) for p in parts)))
    bad = [f"{k}={v} (expected {RANGES[k][0]}..{RANGES[k][1]})" for k, v in fields.items()
           if not RANGES[k][0] <= v <= RANGES[k][1]]
    if bad:
        raise ValueError(", ".join(bad))
    return fields


def make_ravdess(root: str | None = None, strict: bool = True, speech_only: bool = True) -> Corpus:
    """Every speech file under ``root`` (``Actor_XX`` folders; song files too when ``speech_only`` is false);
    default protocol ``ravdess_si``."""
    path = resolve_root("ravdess", root, LAYOUT)
    files = sorted(f for ext in ("wav", "flac") for f in path.glob(f"Actor_*/*.{ext}"))
    if not files:
        raise DataError(f"RAVDESS root '{path}' has no Actor_XX/*.wav or *.flac files; expected {LAYOUT}")
    problems = Problems("ravdess", strict)
    samples: list[Sample] = []
    seen: dict[str, Path] = {}
    for f in files:
        try:
            fields = parse_name(f)
        except ValueError as err:
            problems.add(f"{f}: not a RAVDESS file name ({err})")
            continue
        if f.parent.name != f"Actor_{fields['actor']:02d}":
            problems.add(f"{f}: the file name says actor {fields['actor']} but it is in folder {f.parent.name}")
            continue
        if f.stem in seen:
            problems.add(f"{f}: the same recording as {seen[f.stem]} (two formats of one file)")
            continue
        seen[f.stem] = f
        if speech_only and fields["channel"] != 1:
            continue
        number = fields["actor"]
        text = STATEMENTS[fields["statement"]]
        samples.append(Sample(
            id=f.stem, label=fields["emotion"] - 1, modalities={"text": text, "audio": str(f)},
            dialogue_id=f.stem, position=0, speaker=actor(number),
            meta={"actor": number, "gender": "male" if number % 2 else "female",
                  "intensity": INTENSITIES[fields["intensity"]], "statement": fields["statement"],
                  "repetition": fields["repetition"], "transcript": text}))
    return Corpus(name="ravdess", label_names=list(RAVDESS_LABELS), samples=samples, default_protocol="ravdess_si",
                  source=str(path), problems=problems.finish())
