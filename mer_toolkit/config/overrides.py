"""``--set KEY.PATH=VALUE`` overrides: parsed as YAML, applied in place with their origin recorded.

A new key may be created only where a config can hold it (a part node, a section field, a named map),
so a misspelt key is an error with a suggestion instead of a silently ignored value.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import yaml

from .loading import ResolvedConfig, safe_load
from .sections import SECTIONS
from .tree import MODEL_KEYS, MODEL_SLOTS, TOP_LEVEL, drop_per_dataset, leaf_paths, merge, part_type
from ..errors import ConfigError, close_matches

__all__ = ["parse_override", "apply_overrides"]


def parse_override(text: str) -> tuple[str, Any]:
    """``a.b.c=value`` → (``a.b.c``, YAML-parsed value)."""
    key, sep, raw = text.partition("=")
    if not sep or not key.strip():
        raise ConfigError(f"--set '{text}': expected KEY.PATH=VALUE (e.g. --set train.lr=3e-4)")
    try:
        value = safe_load(raw) if raw.strip() else None
    except yaml.YAMLError as err:
        raise ConfigError(f"--set '{text}': the value is not valid YAML ({err})") from None
    return key.strip(), value


def _allowed_keys(parent: str) -> list[str]:
    """Keys a section or the model mapping accepts even when the config does not set them yet."""
    if not parent:
        return list(TOP_LEVEL)
    if parent in SECTIONS:
        return [f.name for f in dataclasses.fields(SECTIONS[parent])]
    return list(MODEL_KEYS) if parent == "model" else []


def _creatable(node: Any, parent: str, key: str) -> bool:
    """May ``--set`` add ``key`` under ``parent``? Yes inside part nodes, section fields and named maps."""
    if part_type(node) is not None and isinstance(node, dict):
        return True
    allowed = _allowed_keys(parent)
    if allowed:
        return key in allowed
    tail = parent.rsplit(".", 1)[-1]
    named_maps = {key for key, (_, named) in MODEL_SLOTS.items() if named}
    return parent.startswith("per_dataset") or tail in named_maps | {
        "loss_weights", "dataset_options", "protocol_options", "features"}


def apply_overrides(cfg: ResolvedConfig, overrides: list[str], origin: str = "--set") -> None:
    """Set each ``a.b.c=value`` in place. A new key is allowed only inside a part node or section."""
    for text in overrides:
        path, value = parse_override(text)
        keys = path.split(".")
        node: Any = cfg.data
        for i, key in enumerate(keys[:-1]):
            here = ".".join(keys[: i + 1])
            if isinstance(node, dict) and key not in node and _creatable(node, ".".join(keys[:i]), key):
                node[key] = {}
            if not isinstance(node, dict) or key not in node:
                known = sorted(node) if isinstance(node, dict) else []
                hint = close_matches(key, known)
                raise ConfigError(f"--set {path}: '{here}' does not exist in the config"
                                  f"{'; did you mean ' + repr(hint[0]) + '?' if hint else ''}"
                                  f" Keys there: {known}")
            if isinstance(node[key], str) and "model" in keys[:i + 1] and i + 1 < len(keys):
                node[key] = {"type": node[key]}
            node = node[key]
        last = keys[-1]
        parent = ".".join(keys[:-1])
        if not isinstance(node, dict) or (last not in node and not _creatable(node, parent, last)):
            known = sorted(set(node if isinstance(node, dict) else []) | set(_allowed_keys(parent)))
            hint = close_matches(last, known, 1)
            raise ConfigError(f"--set {path}: '{parent or '<top>'}' has no key '{last}'"
                              f"{'; did you mean ' + repr(hint[0]) + '?' if hint else ''} Allowed keys: {known}")
        node[last] = merge(node[last], value) if isinstance(value, dict) and last in node else value
        if keys[0] != "per_dataset":
            drop_per_dataset(cfg.data, path)
        cfg.origins[path] = origin
        for p in leaf_paths(value, path):
            cfg.origins[p] = origin
