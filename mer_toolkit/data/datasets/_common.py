"""Helpers shared by the corpus readers: default roots, collected problems, ERC feature pickles, MERBench's
label files and transcripts."""

from __future__ import annotations

import csv
import io
import json
import os
import pickle
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import torch

from ...errors import DataError
from ..safe_pickle import _Restricted
from ..sample import Sample
from ._erc_layouts import ErcFile
from .label_maps import translate

__all__ = ["resolve_root", "read_json", "Problems", "erc_samples", "renumber", "npz_table", "merbench_splits",
           "transcription_csv", "merbench_transcripts", "MERBENCH_SPLITS", "MERBENCH_TRANSCRIPTS"]

#: MERBench's split arrays (``np.savez_compressed(train_corpus=..., val_corpus=..., test_corpus=...)`` in each
#: ``MERBench/toolkit/preprocess/<corpus>.py`` of zeroQiaoba/MERTools) → our split names.
MERBENCH_SPLITS = {"train_corpus": "train", "val_corpus": "val", "test_corpus": "test"}
#: The transcript file the preprocessing writes, then the name MERTools ships its files under.
MERBENCH_TRANSCRIPTS = ("transcription.csv", "transcription-engchi-polish.csv")


def resolve_root(name: str, root: str | None, accepted: str) -> Path:
    """``root`` or ``$MER_DATA_ROOT/<name>``; a missing path is an error listing the accepted layouts."""
    if root is None:
        base = os.environ.get("MER_DATA_ROOT")
        if not base:
            raise DataError(f"dataset '{name}' needs --root PATH (or MER_DATA_ROOT set, with the data in "
                            f"$MER_DATA_ROOT/{name}); accepted: {accepted}")
        root = str(Path(base) / name)
    path = Path(root).expanduser()
    if not path.exists():
        raise DataError(f"dataset '{name}': root '{path}' does not exist; accepted: {accepted}")
    return path


def read_json(path: Path, owner: str, missing: str) -> Any:
    """The JSON value of ``path``; a missing file is an error saying ``missing``, invalid JSON names the line."""
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise DataError(f"{owner}: '{path}' is missing; {missing}") from None
    except json.JSONDecodeError as err:
        raise DataError(f"{owner}: '{path}' is not valid JSON (line {err.lineno}: {err.msg})") from None


class Problems:
    """Collects every problem found while reading; ``finish`` raises them all at once when strict."""

    def __init__(self, name: str, strict: bool) -> None:
        self.name = name
        self.strict = strict
        self.items: list[str] = []

    def add(self, text: str) -> None:
        self.items.append(text)

    def finish(self) -> list[str]:
        if self.strict and self.items:
            shown = "; ".join(self.items[:20])
            more = f" (and {len(self.items) - 20} more)" if len(self.items) > 20 else ""
            raise DataError(f"dataset '{self.name}': {len(self.items)} problem(s): {shown}{more}. "
                            "Run `mer data stats` to list them all.")
        return list(self.items)


DialogueFn = Callable[[Any, str], tuple[str, str]]
SpeakerFn = Callable[[str, Any], str]
UtteranceFn = Callable[[str, int, Any], str]


def erc_samples(erc: ErcFile, source: dict[int, str], target: list[str], *, dialogue: DialogueFn,
                speaker: SpeakerFn, utterance: UtteranceFn, keep: dict[str, str] | None = None,
                text: Callable[[str], str] = str.strip) -> list[Sample]:
    """Samples of a parsed ERC pickle whose labels follow ``source`` (index → name), relabelled by name into
    ``target`` (after the renames in ``keep``); classes absent from ``target`` are dropped.

    ``dialogue(raw_id, file_split)`` names a dialogue and its split, ``speaker(dialogue, raw)`` gives the
    speaker identity, ``utterance(dialogue, k, file_id)`` the utterance id (``file_id`` is None when the
    file lists no ids). A label index the source does not define is an error naming the dialogue.
    """
    label_map = translate(source, target, keep)
    samples: list[Sample] = []
    for raw, file_split in erc.dialogues():
        dia, split = dialogue(raw, file_split)
        for k, lab in enumerate(erc.labels[raw]):
            lab = int(lab)
            if lab not in source:
                raise DataError(f"pickle '{erc.path}' ({erc.layout}): dialogue {raw!r} utterance {k} has label {lab}; "
                                f"this source defines {source}")
            if lab not in label_map:
                continue
            mods: dict[str, Any] = {m: torch.as_tensor(erc.feature(m, raw, k)) for m in erc.features}
            meta: dict[str, Any] = {"split": split}
            if erc.sentences:
                meta["transcript"] = text(str(erc.sentences[raw][k]))
                if not mods:
                    mods["text"] = meta["transcript"]
            if erc.sentiment:
                meta["sentiment"] = int(erc.sentiment[raw][k])
            file_id = erc.ids[raw][k] if erc.ids else None
            samples.append(Sample(id=utterance(dia, k, file_id), label=label_map[lab], modalities=mods,
                                  dialogue_id=dia, position=k, speaker=speaker(dia, erc.speakers[raw][k]), meta=meta))
    return renumber(samples)


def renumber(samples: list[Sample]) -> list[Sample]:
    """Consecutive positions 0..n-1 per dialogue, keeping the order, after utterances were dropped."""
    seen: dict[str, int] = {}
    for s in sorted(samples, key=lambda s: (s.dialogue_id, s.position)):
        s.position = seen.get(s.dialogue_id, 0)
        seen[s.dialogue_id] = s.position + 1
    return samples


def _open_npz(npz: Path) -> Any:
    """The archive of a ``.npz`` file; a missing file or any other file is an error naming it."""
    try:
        archive = np.load(npz, allow_pickle=False)
    except (OSError, ValueError) as err:
        raise DataError(f"'{npz}' is not a MERBench label file (a .npz archive) ({err})") from None
    if not isinstance(archive, np.lib.npyio.NpzFile):
        raise DataError(f"'{npz}' holds a single array, not a MERBench label archive (.npz with named arrays)")
    return archive


def npz_table(npz: Path, key: str) -> Any:
    """The object stored as array ``key`` of a MERBench ``.npz`` (a dict of utterance id → ``{emo, val}``).

    Object arrays are read through the restricted unpickler; a file without ``key`` is an error naming the
    file and the arrays it holds.
    """
    with _open_npz(npz) as archive:
        if key not in archive.files:
            raise DataError(f"'{npz}' has no '{key}' array (it holds {archive.files}); expected a MERBench label file")
        try:
            table = archive[key]
        except ValueError:  # object arrays need pickle: route them through the restricted unpickler
            table = _npz_object(npz, key)
    return table.item() if isinstance(table, np.ndarray) and table.dtype == object and table.ndim == 0 else table


def _npz_object(npz: Path, key: str) -> Any:
    """Read the pickled object array ``key`` inside an .npz with the restricted unpickler."""
    with zipfile.ZipFile(npz) as z:
        raw = z.read(f"{key}.npy")
    buf = io.BytesIO(raw)
    version = np.lib.format.read_magic(buf)
    read_header = np.lib.format.read_array_header_1_0 if version == (1, 0) else np.lib.format.read_array_header_2_0
    read_header(buf)
    try:
        return _Restricted(buf, encoding="latin1").load()
    except pickle.UnpicklingError as err:
        raise DataError(f"'{npz}' was refused: {err}") from None


def merbench_splits(npz: Path) -> dict[str, dict[str, dict]]:
    """Split name → {utterance id: {"emo": class index, "val": regression value}} of a MERBench ``label.npz``.

    The file must hold ``train_corpus``, ``val_corpus`` and ``test_corpus`` (IEMOCAP's single ``whole_corpus``
    is read by the ``iemocap`` datasets); each entry must carry ``emo`` and ``val``.
    """
    with _open_npz(npz) as archive:
        found = list(archive.files)
    if sorted(found) != sorted(MERBENCH_SPLITS):
        raise DataError(f"'{npz}' holds the arrays {found}; a MERBench label.npz holds exactly "
                        f"{list(MERBENCH_SPLITS)} (IEMOCAP's whole_corpus files are read by the iemocap datasets)")
    out: dict[str, dict[str, dict]] = {}
    for key, split in MERBENCH_SPLITS.items():
        table = npz_table(npz, key)
        if not isinstance(table, dict):
            raise DataError(f"'{npz}': '{key}' holds a {type(table).__name__}; expected a dict of utterance id → "
                            "{'emo': int, 'val': float}")
        for uid, entry in table.items():
            if not isinstance(entry, dict) or not {"emo", "val"} <= set(entry):
                raise DataError(f"'{npz}': '{key}' entry {uid!r} is {entry!r}; expected {{'emo': int, 'val': float}}")
        out[split] = table
    return out


def transcription_csv(path: Path, problems: Problems) -> dict[str, str]:
    """Utterance id → English transcript of a MERBench transcript file (columns ``name``, ``english``)."""
    if not path.is_file():
        problems.add(f"{path}: missing (utterances get empty transcripts)")
        return {}
    with open(path, encoding="utf-8", newline="") as f:
        reader = csv.DictReader(f)
        missing = {"name", "english"} - set(reader.fieldnames or [])
        if missing:
            raise DataError(f"'{path}': missing column(s) {sorted(missing)}; found {reader.fieldnames}")
        return {row["name"]: (row["english"] or "").strip() for row in reader}


def merbench_transcripts(folder: Path, problems: Problems) -> dict[str, str]:
    """The transcripts of a MERBench corpus folder, from the first of ``MERBENCH_TRANSCRIPTS`` that exists."""
    path = next((folder / n for n in MERBENCH_TRANSCRIPTS if (folder / n).is_file()), folder / MERBENCH_TRANSCRIPTS[0])
    return transcription_csv(path, problems)
