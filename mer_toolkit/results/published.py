"""Figures published elsewhere, provided by plugins as package data and shown beside our results.

A plugin's ``mer_published_figures`` hook returns the path of a YAML list; each item names its
``source`` (a citation), the ``models`` whose settings it reports, and per dataset of ours the
source's own ``label`` of that dataset and its ``figures`` under the source's own metric labels.
They are never converted to our metric names or mixed into our rows: a report shows them apart.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import ConfigError

__all__ = ["PublishedFigures", "read_published", "find_published"]


@dataclass(frozen=True)
class PublishedFigures:
    """One source's figures for one of our datasets, with the labels the source itself uses."""

    source: str
    plugin: str
    models: tuple[str, ...]
    dataset: str
    label: str
    figures: dict[str, float | int]

    def text(self) -> str:
        """``MSED ACC 50.6, WF1 52.0``: the source's dataset and metric labels with its values."""
        return f"{self.label} " + ", ".join(f"{k} {v}" for k, v in self.figures.items())


def _fail(path: Path, key: str, expected: str, got: Any) -> ConfigError:
    return ConfigError(f"{path}: published figures at '{key}': expected {expected}, got {got!r}")


def read_published(path: str | Path, plugin: str) -> list[PublishedFigures]:
    """Parse and check one plugin's published-figures file; errors name the file and the key."""
    import yaml

    path = Path(path)
    items = yaml.safe_load(path.read_text(encoding="utf-8"))
    if not isinstance(items, list):
        raise _fail(path, "<top>", "a list of sources", items)
    out = []
    for i, item in enumerate(items):
        where = f"[{i}]"
        if not isinstance(item, dict) or not isinstance(item.get("source"), str):
            raise _fail(path, f"{where}.source", "a citation string", (item or {}).get("source")
                        if isinstance(item, dict) else item)
        models = item.get("models")
        if not isinstance(models, list) or not models or not all(isinstance(m, str) for m in models):
            raise _fail(path, f"{where}.models", "a non-empty list of model names", models)
        results = item.get("results")
        if not isinstance(results, dict) or not results:
            raise _fail(path, f"{where}.results", "a mapping dataset → {label, figures}", results)
        for dataset, entry in results.items():
            key = f"{where}.results.{dataset}"
            if not isinstance(entry, dict) or not isinstance(entry.get("label"), str):
                raise _fail(path, f"{key}.label", "the source's name of the dataset", entry)
            figures = entry.get("figures")
            if not isinstance(figures, dict) or not figures or not all(
                    isinstance(v, (int, float)) and not isinstance(v, bool) for v in figures.values()):
                raise _fail(path, f"{key}.figures", "a mapping of the source's metric labels to numbers", figures)
            out.append(PublishedFigures(item["source"].strip(), plugin, tuple(models), str(dataset),
                                        entry["label"], {str(k): v for k, v in figures.items()}))
    return out


def find_published(figures: list[PublishedFigures], model: str, dataset: str) -> PublishedFigures | None:
    """The figures published for ``model`` (a name or a YAML path named after it) on ``dataset``, if any."""
    stem = Path(model).stem
    return next((f for f in figures if f.dataset == dataset and stem in f.models), None)
