"""MELD (Poria et al. 2019): multi-party dialogues from *Friends*, 7 emotions, official train/dev/test.

``--root`` may point at the release folder (``train_sent_emo.csv``, ``dev_sent_emo.csv``,
``test_sent_emo.csv``, optionally with the clip folders ``train_splits/``, ``dev_splits_complete/``,
``output_repeated_splits_test/`` holding ``dia{D}_utt{U}.mp4`` — audio is then decoded from the clips
with ffmpeg), at one of those CSV files' folder, or at an ERC pickle: DialogueRNN/DialogueGCN
``MELD_features_raw.pkl`` (9 items, no visual), MMGCN/MM-DFN ``MELD_features_raw1.pkl`` (10 items),
COSMIC ``meld.pkl`` labels or ``meld_features_roberta.pkl``, or at MERBench's MELD folder (``label.npz`` with
``train_corpus`` / ``val_corpus`` / ``test_corpus`` of ``{split}_dia{D}_utt{U}`` ids, and its transcript file):
text only, and without speakers (MERBench keeps none).

The ERC pickles number dialogues across splits (train 0–1038, dev 1039–1152, test 1153–1432); they
are renamed to the CSV readers' ids (``val_dia5`` for dev dialogue 5) and the official dev split is restored even where a file
merges it into its training list. Their one-hot speakers are dialogue-local: ``val_dia5:S0``.
"""

from __future__ import annotations

import csv
import re
from pathlib import Path

import numpy as np

from ...errors import DataError
from ..corpus import Corpus
from ..sample import Sample
from ._common import Problems, erc_samples, merbench_splits, merbench_transcripts, resolve_root
from ._erc_layouts import read_erc_file
from .label_maps import MELD_ERC, MELD_MERBENCH, translate

__all__ = ["MELD_LABELS", "make_meld", "read_meld_csv", "repair_cp1252", "erc_dialogue"]

MELD_LABELS = ["neutral", "surprise", "fear", "sadness", "joy", "disgust", "anger"]
# First ERC dialogue number of each split (train 0.., dev 1039.., test 1153..1432).
ERC_OFFSETS = (("test", 1153), ("val", 1039), ("train", 0))
SPLITS = {"train": ("train_sent_emo.csv", "train_splits"), "val": ("dev_sent_emo.csv", "dev_splits_complete"),
          "test": ("test_sent_emo.csv", "output_repeated_splits_test")}
REQUIRED = ("Utterance", "Speaker", "Emotion", "Dialogue_ID", "Utterance_ID")
ACCEPTED = ("a folder with train/dev/test_sent_emo.csv (and optional clip folders), an ERC pickle "
            "(MELD_features_raw.pkl, MELD_features_raw1.pkl, COSMIC meld.pkl / meld_features_roberta.pkl), or "
            "MERBench's folder (label.npz + transcription.csv)")
MERBENCH_ID = re.compile(r"^(?P<split>train|val|test)_dia(?P<dia>\d+)_utt(?P<utt>\d+)$")
CP1252 = {chr(c): bytes([c]).decode("cp1252") for c in range(0x80, 0xA0) if c not in (0x81, 0x8D, 0x8F, 0x90, 0x9D)}


def repair_cp1252(text: str) -> str:
    """Undo the cp1252-read-as-latin-1 damage of old MELD files (``\x92`` → ’, ``\x85`` → …, ``\xa0`` → space)."""
    return "".join(CP1252.get(ch, ch) for ch in text).replace("\xa0", " ").strip()


def erc_dialogue(raw: object, file_split: str, path: Path) -> tuple[str, str]:
    """(CSV-style dialogue id, official split) of an ERC dialogue number; the file's test list must agree."""
    number = int(raw)  # type: ignore[call-overload]
    split, offset = next((name, off) for name, off in ERC_OFFSETS if number >= off)
    if (file_split == "test") != (split == "test") or number > 1432:
        raise DataError(f"pickle '{path}': dialogue {raw!r} is in the file's {file_split} list but MELD's ERC "
                        "numbering (train 0-1038, dev 1039-1152, test 1153-1432) puts it elsewhere; is this a MELD file?")
    return f"{split}_dia{number - offset}", split


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
            text = repair_cp1252(row["Utterance"] or "")
            mods = {"text": text}
            if clips is not None:
                clip = clips / f"dia{d}_utt{u}.mp4"
                if clip.is_file():  # the release lacks some clips (dev dia110_utt7): that utterance has no audio
                    mods["audio"] = str(clip)
            samples.append(Sample(id=f"{split}_dia{d}_utt{u}", label=MELD_LABELS.index(emotion), modalities=mods,
                                  dialogue_id=f"{split}_dia{d}", position=u, speaker=(row["Speaker"] or "").strip(),
                                  meta={"split": split, "transcript": text, "line": line}))
    return samples


def read_merbench(folder: Path, problems: Problems) -> list[Sample]:
    """MERBench's MELD folder: each split array's ids name their split, dialogue and turn; labels follow
    ``MELD_MERBENCH``. A file whose ids are not MELD's is refused; an id filed under another split is a problem."""
    npz = folder / "label.npz"
    splits = merbench_splits(npz)
    if not any(MERBENCH_ID.match(str(uid)) for table in splits.values() for uid in table):
        example = next((uid for table in splits.values() for uid in table), None)
        raise DataError(f"'{npz}': ids like {example!r} are not MERBench's MELD ids ({{split}}_dia{{D}}_utt{{U}}, "
                        "e.g. train_dia0_utt0); is this another corpus's MERBench folder?")
    texts = merbench_transcripts(folder, problems)
    label_map = translate(MELD_MERBENCH, MELD_LABELS)
    samples = []
    for split, table in splits.items():
        for uid, entry in table.items():
            m = MERBENCH_ID.match(str(uid))
            if m is None or m["split"] != split:
                problems.add(f"{npz}: '{uid}' is in the {split} array but its id names "
                             f"{m['split'] if m else 'no MELD split'} (expected {split}_dia{{D}}_utt{{U}})")
                continue
            if int(entry["emo"]) not in label_map:
                problems.add(f"{npz}: '{uid}' has emo {entry['emo']}; MERBench's MELD labels are {MELD_MERBENCH}")
                continue
            text = repair_cp1252(texts.get(uid, ""))
            if not text:
                problems.add(f"{folder}: no transcript for {uid}")
            samples.append(Sample(id=uid, label=label_map[int(entry["emo"])], modalities={"text": text},
                                  dialogue_id=f"{split}_dia{m['dia']}", position=int(m["utt"]), speaker="",
                                  meta={"split": split, "transcript": text}))
    return samples


def make_meld(root: str | None = None, strict: bool = True, audio: bool = True) -> Corpus:
    """MELD with its official splits (train 9989 / dev 1109 / test 2610 utterances), from any of its releases."""
    path = resolve_root("meld", root, ACCEPTED)
    problems = Problems("meld", strict)
    info = {}
    if path.is_dir() and (path / "label.npz").is_file() and not any(path.glob("*_sent_emo.csv")):
        samples = read_merbench(path, problems)
        info["note"] = "MERBench's files hold no speakers: every utterance's speaker is empty"
    elif path.is_file():
        erc = read_erc_file(path)
        samples = erc_samples(erc, MELD_ERC, MELD_LABELS, dialogue=lambda raw, split: erc_dialogue(raw, split, path),
                              speaker=lambda dia, onehot: f"{dia}:S{int(np.argmax(onehot))}",
                              utterance=lambda dia, k, _: f"{dia}_utt{k}", text=repair_cp1252)
    else:
        samples = []
        for split, (csv_name, clip_dir) in SPLITS.items():
            csv_path = path / csv_name
            if not csv_path.is_file():
                problems.add(f"{csv_path}: missing ({split} split)")
                continue
            clips = path / clip_dir if audio and (path / clip_dir).is_dir() else None
            samples += read_meld_csv(csv_path, split, clips, problems)
    if not samples:
        problems.finish()
        raise DataError(f"dataset 'meld': no utterances found under '{path}'; accepted: {ACCEPTED}")
    return Corpus(name="meld", label_names=list(MELD_LABELS), samples=samples, default_protocol="official",
                  source=str(path), problems=problems.finish(), info=info)
