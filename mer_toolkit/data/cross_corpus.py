"""Cross-corpus evaluation: train and select on corpus A, test on every utterance of corpus B, over the emotions
both corpora share.

Label names are matched case-insensitively after an optional map of B's names to A's (a YAML or JSON mapping,
e.g. ``{angry: anger, happy: joy}``; ``null`` drops a label). Both corpora are restricted to the shared
emotions, in A's order, so the model is trained, selected and tested on one label set.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

import yaml

from ..errors import ConfigError, DataError
from .corpus import Corpus, Fold

__all__ = ["CrossCorpus", "read_label_map", "shared_labels", "restrict", "cross_fold"]


@dataclasses.dataclass
class CrossCorpus:
    """The test corpus of a cross-corpus cell and how its labels were matched to the training corpus."""

    train: str
    test: str
    labels: list[str]
    label_map: dict[str, str | None]

    def to_record(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


def read_label_map(path: str | None) -> dict[str, str | None]:
    """``{test label: training label or null}`` from a YAML/JSON file (empty without a file)."""
    if not path:
        return {}
    file = Path(path)
    try:
        data = yaml.safe_load(file.read_text(encoding="utf-8")) if file.suffix != ".json" else json.loads(
            file.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError, json.JSONDecodeError) as err:
        raise ConfigError(f"--label-map '{path}': cannot read it ({type(err).__name__}: {err}); expected a YAML or "
                          "JSON mapping of test-corpus labels to training-corpus labels, e.g. {angry: anger}") from None
    if not isinstance(data, dict) or not all(isinstance(k, str) and (v is None or isinstance(v, str))
                                             for k, v in data.items()):
        raise ConfigError(f"--label-map '{path}': expected a mapping of label names to label names (or null to drop "
                          f"a label), got {type(data).__name__}: {str(data)[:120]}")
    return {k.lower(): (v.lower() if v is not None else None) for k, v in data.items()}


def _mapped(name: str, label_map: dict[str, str | None]) -> str | None:
    key = name.lower()
    return label_map[key] if key in label_map else key


def shared_labels(train: Corpus, test: Corpus, label_map: dict[str, str | None]) -> list[str]:
    """Training-corpus label names that some test-corpus label maps to, in the training corpus's order."""
    unknown = sorted(k for k in label_map if k not in {n.lower() for n in test.label_names})
    if unknown:
        raise ConfigError(f"--label-map: {unknown} are not labels of '{test.name}' (its labels: {test.label_names})")
    targets = {_mapped(n, label_map) for n in test.label_names}
    shared = [n for n in train.label_names if n.lower() in targets]
    if len(shared) < 2:
        raise DataError(f"cross-corpus '{train.name}' -> '{test.name}': {len(shared)} shared emotion(s) "
                        f"({shared}); '{train.name}' has {train.label_names}, '{test.name}' has {test.label_names}. "
                        "Give --label-map FILE mapping the test corpus's labels to the training corpus's")
    return shared


def restrict(corpus: Corpus, labels: list[str], label_map: dict[str, str | None], name: str) -> Corpus:
    """``corpus`` with only the utterances whose (mapped) label is in ``labels``, re-indexed to that order."""
    index = {n.lower(): k for k, n in enumerate(labels)}
    new_label = {k: index.get(_mapped(n, label_map) or "", -1) for k, n in enumerate(corpus.label_names)}
    kept = [dataclasses.replace(s, label=new_label[s.label]) for s in corpus.samples
            if s.label >= 0 and new_label[s.label] >= 0]
    return dataclasses.replace(corpus, name=name, label_names=list(labels), samples=kept,
                               unrestricted=corpus.population)


def cross_fold(fold: Fold, test: Corpus) -> Fold:
    """``fold`` of the training corpus with every utterance of the test corpus as its test split."""
    return dataclasses.replace(fold, test=list(test.samples), protocol=f"{fold.protocol}->{test.name}",
                               test_corpus=test.name, test_population=test.population)
