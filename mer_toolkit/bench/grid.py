"""A bench's grid: every (model, dataset, fold, seed) cell with its run settings and config hash, computed once
when the grid is planned, so that resuming, sharding, launching and recording all read the same values."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..config import ResolvedConfig, resolve_config
from ..config.overrides import apply_overrides
from ..data.corpus import Corpus, Fold
from ..data.cross_corpus import CrossCorpus, cross_fold, read_label_map, restrict, shared_labels
from ..data.dataset_choice import dataset_label, select_dataset, set_root
from ..errors import ConfigError, DataError
from ..run.experiment import CorpusCache, RunSettings, run_settings
from .search import as_overrides

__all__ = ["Cell", "parse_shard", "shard_cells", "plan_grid"]


@dataclass
class Cell:
    """One unit of the grid: a model config trained on one fold of one corpus with one seed."""

    model: str
    dataset: str
    fold: Fold
    settings: RunSettings
    corpus: Corpus
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def seed(self) -> int:
        return self.settings.seed

    @property
    def config_hash(self) -> str:
        return self.settings.config_hash

    @property
    def key(self) -> tuple[str, str, str, int, str]:
        """The identity a record of this cell carries (``results.records.record_key``)."""
        return (self.model, self.corpus.name, self.fold.name, self.seed, self.config_hash)

    @property
    def name(self) -> str:
        return f"{self.model} / {self.corpus.name} / {self.fold.name} / seed {self.seed}"

    def run_dir(self, out: Path) -> Path:
        return out / "cells" / Path(self.model).stem / self.corpus.name / self.fold.name / f"seed{self.seed}"


def parse_shard(text: str | None) -> tuple[int, int]:
    """``'2/4'`` → (2, 4); 1-based index."""
    if not text:
        return 1, 1
    try:
        i, n = (int(x) for x in text.split("/"))
    except ValueError:
        raise ConfigError(f"--shard '{text}': expected I/N with whole numbers, e.g. --shard 1/4") from None
    if not 1 <= i <= n:
        raise ConfigError(f"--shard '{text}': I must be between 1 and N")
    return i, n


def shard_cells(cells: list[Cell], shard: tuple[int, int]) -> list[Cell]:
    """The cells of shard ``(i, n)``: every n-th cell of the grid's deterministic order, starting at the i-th."""
    i, n = shard
    return [c for k, c in enumerate(cells) if k % n == i - 1]


def plan_grid(models: list[str], datasets: list[str], seeds: list[int], registry: Any, *,
              overrides: list[str] | None = None, epochs: int | None = None, device: str | None = None,
              amp: str | None = None, root: str | None = None, test_datasets: list[str] | None = None,
              test_root: str | None = None, label_map: str | None = None,
              tuned: dict[tuple[str, str], Any] | None = None, cache: CorpusCache | None = None) -> list[Cell]:
    """Every cell in a deterministic order (model, dataset, fold, seed); each corpus is loaded once.

    With ``test_datasets`` every cell is cross-corpus: trained and selected on a fold of the dataset, tested on
    the whole test dataset, both restricted to the emotions they share (see ``data.cross_corpus``).
    ``tuned`` maps (model, dataset) to a ``TuneResult`` whose best values those cells train with.
    """
    cache = cache or CorpusCache(registry)
    mapping = read_label_map(label_map)

    def settings_of(cfg: ResolvedConfig, seed: int) -> RunSettings:
        return run_settings(cfg, seed, epochs, device, amp)

    cells: list[Cell] = []
    for model in models:
        base = resolve_config(model, registry, overrides)
        for dataset in datasets:
            cfg = set_root(select_dataset(base, dataset, registry=registry), root)
            tuning = (tuned or {}).get((model, dataset))
            if tuning is not None:
                apply_overrides(cfg, as_overrides(tuning.best_params), origin=f"tuned ({tuning.study})")
            first = settings_of(cfg, seeds[0])
            corpus = cache.corpus(first)
            for target in test_datasets or [None]:
                run_corpus, label, extra = corpus, dataset_label(dataset, registry), {}
                if tuning is not None:
                    extra["tuning"] = tuning.to_record()
                test_part = None
                if target is not None:
                    test_cfg = set_root(select_dataset(base, target, "--test-dataset", registry=registry), test_root)
                    test_corpus = cache.corpus(settings_of(test_cfg, seeds[0]), "--test-dataset")
                    missing = sorted(set(corpus.modalities) - set(test_corpus.modalities))
                    if missing:
                        raise DataError(f"--test-dataset {target}: it has no {missing} (it has "
                                        f"{test_corpus.modalities}), which '{corpus.name}' trains on")
                    labels = shared_labels(corpus, test_corpus, mapping)
                    run_corpus = restrict(corpus, labels, {}, f"{corpus.name}->{test_corpus.name}")
                    test_part = restrict(test_corpus, labels, mapping, test_corpus.name)
                    label = f"{label}->{dataset_label(target, registry)}"
                    extra["cross_corpus"] = CrossCorpus(corpus.name, test_corpus.name, labels, mapping).to_record()
                for fold in cache.folds(first, run_corpus):
                    if test_part is not None:
                        fold = cross_fold(fold, test_part)
                    for seed in seeds:
                        cells.append(Cell(model, label, fold, settings_of(cfg, seed), run_corpus, extra=extra))
    return cells
