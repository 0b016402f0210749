"""From a resolved config to trained folds: dataset, protocol, model, trainer, test once, record.

``mer train``, ``mer eval`` and ``mer bench`` all go through these functions, so every run writes
the same artefacts: ``config.yaml`` (resolved), ``best.pt``, ``last.pt``, ``log.jsonl``, ``record.json``.
"""

from __future__ import annotations

import copy
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from ..config.build import build_part, check_section
from ..config.loading import ResolvedConfig
from ..data.corpus import Corpus, Fold
from ..data.feature_norm import normalize_fold
from ..data.loader import input_dims, make_loader
from ..data.dataset_choice import dataset_audio, dataset_label, dataset_node, select_dataset
from .distributed import is_main
from ..errors import ConfigError, DataError
from ..components.model import ComposedModel, DataSpec
from ..results.ledger import log_test_access
from ..results.predictions import encode_predictions
from ..results.records import config_hash, environment
from ..config.sections import DataConfig, TrainConfig
from .tracking import open_trackers
from .trainer import Trainer, load_checkpoint, set_seed

__all__ = ["select_dataset", "build_corpus", "load_corpus", "CorpusCache", "make_folds", "data_spec", "run_settings",
           "RunSettings", "run_fold", "build_model", "dataset_label"]

UNHASHED = ("seed", "tensorboard", "mlflow")  # the seed is a record field; trackers do not change results
UNHASHED_DEFAULTS = {"feature_norm": "train"}  # data keys newer than many result folders: hashed only when set


def build_corpus(node: dict[str, Any], registry: Any, where: str = "data.dataset") -> Corpus:
    """Build a dataset part and give the corpus the audio modalities its registration declares."""
    corpus = build_part("dataset", node, registry, path=where)
    if not isinstance(corpus, Corpus):
        raise ConfigError(f"{where}: dataset '{node['type']}' returned {type(corpus).__name__}, not a Corpus")
    corpus.audio_modalities = dataset_audio(node["type"], registry)
    return corpus


def load_corpus(data_cfg: DataConfig, registry: Any, where: str = "data.dataset", device: str = "auto") -> Corpus:
    """Build the dataset named by ``data.dataset`` (a name, a manifest path or ``{type: ..., ...}``); features
    missing from the cache are extracted on ``device`` (the run's ``train.device``)."""
    node = dataset_node(data_cfg.dataset, registry)
    if not isinstance(node, dict) or "type" not in node:
        raise ConfigError(f"{where}: expected a dataset name, a manifest path or a mapping with 'type', got {node!r}")
    options = {**dict(data_cfg.dataset_options or {}), **{k: v for k, v in node.items() if k not in ("type", "name")}}
    if data_cfg.root is not None:
        options["root"] = data_cfg.root
    corpus = build_corpus({"type": node["type"], **options}, registry, where)
    if not corpus.samples:
        raise DataError(f"dataset '{corpus.name}' ({corpus.source}) has no utterances")
    if data_cfg.features:
        from ..data.feature_cache import apply_features

        corpus = apply_features(corpus, data_cfg.features, registry, device=device)
    corpus.check_features()
    return corpus


CORPUS_KEYS = ("dataset", "root", "dataset_options", "features")  # the data keys that decide the corpus


class CorpusCache:
    """Corpora and folds loaded once per distinct data settings: a grid or a study reads each corpus once."""

    def __init__(self, registry: Any) -> None:
        self.registry = registry
        self._corpora: dict[str, Corpus] = {}
        self._folds: dict[str, tuple[Corpus, list[Fold]]] = {}  # the corpus is kept so that its id stays its own

    def corpus(self, settings: RunSettings, where: str = "data.dataset") -> Corpus:
        key = _key(settings.data, CORPUS_KEYS)
        if key not in self._corpora:
            self._corpora[key] = load_corpus(settings.data, self.registry, where, device=settings.train.device)
        return self._corpora[key]

    def folds(self, settings: RunSettings, corpus: Corpus | None = None) -> list[Fold]:
        """The protocol's folds of the settings' corpus (or of ``corpus``, e.g. a cross-corpus restriction)."""
        corpus = corpus if corpus is not None else self.corpus(settings)
        key = json.dumps([id(corpus), _key(settings.data, ("protocol", "protocol_options", "folds"))])
        if key not in self._folds:
            self._folds[key] = (corpus, make_folds(corpus, settings.data, self.registry))
        return self._folds[key][1]


def _key(data_cfg: DataConfig, keys: tuple[str, ...]) -> str:
    values = data_cfg.to_dict()
    return json.dumps({k: values[k] for k in keys}, sort_keys=True, default=str)


def make_folds(corpus: Corpus, data_cfg: DataConfig, registry: Any) -> list[Fold]:
    """The folds of the configured protocol (or the dataset's default), optionally filtered by name."""
    name = data_cfg.protocol or corpus.default_protocol
    options = dict(data_cfg.protocol_options or {})
    if "type" in options:
        raise ConfigError("data.protocol_options.type: the protocol is chosen by data.protocol, not by its options")
    registry.protocol.get(name, where="data.protocol")  # an unknown name is reported against data.protocol
    protocol = build_part("protocol", {"type": name, **options}, registry, path="data.protocol_options")
    folds = protocol.folds(corpus)
    for f in folds:
        f.protocol = f.protocol or name
    if data_cfg.folds:
        wanted = [str(x) for x in data_cfg.folds]
        names = [f.name for f in folds]
        missing = [w for w in wanted if w not in names]
        if missing:
            raise ConfigError(f"data.folds: {missing} are not folds of protocol '{name}' (folds: {names})")
        folds = [f for f in folds if f.name in wanted]
    return folds


def fold_guardrails(fold: Fold, registry: Any) -> dict[str, Any]:
    """The fold's guardrail checks against its protocol's claims (an unregistered protocol claims nothing)."""
    from ..data.guardrails import check_fold

    claims = fold.protocol in registry.protocol.names() and registry.protocol.get(fold.protocol).speaker_independent
    return check_fold(fold, bool(claims))


def data_spec(corpus: Corpus, fold: Fold) -> DataSpec:
    counts = [0] * corpus.num_classes
    for s in fold.train:
        if s.label >= 0:
            counts[s.label] += 1
    return DataSpec(input_dims(fold.train), corpus.num_classes, list(corpus.label_names), counts)


def build_model(cfg: ResolvedConfig, spec: DataSpec, registry: Any) -> ComposedModel:
    model_node = cfg.data.get("model")
    if not model_node:
        raise ConfigError(f"{cfg.name}: the config has no 'model' section")
    return ComposedModel.from_spec(model_node, spec, registry, cfg)


@dataclass
class RunSettings:
    """One run's resolved config (CLI overrides and seed applied), its checked sections and its hash, computed once."""

    cfg: ResolvedConfig
    data: DataConfig
    train: TrainConfig
    resolved: dict[str, Any]
    config_hash: str

    @property
    def seed(self) -> int:
        return self.train.seed


def run_settings(cfg: ResolvedConfig, seed: int, epochs: int | None = None, device: str | None = None,
                 amp: str | None = None) -> RunSettings:
    """Validate ``data``/``train``, apply the CLI overrides and hash everything but the seed."""
    data_cfg: DataConfig = check_section("data", cfg.data.get("data"), cfg)
    train_cfg: TrainConfig = check_section("train", cfg.data.get("train"), cfg)
    train_cfg.seed = seed
    for key, value in (("epochs", epochs), ("device", device), ("amp", amp)):
        if value is not None:
            setattr(train_cfg, key, value)
    train_cfg.__post_init__()  # a CLI value (--amp) is held to the same choices as the config's
    resolved = {k: copy.deepcopy(v) for k, v in cfg.data.items() if k not in ("per_dataset", "description")}
    resolved["data"] = data_cfg.to_dict()
    resolved["train"] = train_cfg.to_dict()
    hashed_data = {k: v for k, v in resolved["data"].items() if UNHASHED_DEFAULTS.get(k, object()) != v}
    chash = config_hash({**resolved, "data": hashed_data,
                         "train": {k: v for k, v in resolved["train"].items() if k not in UNHASHED}})
    return RunSettings(cfg, data_cfg, train_cfg, resolved, chash)


def run_fold(settings: RunSettings, corpus: Corpus, fold: Fold, registry: Any, *, run_dir: Path, model_name: str,
             resume: bool = False, on_epoch: Callable[[dict[str, Any]], None] | None = None,
             evaluate_test: bool = True, source: str = "train") -> dict[str, Any]:
    """Train on ``fold.train``, select on ``fold.val``, evaluate the selected model once on ``fold.test``.

    The test evaluation keeps its per-utterance predictions in the record and is logged in the test-access
    ledger under ``source`` (``train``, ``bench``). ``evaluate_test=False`` (hyper-parameter tuning) never
    touches the test split: the record holds ``val`` only, and nothing is logged.
    """
    cfg, seed = settings.cfg, settings.seed
    data_cfg, train_cfg, resolved, chash = settings.data, settings.train, settings.resolved, settings.config_hash
    fold, feature_norm = normalize_fold(fold, data_cfg.feature_norm, corpus)
    set_seed(seed, train_cfg.deterministic)
    spec = data_spec(corpus, fold)
    model = build_model(cfg, spec, registry)
    n_params = sum(p.numel() for p in model.parameters())
    run_dir.mkdir(parents=True, exist_ok=True)
    last = run_dir / "last.pt"
    if resume and is_main() and last.is_file() and load_checkpoint(last).get("config_hash") != chash:
        last.unlink()  # the config changed since that checkpoint: start this cell afresh
    if is_main():
        (run_dir / "config.yaml").write_text(yaml.safe_dump(resolved, sort_keys=False))
    meta = {"config": resolved, "data_spec": spec.to_dict(), "model_name": model_name, "seed": seed,
            "fold": fold.name, "protocol": fold.protocol, "dataset": corpus.name, "config_hash": chash}
    log_path = run_dir / "log.jsonl"
    if not resume and is_main() and log_path.exists():
        log_path.unlink()

    trackers = open_trackers(train_cfg, run_dir, meta) if is_main() else []

    def log_epoch(row: dict[str, Any]) -> None:
        with open(log_path, "a", encoding="utf-8") as f:
            f.write(json.dumps(row, default=float) + "\n")
        for tracker in trackers:
            tracker.log_epoch(row)
        if on_epoch is not None:
            on_epoch(row)

    trainer = Trainer(model, train_cfg, run_dir=run_dir, label_names=list(corpus.label_names), meta=meta,
                      on_epoch=log_epoch)
    bs_eval = data_cfg.eval_batch_size or data_cfg.batch_size
    pin = trainer.device.type == "cuda"
    loading = {"batch_by": data_cfg.batch_by, "num_workers": data_cfg.num_workers, "pin_memory": pin,
               "audio": corpus.audio_modalities}
    train_loader = make_loader(fold.train, data_cfg.batch_size, shuffle=True, seed=seed, rank=trainer.dist.rank,
                               world=trainer.dist.world, **loading)
    val_loader = make_loader(fold.val, bs_eval, shuffle=False, **loading)
    t0 = time.perf_counter()
    try:
        fit = trainer.fit(train_loader, val_loader, resume=resume)
    finally:
        for tracker in trackers:
            tracker.close()
    metrics = {"val": fit.best_val}
    predictions = None
    if evaluate_test:
        logits, labels, ids = trainer.predict(make_loader(fold.test, bs_eval, shuffle=False, **loading))
        metrics["test"] = trainer.score(logits, labels)
        predictions = encode_predictions(ids, labels, logits)
    record = {
        "model": model_name, "dataset": corpus.name, "protocol": fold.protocol, "fold": fold.name, "seed": seed,
        "config_hash": chash, "selection": f"val.{train_cfg.monitor}", "feature_norm": feature_norm,
        "metrics": metrics,
        "best_epoch": fit.best_epoch, "epochs_run": fit.epochs_run, "stopped_early": fit.stopped_early,
        "resumed_from_epoch": fit.resumed_from,
        "train_seconds": round(fit.train_seconds, 3), "wall_seconds": round(time.perf_counter() - t0, 3),
        "params": n_params, "sizes": fold.sizes(), "label_names": list(corpus.label_names),
        "guardrails": fold_guardrails(fold, registry),
        "run_dir": str(run_dir), "world_size": trainer.dist.world, **environment(str(trainer.device)),
        "loader_wait_fraction": round(sum(h["train"]["loader_wait_fraction"] for h in fit.history)
                                      / max(1, len(fit.history)), 4),
    }
    if predictions is not None:
        record["predictions"] = predictions
        if is_main():
            log_test_access(record, source)
    if trainer.dist.rank == 0:
        (run_dir / "record.json").write_text(json.dumps(record, indent=1, sort_keys=True))
    return record
