"""RAVDESS speech (Livingstone & Russo 2018): 24 actors, 8 emotions, two fixed sentences.

Files follow ``Actor_XX/MM-VC-EE-II-SS-RR-AA.wav`` (modality, vocal channel, emotion, intensity,
statement, repetition, actor); WAV or FLAC. Transcripts come from the statement code. The text
carries no emotion, so the corpus tests the audio path and fusions that must learn to trust audio.
"""

from __future__ import annotations

from pathlib import Path

from ...errors import DataError
from ..corpus import Corpus
from ..sample import Sample
from ._common import Problems, resolve_root

__all__ = ["RAVDESS_LABELS", "STATEMENTS", "make_ravdess", "parse_name"]

RAVDESS_LABELS = ["neutral", "calm", "happy", "sad", "angry", "fearful", "disgust", "surprised"]
STATEMENTS = {1: "Kids are talking by the door.", 2: "Dogs are sitting by the door."}


def parse_name(path: Path) -> dict[str, int]:
    """Fields of a RAVDESS file name; ValueError when it does not follow the convention."""
    parts = path.stem.split("-")
    if len(parts) != 7 or not all(p.isdigit() for p in parts):
        raise ValueError("expected 7 numeric fields MM-VC-EE-II-SS-RR-AA")
    keys = ("modality", "channel", "emotion", "intensity", "statement", "repetition", "actor")
    fields = dict(zip(keys, (int(p) for p in parts)))
    if not 1 <= fields["emotion"] <= 8 or fields["statement"] not in STATEMENTS or not 1 <= fields["actor"] <= 24:
        raise ValueError(f"field out of range in {fields}")
    return fields


def make_ravdess(root: str | None = None, strict: bool = True, speech_only: bool = True) -> Corpus:
    """Every speech file under ``root`` (``Actor_XX`` folders); default protocol ``ravdess_si``."""
    path = resolve_root("ravdess", root, "a folder with Actor_01 .. Actor_24 holding MM-VC-EE-II-SS-RR-AA.wav/.flac")
    files = sorted(f for ext in ("wav", "flac") for f in path.glob(f"Actor_*/*.{ext}"))
    if not files:
        raise DataError(f"RAVDESS root '{path}' has no Actor_XX/*.wav or *.flac files")
    problems = Problems("ravdess", strict)
    samples = []
    for f in files:
        try:
            fields = parse_name(f)
        except ValueError as err:
            problems.add(f"{f}: not a RAVDESS file name ({err})")
            continue
        if speech_only and fields["channel"] != 1:
            continue
        actor = fields["actor"]
        text = STATEMENTS[fields["statement"]]
        samples.append(Sample(
            id=f.stem, label=fields["emotion"] - 1, modalities={"text": text, "audio": str(f)},
            dialogue_id=f.stem, position=0, speaker=f"actor{actor:02d}",
            meta={"actor": actor, "gender": "male" if actor % 2 else "female", "intensity": fields["intensity"],
                  "statement": fields["statement"], "repetition": fields["repetition"], "transcript": text}))
    return Corpus(name="ravdess", label_names=list(RAVDESS_LABELS), samples=samples, default_protocol="ravdess_si",
                  source=str(path), problems=problems.finish())


def register(registry) -> None:  # noqa: ANN001 - the staged registry view
    registry.dataset.register("ravdess", make_ravdess)
