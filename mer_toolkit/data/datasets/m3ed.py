"""M3ED (Zhao et al. 2022): Chinese TV-series dialogues, 7 emotions, official split by series.

``--root`` may point at the release folder — ``annotation.json`` ({series: {dialog: {"SpeakerInfo",
"Dialog": {utt: {"StartTime", "EndTime", "Text", "Speaker", "EmoAnnotation": {..., "final_main_emo"}}}}}})
with ``splitInfo/movie_list_{train,val,test}.txt`` and, when present, clips at
``clips/<series>/<utt>.mp4`` or ``clips/<utt>.mp4`` (audio decoded with ffmpeg) — or at a
DialogueRNN-format feature pickle (videoIDs, speakers, labels, text, audio, visual, sentences, trainVid,
testVid[, valVid]).
"""

from __future__ import annotations

import json
from pathlib import Path

from ...errors import DataError
from ..corpus import Corpus
from ..safe_pickle import load_pickle
from ..sample import Sample
from ._common import Problems, read_erc_pickle, resolve_root, uniform_audio

__all__ = ["M3ED_LABELS", "make_m3ed"]

M3ED_LABELS = ["happy", "surprise", "sad", "disgust", "anger", "fear", "neutral"]
ACCEPTED = "a folder with annotation.json and splitInfo/movie_list_{train,val,test}.txt, or the M3ED feature pickle"


def _series_split(root: Path) -> dict[str, str]:
    split_dir = root / "splitInfo"
    out: dict[str, str] = {}
    for split, fname in (("train", "movie_list_train.txt"), ("val", "movie_list_val.txt"), ("test", "movie_list_test.txt")):
        path = split_dir / fname
        if not path.is_file():
            raise DataError(f"M3ED: '{path}' is missing; the official split is defined by splitInfo/movie_list_*.txt")
        for name in path.read_text(encoding="utf-8").split():
            if name in out:
                raise DataError(f"M3ED: series '{name}' is listed in both {out[name]} and {split} split files")
            out[name] = split
    return out


def _clip(root: Path, series: str, utt: str) -> Path | None:
    for cand in (root / "clips" / series / f"{utt}.mp4", root / "clips" / f"{utt}.mp4",
                 root / "clips" / series / f"{utt}.wav", root / "clips" / f"{utt}.wav"):
        if cand.is_file():
            return cand
    return None


def _read_annotation(root: Path, problems: Problems) -> list[Sample]:
    path = root / "annotation.json"
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise DataError(f"M3ED: '{path}' is missing; accepted: {ACCEPTED}") from None
    except json.JSONDecodeError as err:
        raise DataError(f"M3ED: '{path}' is not valid JSON (line {err.lineno}: {err.msg})") from None
    splits = _series_split(root)
    unknown_series = sorted(set(data) - set(splits))
    for s in unknown_series:
        problems.add(f"{path}: series '{s}' is in no splitInfo list (skipped)")
    has_clips = (root / "clips").is_dir()
    samples = []
    for series in sorted(set(data) & set(splits)):
        for dia, content in sorted(data[series].items()):
            dialog = content.get("Dialog") if isinstance(content, dict) else None
            if not isinstance(dialog, dict):
                problems.add(f"{path}: {series}/{dia} has no 'Dialog' mapping")
                continue
            for pos, (utt, u) in enumerate(dialog.items()):
                emo = str(((u.get("EmoAnnotation") or {}).get("final_main_emo")) or "").strip().lower()
                if emo not in M3ED_LABELS:
                    problems.add(f"{path}: {series}/{dia}/{utt} has emotion '{emo}' (expected one of {M3ED_LABELS})")
                    continue
                text = str(u.get("Text", "")).strip()
                mods = {"text": text}
                if has_clips:
                    clip = _clip(root, series, utt)
                    if clip is None:
                        problems.add(f"{root / 'clips'}: no clip for {series}/{utt}")
                    else:
                        mods["audio"] = str(clip)
                samples.append(Sample(id=utt, label=M3ED_LABELS.index(emo), modalities=mods, dialogue_id=dia,
                                      position=pos, speaker=f"{series}:{u.get('Speaker', '?')}",
                                      meta={"split": splits[series], "series": series, "transcript": text}))
    return uniform_audio(samples)


def make_m3ed(root: str | None = None, strict: bool = True) -> Corpus:
    """M3ED with the official split by series (685 / 126 / 179 dialogues in the full release)."""
    path = resolve_root("m3ed", root, ACCEPTED)
    problems = Problems("m3ed", strict)
    if path.is_file():
        data = load_pickle(path)
        if not isinstance(data, (list, tuple)) or len(data) not in (9, 10):
            raise DataError(f"pickle '{path}': expected the 9- or 10-item M3ED feature layout")
        val = data[9] if len(data) == 10 else ()
        samples = read_erc_pickle(path, "M3ED", M3ED_LABELS, len(data), val_ids=val)
    else:
        samples = _read_annotation(path, problems)
    if not samples:
        problems.finish()
        raise DataError(f"dataset 'm3ed': no labelled utterances under '{path}'; accepted: {ACCEPTED}")
    return Corpus(name="m3ed", label_names=list(M3ED_LABELS), samples=samples, default_protocol="official",
                  source=str(path), problems=problems.finish())
