"""IEMOCAP (Busso et al. 2008): five dyadic sessions, read from every format users have.

``--root`` may point at
- the raw release folder (``Session{1..5}/dialog/EmoEvaluation/*.txt``, ``dialog/transcriptions/*.txt``,
  ``sentences/wav/<dialog>/<utt>.wav``): text + audio;
- ``IEMOCAP_features.pkl`` (the 9-item ERC feature pickle): text/audio/visual vectors;
- a folder or file of label-only data: COSMIC ``iemocap_cosmic.pkl`` (6-class) or MERBench
  ``label_4way.npz`` / ``label_6way.npz`` with ``transcription.csv``: text only.

``iemocap`` is the 4-class setting (ang, hap+exc → hap, neu, sad; 5531 utterances, leave-one-session-
out); ``iemocap6`` the 6-class ERC setting (sessions 1–4 train+val, session 5 test).
"""

from __future__ import annotations

import csv
import re
from pathlib import Path

import numpy as np

from ...errors import DataError
from ..corpus import Corpus
from ..safe_pickle import load_pickle
from ..sample import Sample
from ._common import Problems, read_erc_pickle, resolve_root, uniform_audio

__all__ = ["LABELS4", "LABELS6", "make_iemocap", "make_iemocap6", "read_raw_release"]

LABELS4 = ["hap", "sad", "neu", "ang"]
LABELS6 = ["hap", "sad", "neu", "ang", "exc", "fru"]
RAW4 = {"hap": 0, "exc": 0, "sad": 1, "neu": 2, "ang": 3}
RAW6 = {name: i for i, name in enumerate(LABELS6)}
KNOWN_RAW = {"hap", "exc", "sad", "neu", "ang", "fru", "sur", "fea", "dis", "oth", "xxx"}
ACCEPTED = ("the raw release folder (Session1..5/dialog/EmoEvaluation), IEMOCAP_features.pkl, "
            "iemocap_cosmic.pkl, or a folder with label_4way.npz / label_6way.npz and transcription.csv")
EVAL_LINE = re.compile(r"^\[(?P<start>[\d.]+) - (?P<end>[\d.]+)\]\t(?P<id>\S+)\t(?P<label>\w+)\t")
TRANSCRIPT_LINE = re.compile(r"^(?P<id>Ses\d\d[FM]_\S+?)\s+\[[\d.]+-[\d.]+\]:\s*(?P<text>.*)$")


def _session(utt_id: str) -> str:
    return utt_id[3:5].lstrip("0") if utt_id.startswith("Ses") else "?"


def _dialogue(utt_id: str) -> str:
    return utt_id.rsplit("_", 1)[0]


def _speaker(utt_id: str) -> str:
    """``Ses01F_impro01_M003`` → ``Ses01_M`` (the actor who speaks this utterance)."""
    return f"{utt_id[:5]}_{utt_id.rsplit('_', 1)[1][0]}"


def read_raw_release(root: Path, mapping: dict[str, int], problems: Problems) -> list[Sample]:
    """Utterances of the raw release whose label is in ``mapping``, in dialogue order."""
    samples: list[Sample] = []
    sessions = sorted(root.glob("Session[1-5]"))
    if not sessions:
        raise DataError(f"IEMOCAP root '{root}' has no Session1..5 folders; accepted: {ACCEPTED}")
    for sess in sessions:
        eval_dir = sess / "dialog" / "EmoEvaluation"
        files = sorted(eval_dir.glob("*.txt"))
        if not files:
            problems.add(f"{eval_dir}: no EmoEvaluation *.txt files")
        for ev in files:
            texts = _transcripts(sess / "dialog" / "transcriptions" / ev.name, problems)
            rows = []
            for n, line in enumerate(ev.read_text(encoding="utf-8", errors="replace").splitlines(), 1):
                m = EVAL_LINE.match(line)
                if not m:
                    continue
                label = m["label"]
                if label not in KNOWN_RAW:
                    problems.add(f"{ev}:{n}: unknown emotion '{label}' (expected one of {sorted(KNOWN_RAW)})")
                    continue
                if label not in mapping:
                    continue
                rows.append((float(m["start"]), m["id"], mapping[label]))
            for pos, (start, uid, lab) in enumerate(sorted(rows)):
                wav = sess / "sentences" / "wav" / _dialogue(uid) / f"{uid}.wav"
                mods = {"text": texts.get(uid, "")}
                if not mods["text"]:
                    problems.add(f"{ev}: utterance {uid} has no transcript")
                if wav.is_file():
                    mods["audio"] = str(wav)
                else:
                    problems.add(f"{wav}: missing audio for labelled utterance {uid}")
                samples.append(Sample(id=uid, label=lab, modalities=mods, dialogue_id=_dialogue(uid), position=pos,
                                      speaker=_speaker(uid), meta={"session": _session(uid), "start": start,
                                                                   "transcript": mods["text"]}))
    return uniform_audio(samples)


def _transcripts(path: Path, problems: Problems) -> dict[str, str]:
    if not path.is_file():
        problems.add(f"{path}: transcription file missing")
        return {}
    out = {}
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        m = TRANSCRIPT_LINE.match(line.strip())
        if m:
            out[m["id"]] = m["text"].strip()
    return out


def _read_npz(root: Path, classes: int, problems: Problems) -> list[Sample]:
    npz = root / f"label_{classes}way.npz"
    try:
        corpus = np.load(npz, allow_pickle=False)
        table = corpus["whole_corpus"]
    except ValueError:  # object arrays need pickle: route them through the restricted unpickler
        table = _npz_object(npz)
    except (OSError, KeyError) as err:
        raise DataError(f"'{npz}' is not a MERBench label file with 'whole_corpus' ({err})") from None
    labels = table.item() if hasattr(table, "item") else table
    texts = _transcription_csv(root / "transcription.csv", problems)
    by_dialogue: dict[str, list[str]] = {}
    for uid in labels:
        by_dialogue.setdefault(_dialogue(uid), []).append(uid)
    samples = []
    for dia in sorted(by_dialogue):
        for pos, uid in enumerate(sorted(by_dialogue[dia], key=lambda u: (u.rsplit("_", 1)[1][1:], u))):
            text = texts.get(uid, "")
            if not text:
                problems.add(f"{root / 'transcription.csv'}: no transcript for {uid}")
            samples.append(Sample(id=uid, label=int(labels[uid]["emo"]), modalities={"text": text}, dialogue_id=dia,
                                  position=pos, speaker=_speaker(uid), meta={"session": _session(uid), "transcript": text}))
    return samples


def _npz_object(npz: Path) -> object:
    """Read the pickled object array inside an .npz with the restricted unpickler."""
    import io
    import pickle
    import zipfile

    from ..safe_pickle import _Restricted

    with zipfile.ZipFile(npz) as z:
        raw = z.read("whole_corpus.npy")
    buf = io.BytesIO(raw)
    np.lib.format.read_magic(buf)
    np.lib.format.read_array_header_1_0(buf)
    try:
        return _Restricted(buf, encoding="latin1").load()
    except pickle.UnpicklingError as err:
        raise DataError(f"'{npz}' was refused: {err}") from None


def _transcription_csv(path: Path, problems: Problems) -> dict[str, str]:
    if not path.is_file():
        problems.add(f"{path}: missing (utterances get empty transcripts)")
        return {}
    with open(path, encoding="utf-8", newline="") as f:
        reader = csv.DictReader(f)
        missing = {"name", "english"} - set(reader.fieldnames or [])
        if missing:
            raise DataError(f"'{path}': missing column(s) {sorted(missing)}; found {reader.fieldnames}")
        return {row["name"]: (row["english"] or "").strip() for row in reader}


def _read_cosmic(path: Path) -> list[Sample]:
    data = load_pickle(path)
    if not isinstance(data, list) or len(data) != 6 or not all(isinstance(x, dict) for x in data[:3]):
        raise DataError(f"pickle '{path}': expected the COSMIC layout [speakers, labels, sentences, train ids, "
                        "test ids, valid ids]")
    speakers, labels, sentences, train, test, valid = data
    split = {**{d: "train" for d in train}, **{d: "val" for d in valid}, **{d: "test" for d in test}}
    samples = []
    for dia in sorted(split):
        for k, lab in enumerate(labels[dia]):
            text = str(sentences[dia][k])
            samples.append(Sample(id=f"{dia}_{k:03d}", label=int(lab), modalities={"text": text}, dialogue_id=dia,
                                  position=k, speaker=f"{dia[:5]}_{speakers[dia][k]}",
                                  meta={"session": _session(dia), "split": split[dia], "transcript": text}))
    return samples


def _load(root: str | None, classes: int, strict: bool) -> Corpus:
    name = "iemocap" if classes == 4 else "iemocap6"
    path = resolve_root(name, root, ACCEPTED)
    problems = Problems(name, strict)
    labels = LABELS4 if classes == 4 else LABELS6
    source = str(path)
    if path.is_file() and path.suffix == ".pkl":
        head = load_pickle(path)
        if isinstance(head, list) and len(head) == 6:
            if classes == 4:
                raise DataError(f"'{path}' is the 6-class COSMIC label file; use it with the iemocap6 dataset")
            samples = _read_cosmic(path)
        else:
            mapping = {0: 0, 4: 0, 1: 1, 2: 2, 3: 3} if classes == 4 else None
            samples = [s for s in read_erc_pickle(path, name, labels, 9, mapping) if s.label >= 0]
            for s in samples:
                s.meta["session"] = _session(s.id)
    elif path.is_dir() and list(path.glob("Session[1-5]")):
        samples = read_raw_release(path, RAW4 if classes == 4 else RAW6, problems)
    elif path.is_dir() and (path / f"label_{classes}way.npz").is_file():
        samples = _read_npz(path, classes, problems)
    elif path.is_dir() and classes == 6 and (path / "iemocap_cosmic.pkl").is_file():
        samples = _read_cosmic(path / "iemocap_cosmic.pkl")
        source = str(path / "iemocap_cosmic.pkl")
    else:
        raise DataError(f"dataset '{name}': '{path}' holds no IEMOCAP data it can read; accepted: {ACCEPTED}")
    if not samples:
        raise DataError(f"dataset '{name}': no labelled utterances found under '{path}'")
    return Corpus(name=name, label_names=list(labels), samples=samples,
                  default_protocol="iemocap4" if classes == 4 else "iemocap6", source=source,
                  problems=problems.finish())


def make_iemocap(root: str | None = None, strict: bool = True) -> Corpus:
    """IEMOCAP 4-class (hap+exc, sad, neu, ang), leave-one-session-out — the DRKF setting."""
    return _load(root, 4, strict)


def make_iemocap6(root: str | None = None, strict: bool = True) -> Corpus:
    """IEMOCAP 6-class ERC setting (hap, sad, neu, ang, exc, fru): sessions 1–4 train+val, session 5 test."""
    return _load(root, 6, strict)
