"""Which dataset a run uses: ``data.dataset`` values (name, manifest file, corpus folder, part node) and the
config's ``per_dataset`` overrides. Kept free of torch so ``mer config show --dataset`` answers at once."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..config.loading import ResolvedConfig
from ..config.tree import leaf_paths, merge
from ..errors import DataError
from ..config.sections import DataConfig

__all__ = ["MANIFEST_SUFFIXES", "dataset_audio", "dataset_label", "dataset_metric", "dataset_node", "select_dataset",
           "set_root"]

MANIFEST_SUFFIXES = (".csv", ".tsv", ".jsonl")
DEFAULT_METRIC = "wf1"
DEFAULT_AUDIO = ("audio",)


def dataset_label(node: Any) -> str:
    """A short name for a ``data.dataset`` value (a name, a path or a part node)."""
    node = dataset_node(node) if isinstance(node, str) and ("/" in node or node.endswith(MANIFEST_SUFFIXES)) else node
    if isinstance(node, dict):
        if node.get("type") == "manifest":
            return Path(str(node.get("path"))).stem
        return str(node.get("name") or node.get("type") or "?")
    return str(node)


def dataset_node(value: Any) -> Any:
    """``data.dataset`` as a part node: a manifest file or a corpus folder given as a path works too."""
    if isinstance(value, str) and value.endswith(MANIFEST_SUFFIXES):
        return {"type": "manifest", "path": value}
    if isinstance(value, str) and ("/" in value or value.startswith(".")):
        from .datasets._common import dataset_layouts, detect_layout

        layout = detect_layout(value)
        if layout is None:
            known = ", ".join(f"{e.name} {e.extra['layout']}" for e in dataset_layouts())
            raise DataError(f"data.dataset '{value}': the folder is not in a known release layout ({known}); use a "
                            "dataset name with --root, or a manifest file")
        return {"type": layout, "root": value}
    return {"type": value} if isinstance(value, str) else value


def dataset_metric(node: Any, registry: Any = None) -> str:
    """The validation metric a dataset declares when it registers (``metric=``); ``wf1`` when it declares none."""
    if registry is None:
        from ..plugins.host import get_registry

        registry = get_registry()
    node = dataset_node(node)
    kind = node.get("type") if isinstance(node, dict) else None
    if not isinstance(kind, str) or kind not in registry.dataset:
        return DEFAULT_METRIC
    return str(registry.dataset.entry(kind).extra.get("metric") or DEFAULT_METRIC)


def dataset_audio(kind: str, registry: Any) -> tuple[str, ...]:
    """The modalities a dataset declares as audio files when it registers (``audio=``); ``("audio",)`` when
    it declares none."""
    entry = registry.dataset.entry(kind)
    declared = entry.extra.get("audio", DEFAULT_AUDIO)
    if isinstance(declared, str):
        declared = (declared,)
    if not isinstance(declared, (tuple, list)) or not all(isinstance(m, str) and m for m in declared):
        raise DataError(f"dataset '{kind}' (registered by {entry.source}): audio= must name the modalities that hold "
                        f"audio files, e.g. audio=('audio',), got {declared!r}")
    return tuple(declared)


def select_dataset(cfg: ResolvedConfig, dataset: str | None, origin: str = "--dataset",
                   registry: Any = None) -> ResolvedConfig:
    """Set ``data.dataset``, apply the config's ``per_dataset`` overrides for it and, where the config sets no
    ``train.monitor``, select on the dataset's declared metric."""
    cfg = cfg.copy()
    data = cfg.data.setdefault("data", {})
    if dataset is not None:
        data["dataset"] = dataset
        cfg.origins["data.dataset"] = origin
    node = dataset_node(data.get("dataset", DataConfig.dataset))  # a folder's layout is detected once
    name = dataset_label(node)
    extra = (cfg.data.get("per_dataset") or {}).get(name)
    if extra:
        cfg.data = merge(cfg.data, extra)
        prefix = f"per_dataset.{name}."
        cfg.origins.update({p: cfg.origins[prefix + p] for p in leaf_paths(extra) if prefix + p in cfg.origins})
    train = cfg.data.setdefault("train", {})
    if isinstance(train, dict) and train.get("monitor") is None:
        train["monitor"] = dataset_metric(node, registry)
        cfg.origins["train.monitor"] = f"the metric dataset '{name}' declares"
    return cfg


def set_root(cfg: ResolvedConfig, root: str | None, origin: str = "--root") -> ResolvedConfig:
    """``cfg`` with ``data.root`` set to ``root`` (a copy; unchanged when ``root`` is None), its origin recorded."""
    if root is None:
        return cfg
    cfg = cfg.copy()
    cfg.data.setdefault("data", {})["root"] = root
    cfg.origins["data.root"] = origin
    return cfg
