"""CMU-MOSI (Zadeh et al. 2016): 2,199 opinion utterances of 93 YouTube videos, binary sentiment.

``--root`` may point at
- the bc-LSTM feature release (Poria et al. 2017): ``transcripts.csv`` (utterance id, transcript, video
  index, label 1 positive / 0 negative), ``text_{train,test}.csv`` (column 0 = row of ``transcripts.csv``)
  and ``{text,audio,video}/{m}_{train,test}0.csv`` (row i belongs to row i of ``text_{split}.csv``; the
  last column repeats the label): 100-d text, 73-d audio, 100-d video vectors, train / test split;
- MMSA's pickle (``aligned_50.pkl`` / ``unaligned_50.pkl``): ``{train, valid, test}`` → ``id``
  (``<video>$_$<clip>``), ``raw_text``, ``text``, ``audio``, ``vision`` sequences, ``regression_labels`` in
  [-3, 3] (optionally ``text_bert``, ``audio_lengths``, ``vision_lengths``);
- MERBench's folder: ``label.npz`` (``train_corpus`` / ``val_corpus`` / ``test_corpus``: ``<video>_<clip>`` →
  ``{"emo": 0, "val": score}``) and its transcript file: transcripts only.

Labels are ``negative`` / ``positive``; a regression score < 0 is negative, > 0 positive, and 0 is left out
(the papers' Acc-2 "non-0" convention; the corpus note counts them). Speaker and dialogue are the video (one
speaker each), the position is the clip's order in it. ``text`` holds the release's text features, or the
transcript (``text="transcript"``, for ``minilm`` and other text encoders; the only text of MERBench's
files); ``meta['transcript']`` always holds the transcript.
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import numpy as np
import torch

from ...errors import DataError
from ..corpus import Corpus
from ..safe_pickle import load_pickle
from ..sample import Sample
from ._common import Problems, merbench_splits, merbench_transcripts, renumber, resolve_root

__all__ = ["MOSI_LABELS", "RELEASE_DIMS", "make_mosi", "binary_label"]

MOSI_LABELS = ["negative", "positive"]
RELEASE_DIMS = {"text": 100, "audio": 73, "video": 100}
MMSA_SPLITS = {"train": "train", "valid": "val", "test": "test"}
MMSA_REQUIRED = ("id", "raw_text", "text", "audio", "vision", "regression_labels")
TEXT_MODES = (None, "features", "transcript")
ACCEPTED = ("the bc-LSTM release folder (transcripts.csv, text_{train,test}.csv, {text,audio,video}/*_{train,test}0.csv), "
            "MMSA's aligned_50.pkl / unaligned_50.pkl, or MERBench's folder (label.npz + transcription.csv)")


def binary_label(score: float) -> int | None:
    """Sentiment class of a regression score: 0 negative (< 0), 1 positive (> 0), None for exactly 0."""
    return None if score == 0 else int(score > 0)


def _utterance(uid: str, where: str, text: Any, features: dict[str, Any], label: int, split: str,
               transcript: str) -> Sample:
    """One MOSI utterance ``<video>_<clip>``: the video is its speaker and dialogue, the clip number its position."""
    video, _, clip = uid.rpartition("_")
    if not video or not clip.isdigit():
        raise DataError(f"{where}: utterance id {uid!r} is not <video>_<clip number>")
    mods = {"text": text, **features}
    return Sample(id=uid, label=label, modalities=mods, dialogue_id=video, position=int(clip), speaker=video,
                  meta={"split": split, "transcript": transcript, "video": video, "clip": int(clip)})


def _csv_rows(path: Path) -> list[list[str]]:
    try:
        with open(path, encoding="utf-8", newline="") as f:
            return list(csv.reader(f))
    except OSError as err:
        raise DataError(f"MOSI: '{path}' cannot be read ({err}); expected {ACCEPTED}") from None


def _feature_rows(path: Path, dim: int, count: int) -> np.ndarray:
    """``[count, dim + 1]`` floats of one bc-LSTM feature file (the last column is the label)."""
    rows = _csv_rows(path)
    if len(rows) != count:
        raise DataError(f"MOSI: '{path}' has {len(rows)} rows but its split's text_*.csv has {count}; row i of "
                        "every feature file belongs to row i of text_{split}.csv")
    bad = next((n for n, r in enumerate(rows, 1) if len(r) != dim + 1), None)
    if bad is not None:
        raise DataError(f"MOSI: '{path}':{bad} has {len(rows[bad - 1])} columns; expected {dim} features and the label")
    try:
        return np.asarray(rows, dtype=np.float32)
    except ValueError as err:
        raise DataError(f"MOSI: '{path}' holds a value that is not a number ({err})") from None


def read_bclstm(root: Path, text_mode: str | None, problems: Problems) -> list[Sample]:
    """The bc-LSTM release: every feature row joined to its ``transcripts.csv`` row through ``text_{split}.csv``."""
    transcripts = _csv_rows(root / "transcripts.csv")
    bad = next((n for n, r in enumerate(transcripts, 1) if len(r) != 4 or r[3] not in ("0", "1")), None)
    if bad is not None:
        raise DataError(f"MOSI: '{root / 'transcripts.csv'}':{bad} is {transcripts[bad - 1]}; expected utterance id, "
                        "transcript, video index, label (1 positive / 0 negative)")
    samples: list[Sample] = []
    seen: dict[int, str] = {}
    for split in ("train", "test"):
        index = _csv_rows(root / f"text_{split}.csv")
        feats = {m: _feature_rows(root / m / f"{m}_{split}0.csv", dim, len(index)) for m, dim in RELEASE_DIMS.items()}
        for i, row in enumerate(index):
            where = f"{root / f'text_{split}.csv'}:{i + 1}"
            try:
                t = int(float(row[0]))
            except (IndexError, ValueError):
                raise DataError(f"MOSI: {where}: column 0 must be a row number of transcripts.csv, got {row[:1]}") from None
            if not 0 <= t < len(transcripts) or t in seen:
                problems.add(f"{where}: transcripts.csv row {t} is {'already used by ' + seen[t] if t in seen else 'absent'}")
                continue
            seen[t] = split
            uid, transcript, _, label = transcripts[t]
            wrong = [m for m, rows in feats.items() if int(rows[i, -1]) != int(label)]
            if wrong:
                problems.add(f"{where}: {uid} is labelled {label} in transcripts.csv but {wrong} features say otherwise")
                continue
            vectors = {m: torch.from_numpy(rows[i, :-1].copy()) for m, rows in feats.items()}
            text_vector = vectors.pop("text")
            text = transcript.strip() if text_mode == "transcript" else text_vector
            samples.append(_utterance(uid, where, text, vectors, int(label), split, transcript.strip()))
    unused = len(transcripts) - len(seen)
    if unused:
        problems.add(f"{root / 'transcripts.csv'}: {unused} utterance(s) are in no split's text_*.csv")
    return samples


def _lengths(part: dict, key: str, n: int, width: int) -> np.ndarray:
    """Valid steps per utterance: ``<m>_lengths`` when the file has it, the text mask of ``text_bert``, else all."""
    if key == "text" and "text_bert" in part:
        return np.asarray(part["text_bert"])[:, 1, :].sum(axis=1).astype(int)
    if f"{key}_lengths" in part:
        return np.asarray(part[f"{key}_lengths"]).astype(int).reshape(n)
    return np.full(n, width)


def read_mmsa(path: Path, text_mode: str | None) -> tuple[list[Sample], int]:
    """MMSA's pickle: the utterances with a non-zero score and how many scored exactly 0 (left out)."""
    data = load_pickle(path)
    if not isinstance(data, dict) or set(data) != set(MMSA_SPLITS):
        found = sorted(data) if isinstance(data, dict) else type(data).__name__
        raise DataError(f"pickle '{path}': expected MMSA's dict with {list(MMSA_SPLITS)}, found {found}")
    samples: list[Sample] = []
    zero = 0
    for file_split, split in MMSA_SPLITS.items():
        part = data[file_split]
        missing = [k for k in MMSA_REQUIRED if k not in part] if isinstance(part, dict) else list(MMSA_REQUIRED)
        if missing:
            raise DataError(f"pickle '{path}': '{file_split}' lacks {missing}; MMSA's layout has {list(MMSA_REQUIRED)} "
                            "(and text_bert, audio_lengths, vision_lengths, annotations)")
        n = len(part["id"])
        sizes = {k: len(part[k]) for k in MMSA_REQUIRED}
        if set(sizes.values()) != {n}:
            raise DataError(f"pickle '{path}': '{file_split}' arrays differ in length {sizes}; one row per utterance")
        scores = np.asarray(part["regression_labels"], dtype=np.float64).reshape(n)
        seqs = {"text": part["text"], "audio": part["audio"], "video": part["vision"]}
        lengths = {m: _lengths(part, "vision" if m == "video" else m, n, np.shape(seqs[m])[1]) for m in seqs}
        for i in range(n):
            label = binary_label(float(scores[i]))
            if label is None:
                zero += 1
                continue
            video, sep, clip = str(part["id"][i]).partition("$_$")
            where = f"pickle '{path}' ({file_split}, row {i})"
            if not sep:
                raise DataError(f"{where}: id {part['id'][i]!r} is not MMSA's <video>$_$<clip>")
            feats = {m: torch.from_numpy(np.nan_to_num(np.asarray(seqs[m][i], dtype=np.float32)[:max(1, lengths[m][i])],
                                                       nan=0.0, neginf=0.0, posinf=0.0)) for m in seqs}
            transcript = str(part["raw_text"][i]).strip()
            text_sequence = feats.pop("text")
            text = transcript if text_mode == "transcript" else text_sequence
            samples.append(_utterance(f"{video}_{clip}", where, text, feats, label, split, transcript))
    return samples, zero


def read_merbench_mosi(folder: Path, problems: Problems) -> tuple[list[Sample], int]:
    """MERBench's MOSI folder (transcripts only): the utterances with a non-zero score and the count of zeros."""
    npz = folder / "label.npz"
    splits = merbench_splits(npz)
    ids = [uid for table in splits.values() for uid in table]
    if not any(str(u).rpartition("_")[2].isdigit() for u in ids):
        raise DataError(f"'{npz}': ids like {ids[0] if ids else None!r} are not MERBench's MOSI ids (<video>_<clip>, "
                        "e.g. 03bSnISJMiM_1); is this another corpus's MERBench folder?")
    texts = merbench_transcripts(folder, problems)
    samples, zero = [], 0
    for split, table in splits.items():
        for uid, entry in table.items():
            score = float(entry["val"])
            if not -3 <= score <= 3:
                problems.add(f"{npz}: '{uid}' has val {score}; MOSI sentiment scores lie in [-3, 3]")
                continue
            label = binary_label(score)
            if label is None:
                zero += 1
                continue
            text = texts.get(uid, "")
            if not text:
                problems.add(f"{folder}: no transcript for {uid}")
            samples.append(_utterance(str(uid), str(npz), text, {}, label, split, text))
    return samples, zero


def make_mosi(root: str | None = None, strict: bool = True, text: str | None = None) -> Corpus:
    """CMU-MOSI binary sentiment from any of its releases; default protocol ``official`` (a file without a
    validation split gets 10 % of its training videos, chosen with the protocol's seed).

    ``text``: ``features`` (the release's text vectors), ``transcript`` (raw text for a text encoder), or unset
    (features where the release has them).
    """
    if text not in TEXT_MODES:
        raise DataError(f"dataset 'mosi': text={text!r}; expected 'features' (the release's text vectors) or "
                        "'transcript' (raw text, e.g. for data.features.text=minilm)")
    path = resolve_root("mosi", root, ACCEPTED)
    problems = Problems("mosi", strict)
    zero = 0
    if path.is_file() and path.suffix == ".pkl":
        samples, zero = read_mmsa(path, text)
    elif path.is_dir() and (path / "transcripts.csv").is_file():
        samples = read_bclstm(path, text, problems)
    elif path.is_dir() and (path / "label.npz").is_file():
        if text == "features":
            raise DataError(f"dataset 'mosi': MERBench's folder '{path}' has transcripts only; text=features needs "
                            "the bc-LSTM release or an MMSA pickle")
        samples, zero = read_merbench_mosi(path, problems)
    else:
        raise DataError(f"dataset 'mosi': '{path}' holds no MOSI data it can read; accepted: {ACCEPTED}")
    if not samples:
        problems.finish()
        raise DataError(f"dataset 'mosi': no labelled utterances under '{path}'; accepted: {ACCEPTED}")
    info = {"note": f"{zero} utterance(s) with sentiment score 0 left out (neither negative nor positive)"} if zero else {}
    return Corpus(name="mosi", label_names=list(MOSI_LABELS), samples=renumber(samples), default_protocol="official",
                  source=str(path), problems=problems.finish(), info=info)
