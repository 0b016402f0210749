"""IEMOCAP (Busso et al. 2008): five dyadic sessions, read from every format users have.

``--root`` may point at
- the raw release folder (``Session{1..5}/dialog/EmoEvaluation/*.txt``, ``dialog/transcriptions/*.txt``,
  ``sentences/wav/<dialog>/<utt>.wav``): text + audio, in EmoEvaluation time order;
- any ERC pickle (``IEMOCAP_features.pkl`` of DialogueRNN / DialogueGCN / MMGCN, COSMIC's
  ``iemocap_cosmic.pkl`` or RoBERTa features): COSMIC's utterances get their true ids when MERBench's
  ``label_6way.npz`` sits beside the file;
- a folder with MERBench ``label_4way.npz`` / ``label_6way.npz`` and ``transcription.csv``: text only,
  turn order unknown (position -1) unless the ``order`` option names the raw release, an ERC file
  with ids, or COSMIC's file.

Speakers are the ten actors (``Ses01_F``). ``iemocap`` is the 4-class setting (ang, hap+exc → hap,
neu, sad; the standard 5531 utterances, leave-one-session-out); ``iemocap6`` the 6-class ERC setting
(sessions 1–4 train+val, session 5 test). See docs/datasets.md.
"""

from __future__ import annotations

import re
from pathlib import Path

from ...errors import DataError
from ..corpus import Corpus
from ..sample import Sample
from ._common import Problems, erc_samples, merbench_transcripts, npz_table, renumber, resolve_root, transcription_csv
from ._erc_layouts import ErcFile, read_erc_file
from .label_maps import IEMOCAP_ERC

__all__ = ["LABELS4", "LABELS6", "make_iemocap", "make_iemocap6", "read_raw_release"]

LABELS4 = ["hap", "sad", "neu", "ang"]
LABELS6 = ["hap", "sad", "neu", "ang", "exc", "fru"]
RAW4 = {"hap": 0, "exc": 0, "sad": 1, "neu": 2, "ang": 3}
RAW6 = {name: i for i, name in enumerate(LABELS6)}
KNOWN_RAW = {"hap", "exc", "sad", "neu", "ang", "fru", "sur", "fea", "dis", "oth", "xxx"}
ACCEPTED = ("the raw release folder (Session1..5/dialog/EmoEvaluation), IEMOCAP_features.pkl, "
            "iemocap_cosmic.pkl, or a folder with label_4way.npz / label_6way.npz and transcription.csv")
EVAL_LINE = re.compile(r"^\[(?P<start>[\d.]+) - (?P<end>[\d.]+)\]\t(?P<id>\S+)\t(?P<label>\w+)\t")
ORDER_SOURCES = ("the MERBench files carry no turn order; give it with --option order=PATH: the raw release folder "
                 "(EmoEvaluation start times), IEMOCAP_features.pkl or iemocap_cosmic.pkl")
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
    return samples


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


def _read_npz(root: Path, classes: int, order: str | None, problems: Problems) -> list[Sample]:
    """MERBench labels + transcripts. Their ids carry per-speaker counters only (F000, M000, F001, ...), so
    turn order is unknown (position -1) unless ``order`` names a file or folder that has it."""
    labels = _npz_labels(root / f"label_{classes}way.npz")
    texts = merbench_transcripts(root, problems)
    positions = _order_positions(Path(order).expanduser(), root) if order else {}
    by_dialogue: dict[str, list[str]] = {}
    for uid in labels:
        by_dialogue.setdefault(_dialogue(uid), []).append(uid)
    samples = []
    for dia in sorted(by_dialogue):
        ids = sorted(by_dialogue[dia])
        if positions:
            missing = [u for u in ids if u not in positions]
            if missing:
                raise DataError(f"order source '{order}' does not place {len(missing)} utterance(s) of {dia}, "
                                f"e.g. {missing[:3]}; it must cover every utterance of '{root}'")
            ids.sort(key=positions.__getitem__)
        for pos, uid in enumerate(ids):
            text = texts.get(uid, "")
            if not text:
                problems.add(f"{root / 'transcription.csv'}: no transcript for {uid}")
            meta = {"session": _session(uid), "transcript": text}
            if not positions:
                meta["order_from"] = ORDER_SOURCES
            samples.append(Sample(id=uid, label=int(labels[uid]["emo"]), modalities={"text": text}, dialogue_id=dia,
                                  position=pos if positions else -1, speaker=_speaker(uid), meta=meta))
    return samples


def _npz_labels(npz: Path) -> dict:
    """Utterance id → ``{emo, val}`` of a MERBench IEMOCAP label file (its single ``whole_corpus`` array)."""
    return npz_table(npz, "whole_corpus")


def _order_positions(source: Path, root: Path) -> dict[str, float]:
    """Utterance id → a sortable turn position, from the raw release's EmoEvaluation start times, an ERC
    file listing utterance ids, or a COSMIC file (speaker sequence, matched to the 6-class id list)."""
    if source.is_dir():
        starts = {m["id"]: float(m["start"]) for ev in sorted(source.glob("Session[1-5]/dialog/EmoEvaluation/*.txt"))
                  for line in ev.read_text(encoding="utf-8", errors="replace").splitlines()
                  if (m := EVAL_LINE.match(line))}
        if not starts:
            raise DataError(f"order source '{source}' has no Session*/dialog/EmoEvaluation/*.txt with start times")
        return starts
    erc = read_erc_file(source)
    ids = erc.ids or _match_ids(erc, root)
    if not ids:
        raise DataError(f"order source '{source}' ({erc.layout}) lists speakers but no utterance ids; matching them "
                        f"needs '{root / 'label_6way.npz'}' (the 6-class id list of the same utterances)")
    return {str(u): k for d in ids for k, u in enumerate(ids[d])}


def _match_ids(erc: ErcFile, folder: Path) -> dict[str, list[str]]:
    """True utterance ids of a file that has none (COSMIC), from MERBench's 6-class list in ``folder``.

    Each dialogue's speaker sequence takes that speaker's next id by counter; the labels (and the
    transcripts, when ``transcription.csv`` is there) must then agree turn by turn, or the match is
    refused. Empty when ``folder`` has no ``label_6way.npz``.
    """
    if not (folder / "label_6way.npz").is_file():
        return {}
    labels = _npz_labels(folder / "label_6way.npz")
    csv_path = folder / "transcription.csv"
    texts = transcription_csv(csv_path, Problems("iemocap", False)) if csv_path.is_file() else {}
    by_dialogue: dict[str, list[str]] = {}
    for uid in labels:
        by_dialogue.setdefault(_dialogue(uid), []).append(uid)
    out: dict[str, list[str]] = {}
    for dia, seq in erc.speakers.items():
        queues = {g: sorted(u for u in by_dialogue.get(dia, []) if _speaker(u)[-1] == g) for g in "FM"}
        if sum(map(len, queues.values())) != len(seq) or any(seq.count(g) != len(q) for g, q in queues.items()):
            raise DataError(f"'{erc.path}': dialogue {dia} has {len(seq)} turns but '{folder / 'label_6way.npz'}' "
                            f"lists {sum(map(len, queues.values()))} utterances with other speakers; not the same release")
        out[dia] = [queues[g].pop(0) for g in seq]
        for k, uid in enumerate(out[dia]):
            sentence = str(erc.sentences[dia][k]).strip() if erc.sentences else None
            if int(labels[uid]["emo"]) != int(erc.labels[dia][k]) or (
                    sentence is not None and uid in texts and texts[uid] != sentence):
                raise DataError(f"'{erc.path}': turn {k} of {dia} ({sentence!r}, label {erc.labels[dia][k]}) does "
                                f"not match {uid} in '{folder}' ({texts.get(uid)!r}, label {labels[uid]['emo']}); "
                                "the files are not of the same release")
    return out


def _read_erc(path: Path, classes: int) -> list[Sample]:
    """Any ERC IEMOCAP pickle; 'M'/'F' are qualified by session (Ses01_M): ten actors, not two."""
    erc = read_erc_file(path)
    matched = {} if erc.ids else _match_ids(erc, path.parent)

    def utterance(dia: str, k: int, uid: object) -> str:
        if uid is not None:
            return str(uid)
        return matched[dia][k] if matched else f"{dia}_{k:03d}"

    samples = erc_samples(erc, IEMOCAP_ERC, LABELS4 if classes == 4 else LABELS6,
                          keep={"exc": "hap"} if classes == 4 else None, dialogue=lambda raw, split: (str(raw), split),
                          speaker=lambda dia, g: f"{dia[:5]}_{g}", utterance=utterance)
    for s in samples:
        s.meta["session"] = _session(s.dialogue_id)
    return samples


def _standard4(path: Path, samples: list[Sample], standard: str | None) -> tuple[list[Sample], str]:
    """Restrict 4-class ERC samples to the standard 5531-utterance list (``label_4way.npz``) when available."""
    npz = Path(standard).expanduser() if standard else path.parent / "label_4way.npz"
    if not npz.is_file():
        if standard:
            raise DataError(f"standard list '{npz}' does not exist; expected MERBench label_4way.npz")
        return samples, (f"{len(samples)} utterances: the ERC file's hap+exc, sad, neu, ang, not the standard 5531 "
                         "(see docs/datasets.md); pass --option standard=label_4way.npz to use the standard list")
    keep = set(_npz_labels(npz))
    if not any(s.id in keep for s in samples):
        raise DataError(f"'{path}' lists no utterance ids that '{npz}' knows; the standard list needs a file with "
                        "utterance ids (IEMOCAP_features.pkl), or COSMIC's file next to label_6way.npz")
    return renumber([s for s in samples if s.id in keep]), f"restricted to the standard list {npz}"


def _load(root: str | None, classes: int, strict: bool, order: str | None, standard: str | None) -> Corpus:
    name = "iemocap" if classes == 4 else "iemocap6"
    path = resolve_root(name, root, ACCEPTED)
    problems = Problems(name, strict)
    labels = LABELS4 if classes == 4 else LABELS6
    source, info = str(path), {}
    if order and not (path.is_dir() and (path / f"label_{classes}way.npz").is_file()):
        raise DataError(f"dataset '{name}': 'order' applies to MERBench label files only; '{path}' has its own order")
    if path.is_file() and path.suffix == ".pkl":
        samples = _read_erc(path, classes)
        if classes == 4:
            samples, info["note"] = _standard4(path, samples, standard)
    elif path.is_dir() and list(path.glob("Session[1-5]")):
        samples = read_raw_release(path, RAW4 if classes == 4 else RAW6, problems)
    elif path.is_dir() and (path / f"label_{classes}way.npz").is_file():
        samples = _read_npz(path, classes, order, problems)
    elif path.is_dir() and classes == 6 and (path / "iemocap_cosmic.pkl").is_file():
        samples = _read_erc(path / "iemocap_cosmic.pkl", classes)
        source = str(path / "iemocap_cosmic.pkl")
    else:
        raise DataError(f"dataset '{name}': '{path}' holds no IEMOCAP data it can read; accepted: {ACCEPTED}")
    if not samples:
        raise DataError(f"dataset '{name}': no labelled utterances found under '{path}'")
    return Corpus(name=name, label_names=list(labels), samples=samples,
                  default_protocol="iemocap4" if classes == 4 else "iemocap6", source=source,
                  problems=problems.finish(), info=info)


def make_iemocap(root: str | None = None, strict: bool = True, order: str | None = None,
                 standard: str | None = None) -> Corpus:
    """IEMOCAP 4-class (hap+exc, sad, neu, ang), leave-one-session-out — the DRKF setting.

    ``order``: where MERBench files get their turn order; ``standard``: the 5531-utterance list for ERC pickles.
    """
    return _load(root, 4, strict, order, standard)


def make_iemocap6(root: str | None = None, strict: bool = True, order: str | None = None) -> Corpus:
    """IEMOCAP 6-class ERC setting (hap, sad, neu, ang, exc, fru): sessions 1–4 train+val, session 5 test.

    ``order``: where MERBench files get their turn order (raw release folder or an ERC/COSMIC pickle).
    """
    return _load(root, 6, strict, order, None)
