"""Helpers shared by the corpus readers: default roots, collected problems, ERC feature pickles."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch

from ...errors import DataError
from ..sample import Sample
from ._erc_layouts import ErcFile
from .label_maps import translate

__all__ = ["resolve_root", "Problems", "erc_samples", "renumber", "detect_layout"]


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


def detect_layout(path: str, registry: Any = None) -> str | None:
    """The registered dataset whose declared release ``layout`` (a glob) matches the folder ``path``, if any."""
    folder = Path(path).expanduser()
    if not folder.is_dir():
        return None
    return next((e.name for e in dataset_layouts(registry) if any(folder.glob(e.extra["layout"]))), None)


def dataset_layouts(registry: Any = None) -> list[Any]:
    """Registry entries of the datasets that declare a release layout."""
    if registry is None:
        from ...plugins.host import get_registry

        registry = get_registry()
    return [e for e in registry.dataset.entries() if e.extra.get("layout")]
