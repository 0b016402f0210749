"""Plain-data operations on config trees, shared by loading, overrides and dataset selection: merging with
``_base_`` semantics, key paths, the model's part slots. Nothing here reads files or knows the registries."""

from __future__ import annotations

import copy
from typing import Any

__all__ = ["BASE_KEY", "DELETE_KEY", "TOP_LEVEL", "MODEL_SLOTS", "MODEL_KEYS", "part_type", "model_parts", "merge",
           "leaf_paths", "drop_per_dataset"]

BASE_KEY = "_base_"
DELETE_KEY = "_delete_"
TOP_LEVEL = ("model", "data", "train", "per_dataset", "description")
# The model's part slots, described once: config key → (registry kind, whether it maps names to parts).
MODEL_SLOTS: dict[str, tuple[str, bool]] = {"encoders": ("encoder", True), "adapters": ("adapter", True),
                                            "interaction": ("interaction", False), "fusion": ("fusion", False),
                                            "heads": ("head", True), "loss": ("loss", False)}
MODEL_KEYS = (*MODEL_SLOTS, "main_head", "loss_weights")


def part_type(node: Any) -> str | None:
    """The ``type`` of a part node (a bare string names the type)."""
    if isinstance(node, str):
        return node
    if isinstance(node, dict):
        t = node.get("type")
        return t if isinstance(t, str) else None
    return None


def model_parts(model: dict[str, Any]) -> list[tuple[str, str, Any]]:
    """``(kind, slot path, node)`` of every part a ``model:`` mapping names, in build order (loss: cross_entropy
    when unset)."""
    out = []
    for key, (kind, named) in MODEL_SLOTS.items():
        node = model.get(key) or ("cross_entropy" if key == "loss" else None)
        if named:
            out += [(kind, f"{key}.{name}", n) for name, n in (node or {}).items()]
        elif node:
            out.append((kind, key, node))
    return out


def merge(base: Any, child: Any) -> Any:
    """``child`` merged over ``base``: mappings merge key by key, a part node of another ``type`` (or one marked
    ``_delete_: true``) replaces its base, a bare part name in the base merges as ``{type: name}``."""
    if isinstance(child, dict) and child.get(DELETE_KEY):
        return {k: copy.deepcopy(v) for k, v in child.items() if k != DELETE_KEY}
    if isinstance(base, dict) and isinstance(child, dict):
        if "type" in child and part_type(base) not in (None, part_type(child)):
            return copy.deepcopy(child)
        out = copy.deepcopy(base)
        for k, v in child.items():
            out[k] = merge(base[k], v) if k in base else copy.deepcopy(v)
        return out
    if isinstance(base, str) and isinstance(child, dict) and "type" not in child:
        return merge({"type": base}, child)
    return copy.deepcopy(child)


def leaf_paths(data: Any, prefix: str = "") -> list[str]:
    """Every key path of a nested mapping (``train``, ``train.lr``, ...), parents before their children."""
    if isinstance(data, dict) and data:
        out = [prefix] if prefix else []
        for k, v in data.items():
            out += leaf_paths(v, f"{prefix}.{k}" if prefix else str(k))
        return out
    return [prefix] if prefix else []


def drop_per_dataset(data: dict[str, Any], path: str) -> None:
    """A value set by a more derived config (or ``--set``) beats the per-dataset values of its bases."""
    for entry in (data.get("per_dataset") or {}).values():
        keys = path.split(".")
        node = entry
        for k in keys[:-1]:
            node = node.get(k) if isinstance(node, dict) else None
        if isinstance(node, dict):
            node.pop(keys[-1], None)
