"""Shared helpers of the benchmark scripts: synthetic corpora, model building, timing, machine info."""

from __future__ import annotations

import os
import pickle
import platform
import sys
import time
from collections.abc import Callable
from pathlib import Path

import torch

from mer_toolkit.data.sample import Sample
from mer_toolkit.components.model import ComposedModel, DataSpec
from mer_toolkit.testing import fresh_registry

REGISTRY = None
DATA = Path(__file__).resolve().parents[2] / "shared" / "data"


def iemocap_transcripts(n: int) -> list[str]:
    """The first ``n`` IEMOCAP transcripts of the COSMIC file in ../shared/data, dialogues in sorted order."""
    path = DATA / "iemocap" / "iemocap_cosmic.pkl"
    if not path.is_file():
        sys.exit(f"this benchmark reads IEMOCAP transcripts from {path}, which is absent")
    with open(path, "rb") as f:
        sentences = pickle.load(f, encoding="latin1")[2]
    return [t for d in sorted(sentences) for t in sentences[d]][:n]


def registry():  # noqa: ANN201
    """Builtins plus installed plugins (DRKF, baselines), loaded once."""
    global REGISTRY
    if REGISTRY is None:
        REGISTRY = fresh_registry(entry_points=True)
    return REGISTRY


def synthetic_samples(n: int, dims: dict[str, int], classes: int = 6, seq: int = 1, seed: int = 0) -> list[Sample]:
    """``n`` utterances with learnable class cues; ``seq`` > 1 gives sequences of up to that many steps."""
    g = torch.Generator().manual_seed(seed)
    protos = {m: torch.randn(classes, d, generator=g) for m, d in dims.items()}
    out = []
    for i in range(n):
        label = i % classes
        mods = {}
        for m, d in dims.items():
            t = 1 if seq == 1 else int(torch.randint(max(1, seq // 2), seq + 1, (1,), generator=g))
            x = torch.randn(t, d, generator=g) + protos[m][label]
            mods[m] = x[0] if seq == 1 else x
        out.append(Sample(id=f"u{i}", label=label, modalities=mods, dialogue_id=f"d{i // 10}", position=i % 10,
                          speaker="AB"[i % 2]))
    return out


def build(model: str, dims: dict[str, int], classes: int = 6, overrides: list[str] | None = None) -> ComposedModel:
    """The ``ComposedModel`` of a registered config for features of ``dims``."""
    from mer_toolkit.config import resolve_config

    cfg = resolve_config(model, registry(), overrides)
    return ComposedModel.from_spec(cfg.data["model"], DataSpec(dict(dims), classes, [str(i) for i in range(classes)],
                                                               [1] * classes), registry(), cfg)


def timed(fn: Callable[[], object], repeats: int = 3) -> float:
    """Best wall time of ``repeats`` calls (the least disturbed by other load)."""
    best = float("inf")
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next(line.split(":", 1)[1].strip() for line in f if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    gpu = torch.cuda.get_device_name() if torch.cuda.is_available() else "no GPU"
    return f"{cpu}, {os.cpu_count()} cores, torch {torch.__version__}, {gpu}"


def demo_cell(model: str, seed: int = 1, threads: int = 1, overrides: list[str] | None = None):  # noqa: ANN201
    """Model, trainer and train/val loaders of a ``mer bench --dataset demo`` cell, built as the bench builds them."""
    from mer_toolkit.config import resolve_config
    from mer_toolkit.data.dataset_choice import select_dataset
    from mer_toolkit.data.loader import make_loader
    from mer_toolkit.run.experiment import build_model, data_spec, load_corpus, make_folds, run_settings
    from mer_toolkit.run.trainer import Trainer, set_seed

    cfg = resolve_config(model, registry(), [f"train.threads={threads}", "train.device=cpu", *(overrides or [])])
    cfg = select_dataset(cfg, "demo", registry=registry())
    settings = run_settings(cfg, seed)
    corpus = load_corpus(settings.data, registry())
    fold = make_folds(corpus, settings.data, registry())[0]
    set_seed(seed, settings.train.deterministic)
    net = build_model(cfg, data_spec(corpus, fold), registry())
    trainer = Trainer(net, settings.train, label_names=list(corpus.label_names))
    size = settings.data.batch_size
    return (net, trainer, make_loader(fold.train, size, shuffle=True, seed=seed),
            make_loader(fold.val, size, shuffle=False))
