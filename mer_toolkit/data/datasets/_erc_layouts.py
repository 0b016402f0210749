"""ERC pickles (DialogueRNN, DialogueGCN, MMGCN / MM-DFN, COSMIC) recognised by structure, not by length.

Each top-level item is classified by what it holds — per-dialogue utterance ids, speakers ('M'/'F' or
one-hot vectors), integer labels, feature vectors, sentences, or a list of dialogue ids (a split) —
and the sequence of kinds must be one of the published layouts below. Anything else is refused with
the file name and the kinds found, so a new layout is added here on purpose, never guessed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ...errors import DataError
from ..safe_pickle import load_pickle

__all__ = ["ErcFile", "LAYOUTS", "read_erc_file"]

I, S, L, F, T, P = "ids", "speakers", "labels", "features", "sentences", "split"
# kinds → (layout name, feature modality names, split names in file order)
LAYOUTS: dict[tuple[str, ...], tuple[str, tuple[str, ...], tuple[str, ...]]] = {
    (I, S, L, F, F, F, T, P, P): ("DialogueRNN/DialogueGCN/MMGCN features (videoIDs, videoSpeakers, videoLabels, "
                                  "videoText, videoAudio, videoVisual, videoSentence, trainVid, testVid)",
                                  ("text", "audio", "visual"), ("train", "test")),
    (I, S, L, F, F, F, T, P, P, P): ("DialogueRNN-format features with a validation list (… trainVid, testVid, "
                                     "valVid)", ("text", "audio", "visual"), ("train", "test", "val")),
    (I, S, L, F, F, T, P, P, L): ("DialogueRNN/DialogueGCN MELD features (videoIDs, videoSpeakers, videoLabels, "
                                  "videoText, videoAudio, videoSentence, trainVid, testVid, videoSentiment)",
                                  ("text", "audio"), ("train", "test")),
    (I, S, L, F, F, F, T, P, P, L): ("MMGCN/MM-DFN MELD_features_raw1 (videoIDs, videoSpeakers, videoLabels, "
                                     "videoText, videoAudio, videoVisual, videoSentence, trainVid, testVid, "
                                     "videoSentiment)", ("text", "audio", "visual"), ("train", "test")),
    (S, L, T, P, P, P): ("COSMIC labels (speakers, labels, sentences, trainIds, testIds, validIds)",
                         (), ("train", "test", "val")),
    (S, L, L, T, P, P, P): ("COSMIC MELD labels (speakers, emotion_labels, sentiment_labels, sentences, trainIds, "
                            "testIds, validIds)", (), ("train", "test", "val")),
    (S, L, F, F, F, F, T, P, P, P): ("COSMIC RoBERTa features (speakers, labels, roberta1-4, sentences, trainIds, "
                                     "testIds, validIds)", ("text",) * 4, ("train", "test", "val")),
    (S, L, L, F, F, F, F, T, P, P, P): ("COSMIC MELD RoBERTa features (speakers, emotion_labels, sentiment_labels, "
                                        "roberta1-4, sentences, trainIds, testIds, validIds)", ("text",) * 4,
                                        ("train", "test", "val")),
}
SPEAKER_LETTERS = {"M", "F", "A", "B"}


@dataclass
class ErcFile:
    """One ERC pickle by field: every per-dialogue mapping keyed by the file's own dialogue ids."""

    path: Path
    layout: str
    speakers: dict[Any, list[Any]]
    labels: dict[Any, list[int]]
    splits: dict[str, list[Any]]
    features: dict[str, dict[Any, list[Any]]] = field(default_factory=dict)
    sentences: dict[Any, list[str]] = field(default_factory=dict)
    ids: dict[Any, list[Any]] = field(default_factory=dict)
    sentiment: dict[Any, list[int]] = field(default_factory=dict)

    def dialogues(self) -> list[tuple[Any, str]]:
        """(dialogue id, split) for every dialogue listed in a split, in file order."""
        return [(d, split) for split, ds in self.splits.items() for d in ds]

    def feature(self, modality: str, dialogue: Any, k: int) -> np.ndarray:
        """Utterance ``k``'s feature vector of ``modality`` as float32."""
        return np.asarray(self.features[modality][dialogue][k], dtype=np.float32)


def _first_value(item: dict) -> Any:
    """The first non-empty per-dialogue value (a scalar when the dict is not per-dialogue lists)."""
    return next((v for v in item.values() if not hasattr(v, "__len__") or len(v)), None)


def _is_onehot(x: Any) -> bool:
    arr = np.asarray(x)
    return arr.ndim == 1 and 1 < arr.size <= 16 and bool(np.isin(arr, (0, 1)).all()) and int(arr.sum()) == 1


def _kind(item: Any) -> str:
    """The kind of one top-level item, or a short description when it is none of the known kinds."""
    if isinstance(item, (list, tuple, set, np.ndarray)) and not isinstance(item, dict):
        return P if all(isinstance(x, (str, int, np.integer)) for x in item) else f"list of {_name(item)}"
    if not isinstance(item, dict) or not item:
        return type(item).__name__ if not isinstance(item, dict) else "empty dict"
    value = _first_value(item)
    if value is None or isinstance(value, (str, bytes)) or not hasattr(value, "__len__"):
        return f"dict of {type(value).__name__}"
    first = value[0]
    if isinstance(first, str):
        return S if {x for v in item.values() for x in v} <= SPEAKER_LETTERS else T
    if isinstance(first, (int, np.integer)) and not isinstance(first, bool):
        return L
    if np.ndim(first) == 1 and _is_onehot(first):
        return S
    if np.ndim(first) == 1 and np.issubdtype(np.asarray(first).dtype, np.number):
        return F
    return f"dict of lists of {type(first).__name__}"


def _name(item: Any) -> str:
    return type(next(iter(item), None)).__name__


def read_erc_file(path: Path) -> ErcFile:
    """Parse an ERC pickle by structure; unknown layouts are refused naming the file and what it holds."""
    data = load_pickle(path)
    if not isinstance(data, (list, tuple)):
        raise DataError(f"pickle '{path}': expected a list of per-dialogue fields (an ERC feature or label file), "
                        f"got {type(data).__name__}")
    kinds = [_kind(x) for x in data]
    if len(kinds) > 1 and kinds[1] == S and kinds[0] in (L, T):  # videoIDs come first, before the speakers
        kinds[0] = I
    spec = LAYOUTS.get(tuple(kinds))
    if spec is None:
        known = "; ".join(name for name, _, _ in LAYOUTS.values())
        raise DataError(f"pickle '{path}': unknown layout of {len(kinds)} items ({'; '.join(kinds)}); "
                        f"expected one of: {known}")
    layout, modalities, split_names = spec
    fields: dict[str, list[Any]] = {}
    for kind, item in zip(kinds, data):
        fields.setdefault(kind, []).append(item)
    out = ErcFile(path=path, layout=layout, speakers=fields[S][0], labels=fields[L][0],
                  splits=dict(zip(split_names, [list(x) for x in fields[P]])),
                  sentences=fields.get(T, [{}])[0], ids=fields.get(I, [{}])[0],
                  sentiment=fields[L][1] if len(fields[L]) > 1 else {})
    feats = fields.get(F, [])
    if modalities.count("text") == 4:  # COSMIC: roberta1..4 of one utterance, averaged
        out.features = {"text": {d: [np.mean([f[d][k] for f in feats], axis=0) for k in range(len(feats[0][d]))]
                                 for d in feats[0]}}
    else:
        out.features = dict(zip(modalities, feats))
    _check_lengths(out)
    return out


def _check_lengths(erc: ErcFile) -> None:
    """Every per-dialogue field must list one entry per labelled utterance of each split dialogue."""
    for dia, _ in erc.dialogues():
        if dia not in erc.labels:
            raise DataError(f"pickle '{erc.path}' ({erc.layout}): dialogue {dia!r} is in a split list but has no labels")
        n = len(erc.labels[dia])
        named: dict[str, dict] = {"speakers": erc.speakers, "sentences": erc.sentences, "ids": erc.ids,
                                  **{f"{m} features": v for m, v in erc.features.items()}}
        for what, table in named.items():
            if table and len(table.get(dia, ())) != n:
                raise DataError(f"pickle '{erc.path}' ({erc.layout}): dialogue {dia!r} has {n} labels but "
                                f"{len(table.get(dia, ()))} {what}")

