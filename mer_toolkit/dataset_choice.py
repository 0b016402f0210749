"""Which dataset a run uses: ``data.dataset`` values (name, manifest file, corpus folder, part node) and the
config's ``per_dataset`` overrides. Kept free of torch so ``mer config show --dataset`` answers at once."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .config import ResolvedConfig, _leaf_paths, _merge
from .errors import DataError
from .sections import DataConfig

__all__ = ["MANIFEST_SUFFIXES", "dataset_label", "dataset_node", "select_dataset"]

MANIFEST_SUFFIXES = (".csv", ".tsv", ".jsonl")


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
        from .data.datasets._common import dataset_layouts, detect_layout

        layout = detect_layout(value)
        if layout is None:
            known = ", ".join(f"{e.name} {e.extra['layout']}" for e in dataset_layouts())
            raise DataError(f"data.dataset '{value}': the folder is not in a known release layout ({known}); use a "
                            "dataset name with --root, or a manifest file")
        return {"type": layout, "root": value}
    return {"type": value} if isinstance(value, str) else value


def select_dataset(cfg: ResolvedConfig, dataset: str | None, origin: str = "--dataset") -> ResolvedConfig:
    """Set ``data.dataset`` and apply the config's ``per_dataset`` overrides for it."""
    cfg = cfg.copy()
    data = cfg.data.setdefault("data", {})
    if dataset is not None:
        data["dataset"] = dataset
        cfg.origins["data.dataset"] = origin
    name = dataset_label(data.get("dataset", DataConfig.dataset))
    extra = (cfg.data.get("per_dataset") or {}).get(name)
    if extra:
        cfg.data = _merge(cfg.data, extra)
        prefix = f"per_dataset.{name}."
        cfg.origins.update({p: cfg.origins[prefix + p] for p in _leaf_paths(extra) if prefix + p in cfg.origins})
    return cfg
