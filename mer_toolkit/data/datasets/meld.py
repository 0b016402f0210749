"""MELD (Poria et al. 2019): multi-party dialogues from *Friends*, 7 emotions, official train/dev/test.

``--root`` may point at the release folder (``train_sent_emo.csv``, ``dev_sent_emo.csv``,
``test_sent_emo.csv``, optionally with the clip folders ``train_splits/``, ``dev_splits_complete/``,
``output_repeated_splits_test/`` holding ``dia{D}_utt{U}.mp4`` — audio is then decoded from the clips
with ffmpeg), at one of those CSV files' folder, or at ``MELD_features_raw1.pkl`` (the ERC feature pickle).
"""

from __future__ import annotations

import csv
from pathlib import Path

from ...errors import DataError
from ..corpus import Corpus
from ..safe_pickle import load_pickle
from ..sample import Sample
from ._common import Problems, read_erc_pickle, resolve_root, uniform_audio

__all__ = ["MELD_LABELS", "make_meld", "read_meld_csv"]

MELD_LABELS = ["neutral", "surprise", "fear", "sadness", "joy", "disgust", "anger"]
# Label order of MELD_features_raw1.pkl (DialogueRNN / COSMIC feature files).
PICKLE_ORDER = ["neutral", "surprise", "fear", "sadness", "joy", "disgust", "anger"]
SPLITS = {"train": ("train_sent_emo.csv", "train_splits"), "val": ("dev_sent_emo.csv", "dev_splits_complete"),
          "test": ("test_sent_emo.csv", "output_repeated_splits_test")}
REQUIRED = ("Utterance", "Speaker", "Emotion", "Dialogue_ID", "Utterance_ID")
ACCEPTED = "a folder with train/dev/test_sent_emo.csv (and optional clip folders) or MELD_features_raw1.pkl"


def read_meld_csv(path: Path, split: str, clips: Path | None, problems: Problems) -> list[Sample]:
    """Samples of one official CSV; every bad row is recorded with its line number."""
    try:
        f = open(path, encoding="utf-8-sig", newline="")
    except OSError as err:
        raise DataError(f"MELD file '{path}' cannot be read ({err})") from None
    with f:
        reader = csv.DictReader(f)
        missing = [c for c in REQUIRED if c not in (reader.fieldnames or [])]
        if missing:
            raise DataError(f"MELD file '{path}': missing column(s) {missing}; found {reader.fieldnames}; expected "
                            "Sr No., Utterance, Speaker, Emotion, Sentiment, Dialogue_ID, Utterance_ID, ...")
        samples = []
        for row in reader:
            line = reader.line_num
            emotion = (row["Emotion"] or "").strip().lower()
            if emotion not in MELD_LABELS:
                problems.add(f"{path}:{line}: unknown emotion '{row['Emotion']}' (expected one of {MELD_LABELS})")
                continue
            try:
                d, u = int(row["Dialogue_ID"]), int(row["Utterance_ID"])
            except (TypeError, ValueError):
                problems.add(f"{path}:{line}: Dialogue_ID/Utterance_ID are not whole numbers")
                continue
            text = (row["Utterance"] or "").replace("\x92", "'").strip()
            mods = {"text": text}
            if clips is not None:
                clip = clips / f"dia{d}_utt{u}.mp4"
                if clip.is_file():
                    mods["audio"] = str(clip)
                else:
                    problems.add(f"{clip}: missing clip for {split} dialogue {d} utterance {u}")
            samples.append(Sample(id=f"{split}_dia{d}_utt{u}", label=MELD_LABELS.index(emotion), modalities=mods,
                                  dialogue_id=f"{split}_dia{d}", position=u, speaker=(row["Speaker"] or "").strip(),
                                  meta={"split": split, "transcript": text, "line": line}))
    return samples


def make_meld(root: str | None = None, strict: bool = True, audio: bool = True) -> Corpus:
    """MELD with its official splits (train 9989 / dev 1109 / test 2610 utterances)."""
    path = resolve_root("meld", root, ACCEPTED)
    problems = Problems("meld", strict)
    if path.is_file():
        data = load_pickle(path)
        if not isinstance(data, (list, tuple)) or len(data) not in (9, 10, 11):
            raise DataError(f"pickle '{path}': expected MELD_features_raw1.pkl (10 items), got {type(data).__name__}")
        samples = read_erc_pickle(path, "MELD", MELD_LABELS, len(data),
                                  {i: MELD_LABELS.index(n) for i, n in enumerate(PICKLE_ORDER)})
    else:
        samples = []
        for split, (csv_name, clip_dir) in SPLITS.items():
            csv_path = path / csv_name
            if not csv_path.is_file():
                problems.add(f"{csv_path}: missing ({split} split)")
                continue
            clips = path / clip_dir if audio and (path / clip_dir).is_dir() else None
            samples += read_meld_csv(csv_path, split, clips, problems)
        uniform_audio(samples)
    if not samples:
        problems.finish()
        raise DataError(f"dataset 'meld': no utterances found under '{path}'; accepted: {ACCEPTED}")
    return Corpus(name="meld", label_names=list(MELD_LABELS), samples=samples, default_protocol="official",
                  source=str(path), problems=problems.finish())
