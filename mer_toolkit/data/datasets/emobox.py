"""EmoBox's metadata format (Ma et al. 2024, emo-box/EmoBox ``data/<corpus>/``): any of its speech-emotion corpora.

``--root`` is one corpus folder as EmoBox publishes it (or EmoBox's ``data/`` folder with ``corpus=NAME``):
- ``fold_<k>/<corpus>_{train,valid,test}_fold_<k>.jsonl`` (one record per line) or ``.json`` (key → record);
  a record holds ``key``, ``wav`` (relative to EmoBox's working folder: ``downloads/<corpus>/...``), ``emo``,
  ``length``, optionally ``start_time`` / ``end_time`` of a segment; ``valid`` lists exist for some corpora;
- ``label_map.json``: the corpus' emotion words → EmoBox's class names (``Anger`` → ``Angry``; several words
  may share a class, e.g. IEMOCAP's hap and exc); the class names, in the map's order, are the labels;
- ``data.seg.wrd.stm``: ``<key> <channel> <speaker> <start> <end> <tags> <emotion>``, the speaker of every key;
- ``data.seg.audmap``: ``<key> <channel> <start> <end> <audio path>`` (the same paths as the records' ``wav``).

EmoBox ships no audio: ``audio_root`` names where it is, either the folder holding ``downloads/`` or the
corpus' own download folder (``downloads/<corpus>``). Without it the corpus is labels only (``mer data stats``
reads it and says so); a file that is not there leaves that utterance without audio. Utterances carry
their folds in ``meta['emobox_folds']`` for the ``emobox`` protocol.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from ...errors import DataError
from ..corpus import Corpus
from ..sample import Sample
from ._common import Problems, read_json, resolve_root

__all__ = ["make_emobox", "read_label_map", "read_stm", "fold_records", "SPLITS"]

SPLITS = ("train", "valid", "test")
STM_LINE = re.compile(r"^(?P<key>\S+)\s+(?P<channel>\S+)\s+(?P<speaker>.+?)\s+(?P<start>[\d.]+)\s+(?P<end>[\d.]+)\s+"
                      r"<(?P<tags>[^>]*)>\s*(?P<emotion>.*)$")
FOLD_FILE = re.compile(r"^(?P<corpus>.+)_(?P<split>train|valid|test)_fold_(?P<k>\d+)\.jsonl?$")
ACCEPTED = ("an EmoBox corpus folder (fold_<k>/<corpus>_{train,valid,test}_fold_<k>.jsonl or .json, label_map.json, "
            "data.seg.wrd.stm, data.seg.audmap), or EmoBox's data/ folder with --option corpus=NAME")


def _corpus_folder(path: Path, corpus: str | None) -> Path:
    """The corpus folder: ``path`` itself, or ``path/corpus`` when ``path`` is EmoBox's ``data/`` folder."""
    folder = path / corpus if corpus else path
    if corpus and not folder.is_dir():
        raise DataError(f"dataset 'emobox': '{path}' has no corpus folder '{corpus}'")
    if not list(folder.glob("fold_*")):
        found = sorted(p.name for p in folder.iterdir() if p.is_dir() and list(p.glob("fold_*")))
        hint = f"; it holds the corpora {found}: choose one with --option corpus=NAME" if found else ""
        raise DataError(f"dataset 'emobox': '{folder}' has no fold_<k> folders{hint}; accepted: {ACCEPTED}")
    return folder


def read_label_map(path: Path) -> dict[str, str]:
    """EmoBox's ``label_map.json``: emotion word → class name."""
    data = read_json(path, "dataset 'emobox'", "every EmoBox corpus folder has its label_map.json")
    if not isinstance(data, dict) or not data or not all(isinstance(k, str) and isinstance(v, str)
                                                         for k, v in data.items()):
        raise DataError(f"dataset 'emobox': '{path}' must map emotion words to class names, e.g. "
                        f'{{"Anger": "Angry"}}; got {str(data)[:120]}')
    return data


def read_stm(path: Path, problems: Problems) -> dict[str, tuple[str, str]]:
    """Key → (speaker, emotion word) of ``data.seg.wrd.stm``; a line that does not parse is a problem."""
    if not path.is_file():
        problems.add(f"{path}: missing; utterances have no speaker (speaker-based validation needs them)")
        return {}
    out = {}
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        m = STM_LINE.match(line)
        if m is None:
            problems.add(f"{path}:{n}: expected <key> <channel> <speaker> <start> <end> <tags> <emotion>")
            continue
        out[m["key"]] = (m["speaker"].strip(), m["emotion"].strip())
    return out


def _read_records(path: Path) -> list[dict[str, Any]]:
    """The records of one fold file, each with its ``key``."""
    if path.suffix == ".jsonl":
        records = []
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if not line.strip():
                continue
            try:
                records.append(json.loads(line))
            except json.JSONDecodeError as err:
                raise DataError(f"dataset 'emobox': '{path}':{n} is not valid JSON ({err.msg})") from None
    else:
        data = read_json(path, "dataset 'emobox'", "expected a fold file")
        if not isinstance(data, dict):
            raise DataError(f"dataset 'emobox': '{path}' must map each key to its record, got {type(data).__name__}")
        records = [{"key": key, **value} if isinstance(value, dict) else value for key, value in data.items()]
    for n, r in enumerate(records, 1):
        if not isinstance(r, dict) or not {"key", "wav", "emo"} <= set(r):
            raise DataError(f"dataset 'emobox': record {n} of '{path}' is {str(r)[:120]}; EmoBox records hold key, "
                            "wav, emo (and length, channel, ...)")
    return records


def fold_records(folder: Path) -> tuple[str, dict[int, dict[str, list[dict[str, Any]]]]]:
    """The corpus name and fold → split → records; a ``.jsonl`` file is read where both forms exist."""
    files: dict[tuple[int, str], Path] = {}
    names = set()
    for path in sorted(folder.glob("fold_*/*.json*")):
        m = FOLD_FILE.match(path.name)
        if m is None or path.parent.name != f"fold_{m['k']}":
            continue
        names.add(m["corpus"])
        key = (int(m["k"]), m["split"])
        if key not in files or path.suffix == ".jsonl":
            files[key] = path
    if len(names) != 1:
        raise DataError(f"dataset 'emobox': '{folder}' has fold files of {sorted(names) or 'no'} corpus; expected "
                        "fold_<k>/<corpus>_{train,valid,test}_fold_<k>.jsonl or .json of one corpus")
    folds: dict[int, dict[str, list[dict[str, Any]]]] = {}
    for (k, split), path in sorted(files.items()):
        folds.setdefault(k, {})[split] = _read_records(path)
    for k, parts in folds.items():
        missing = [s for s in ("train", "test") if s not in parts]
        if missing:
            raise DataError(f"dataset 'emobox': '{folder / f'fold_{k}'}' has no {missing} file; expected "
                            f"{names.pop()}_{{train,test}}_fold_{k}.jsonl (valid optional)")
    return names.pop(), folds


def _class_of(word: str, label_map: dict[str, str]) -> str | None:
    """EmoBox's class of an emotion word; the map's keys are matched case-insensitively when not exactly
    (EmoDB's map says "Neutral" where its records say "neutral")."""
    if word in label_map:
        return label_map[word]
    folded = {k.lower(): v for k, v in label_map.items()}
    return folded.get(word.lower())


def _audio(root: Path, corpus: str, wav: str) -> Path:
    """A record's audio under ``root``: ``root/wav``, or ``root`` as the corpus' own download folder."""
    direct = root / wav
    prefix = f"downloads/{corpus}/"
    return direct if direct.exists() or not wav.startswith(prefix) else root / wav[len(prefix):]


def make_emobox(root: str | None = None, corpus: str | None = None, audio_root: str | None = None,
                strict: bool = True) -> Corpus:
    """One EmoBox corpus with its folds (default protocol ``emobox``); ``audio_root``: where its audio is."""
    folder = _corpus_folder(resolve_root("emobox", root, ACCEPTED), corpus)
    problems = Problems("emobox", strict)
    label_map = read_label_map(folder / "label_map.json")
    labels = list(dict.fromkeys(label_map.values()))
    speakers = read_stm(folder / "data.seg.wrd.stm", problems)
    name, folds = fold_records(folder)
    audio_dir = Path(audio_root).expanduser() if audio_root else None
    if audio_dir is not None and not audio_dir.is_dir():
        raise DataError(f"dataset 'emobox': audio_root '{audio_dir}' is not a folder; give the folder holding "
                        f"downloads/ or the corpus' own download folder (downloads/{name})")
    samples: dict[str, Sample] = {}
    for k, parts in folds.items():
        for split in SPLITS:
            for r in parts.get(split, []):
                key, word = str(r["key"]), str(r["emo"])
                where = f"{folder / f'fold_{k}'}: {key}"
                known = samples.get(key)
                if known is not None:
                    if str(k) in known.meta["emobox_folds"]:
                        problems.add(f"{where} is listed twice in fold {k} "
                                     f"({known.meta['emobox_folds'][str(k)]} and {split})")
                    elif known.meta["emotion"] != word:
                        problems.add(f"{where} is '{word}' here but '{known.meta['emotion']}' in another fold")
                    else:
                        known.meta["emobox_folds"][str(k)] = split
                    continue
                cls = _class_of(word, label_map)
                if cls is None:
                    problems.add(f"{where} has emotion '{word}', which label_map.json does not map ({label_map})")
                    continue
                speaker, stm_word = speakers.get(key, ("", word))
                if speakers and key not in speakers:
                    problems.add(f"{where} is not in data.seg.wrd.stm (no speaker)")
                elif stm_word != word:
                    problems.add(f"{where} is '{word}' in the fold file but '{stm_word}' in data.seg.wrd.stm")
                mods: dict[str, Any] = {}
                if audio_dir is not None:
                    if "start_time" in r or "end_time" in r:
                        problems.add(f"{where} is a segment ({r.get('start_time')}-{r.get('end_time')} s) of "
                                     f"{r['wav']}; segments of long recordings are not read: no audio")
                    elif (wav := _audio(audio_dir, name, str(r["wav"]))).is_file():
                        mods["audio"] = str(wav)
                samples[key] = Sample(id=key, label=labels.index(cls), modalities=mods, dialogue_id=key, position=0,
                                      speaker=speaker, meta={"emobox_folds": {str(k): split}, "emotion": word,
                                                             "wav": r["wav"], "length": r.get("length")})
    if not samples:
        problems.finish()
        raise DataError(f"dataset 'emobox': no labelled utterances under '{folder}'; accepted: {ACCEPTED}")
    info = {} if audio_dir else {"note": f"labels only: no audio (EmoBox ships none); give --option audio_root=PATH "
                                         f"(the folder holding downloads/{name}/ or that folder itself) to read it"}
    if len(folds) == 1:  # one fold is a fixed split: the official protocol reads it too
        for s in samples.values():
            s.meta["split"] = next(iter(s.meta["emobox_folds"].values()))
    return Corpus(name=f"emobox-{name}", label_names=labels, samples=list(samples.values()), default_protocol="emobox",
                  source=str(folder), problems=problems.finish(), info=info)
