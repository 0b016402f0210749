"""Which dataset a run uses: ``data.dataset`` values (name, manifest file, corpus folder, part node) and the
config's ``per_dataset`` overrides. Kept free of torch so ``mer config show --dataset`` answers at once."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..config.loading import ResolvedConfig
from ..config.tree import leaf_paths, merge
from ..errors import DataError
from ..plugins.registry import DatasetInfo
from ..config.sections import DataConfig

__all__ = ["MANIFEST_SUFFIXES", "dataset_audio", "dataset_label", "dataset_layouts", "dataset_metric", "dataset_node",
           "detect_layout", "select_dataset", "set_root"]

MANIFEST_SUFFIXES = (".csv", ".tsv", ".jsonl")
DEFAULT_METRIC = "wf1"


def dataset_label(node: Any, registry: Any) -> str:
    """A short name for a ``data.dataset`` value (a name, a manifest or folder path, or a part node)."""
    node = dataset_node(node, registry) if isinstance(node, str) and ("/" in node or node.endswith(MANIFEST_SUFFIXES)) \
        else node
    if isinstance(node, dict):
        if node.get("type") == "manifest":
            return Path(str(node.get("path"))).stem
        return str(node.get("name") or node.get("type") or "?")
    return str(node)


def dataset_layouts(registry: Any) -> list[Any]:
    """Registry entries of the datasets that declare a release layout."""
    return [e for e in registry.dataset.entries() if e.meta is not None and e.meta.layout]


def detect_layout(path: str, registry: Any) -> str | None:
    """The registered dataset whose declared release ``layout`` (a glob) matches the folder ``path``, if any."""
    folder = Path(path).expanduser()
    if not folder.is_dir():
        return None
    return next((e.name for e in dataset_layouts(registry) if any(folder.glob(e.meta.layout))), None)


def dataset_node(value: Any, registry: Any) -> Any:
    """``data.dataset`` as a part node: a manifest file or a corpus folder given as a path works too."""
    if isinstance(value, str) and value.endswith(MANIFEST_SUFFIXES):
        return {"type": "manifest", "path": value}
    if isinstance(value, str) and ("/" in value or value.startswith(".")):
        layout = detect_layout(value, registry)
        if layout is None:
            known = ", ".join(f"{e.name} {e.meta.layout}" for e in dataset_layouts(registry))
            raise DataError(f"data.dataset '{value}': the folder is not in a known release layout ({known}); use a "
                            "dataset name with --root, or a manifest file")
        return {"type": layout, "root": value}
    return {"type": value} if isinstance(value, str) else value


def _info(kind: Any, registry: Any) -> Any:
    """The registration metadata of dataset ``kind`` (defaults for an unknown or unregistered one)."""
    if isinstance(kind, str) and kind in registry.dataset:
        return registry.dataset.entry(kind).meta or DatasetInfo()
    return DatasetInfo()


def dataset_metric(node: Any, registry: Any) -> str:
    """The validation metric a dataset declares when it registers (``metric=``); ``wf1`` when it declares none."""
    node = dataset_node(node, registry)
    return _info(node.get("type") if isinstance(node, dict) else None, registry).metric or DEFAULT_METRIC


def dataset_audio(kind: str, registry: Any) -> tuple[str, ...]:
    """The modalities a dataset declares as audio files when it registers (``audio=``; ``("audio",)`` by default)."""
    return _info(kind, registry).audio


def select_dataset(cfg: ResolvedConfig, dataset: str | None, origin: str = "--dataset", *,
                   registry: Any) -> ResolvedConfig:
    """Set ``data.dataset``, apply the config's ``per_dataset`` overrides for it and, where the config sets no
    ``train.monitor``, select on the dataset's declared metric."""
    cfg = cfg.copy()
    data = cfg.data.setdefault("data", {})
    if dataset is not None:
        data["dataset"] = dataset
        cfg.origins["data.dataset"] = origin
    node = dataset_node(data.get("dataset", DataConfig.dataset), registry)  # a folder's layout is detected once
    name = dataset_label(node, registry)
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
