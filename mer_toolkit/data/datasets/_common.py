"""Helpers shared by the corpus readers: default roots, collected problems, ERC feature pickles."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch

from ...errors import DataError
from ..safe_pickle import load_pickle
from ..sample import Sample

__all__ = ["resolve_root", "Problems", "read_erc_pickle", "MODALITY_FIELDS", "detect_layout", "uniform_audio"]


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


MODALITY_FIELDS = {"text": 3, "audio": 4, "visual": 5}


def read_erc_pickle(path: Path, dataset: str, label_names: Sequence[str], fields: int,
                    label_map: dict[int, int] | None = None, val_ids: Sequence[str] = ()) -> list[Sample]:
    """Samples of a DialogueRNN-style feature pickle (videoIDs, speakers, labels, text, audio, visual,
    sentences, trainVid, testVid[, ...]); ``label_map`` re-indexes labels, others become -1."""
    data = load_pickle(path)
    if not isinstance(data, (list, tuple)) or len(data) != fields:
        got = f"a {type(data).__name__} of {len(data)} items" if isinstance(data, (list, tuple)) else type(data).__name__
        raise DataError(f"pickle '{path}': expected the {fields}-item {dataset} feature layout (videoIDs, "
                        f"videoSpeakers, videoLabels, videoText, videoAudio, videoVisual, videoSentence, trainVid, "
                        f"testVid{', ...' if fields > 9 else ''}), got {got}")
    ids, speakers, labels, sentences = data[0], data[1], data[2], data[6]
    train, test = set(data[7]), set(data[8])
    val = set(val_ids)
    samples: list[Sample] = []
    for dia in sorted(train | test | val):
        for k, lab in enumerate(labels[dia]):
            lab = int(lab)
            if label_map is not None:
                lab = label_map.get(lab, -1)
            if not -1 <= lab < len(label_names):
                raise DataError(f"pickle '{path}': dialogue {dia} utterance {k} has label {lab}, outside "
                                f"0..{len(label_names) - 1}")
            spk = speakers[dia][k]
            if isinstance(spk, (list, tuple, np.ndarray)):
                spk = f"S{int(np.argmax(spk))}"
            mods: dict[str, Any] = {m: torch.as_tensor(np.asarray(data[i][dia][k], dtype=np.float32))
                                    for m, i in MODALITY_FIELDS.items()}
            utt_ids = ids.get(dia) if isinstance(ids, dict) else None
            uid = str(utt_ids[k]) if utt_ids is not None and len(utt_ids) > k else f"{dia}_{k:03d}"
            split = "test" if dia in test else ("val" if dia in val else "train")
            samples.append(Sample(id=uid, label=lab, modalities=mods, dialogue_id=str(dia), position=k,
                                  speaker=str(spk), meta={"split": split, "transcript": str(sentences[dia][k])}))
    return samples


LAYOUTS = (("ravdess", "Actor_*"), ("iemocap", "Session[1-5]"), ("meld", "*_sent_emo.csv"), ("m3ed", "annotation.json"))


def detect_layout(path: str) -> str | None:
    """The dataset whose release layout the folder ``path`` has (RAVDESS, IEMOCAP, MELD, M3ED), if any."""
    folder = Path(path).expanduser()
    if not folder.is_dir():
        return None
    return next((name for name, pattern in LAYOUTS if any(folder.glob(pattern))), None)


def uniform_audio(samples: list[Sample]) -> list[Sample]:
    """Keep modalities uniform across a corpus: drop ``audio`` everywhere when some utterances lack it
    (each missing file is already reported as a problem)."""
    if any("audio" not in s.modalities for s in samples):
        for s in samples:
            s.modalities.pop("audio", None)
    return samples
