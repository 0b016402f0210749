"""YAML configs: safe loading, ``_base_`` inheritance and provenance (``overrides.py`` applies ``--set``,
``build.py`` checks and builds parts and sections, ``tree.py`` holds the merging rules).

A run config has three sections: ``model`` (a ComposedModel spec), ``data`` and ``train`` (see
``DataConfig`` / ``TrainConfig``); ``per_dataset: {name: {...}}`` holds overrides applied when that
dataset is used. A part node is ``{type: <registered name>, **kwargs}`` (or just the name); its keys
are checked against the constructor signature before anything is built. Merging rule: a child node
whose ``type`` differs from its base's replaces it instead of merging; ``_delete_: true`` forces that.
"""

from __future__ import annotations

import copy
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from ..errors import ConfigError
from .tree import BASE_KEY, DELETE_KEY, TOP_LEVEL, drop_per_dataset, leaf_paths, merge

__all__ = ["ResolvedConfig", "safe_load", "load_yaml", "load_config"]


@dataclass
class ResolvedConfig:
    """A fully merged config and, for every key path, where its value came from."""

    data: dict[str, Any]
    origins: dict[str, str] = field(default_factory=dict)
    name: str = ""

    def where(self, path: str) -> str:
        """``file:line`` (or ``--set`` / ``default``) of ``path`` or of its closest parent."""
        p = path
        while p:
            if p in self.origins:
                return self.origins[p]
            p = p.rpartition(".")[0]
        return self.name or "<config>"

    def get(self, path: str, default: Any = None) -> Any:
        node: Any = self.data
        for key in path.split("."):
            if not isinstance(node, dict) or key not in node:
                return default
            node = node[key]
        return node

    def copy(self) -> ResolvedConfig:
        return ResolvedConfig(copy.deepcopy(self.data), dict(self.origins), self.name)


class _Loader(yaml.SafeLoader):
    """SafeLoader with YAML 1.2 scalars: ``1e-3`` is a float; only true/false are booleans (``off`` stays a string)."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:bool"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Loader.add_implicit_resolver("tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"),
                              list("tTfF"))

_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(r"""^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+]?[0-9]+)?
    |[-+]?(?:[0-9][0-9_]*)(?:[eE][-+]?[0-9]+)
    |\.[0-9_]+(?:[eE][-+][0-9]+)?
    |[-+]?\.(?:inf|Inf|INF)
    |\.(?:nan|NaN|NAN))$""", re.X),
    list("-+0123456789."),
)


def safe_load(text: str) -> Any:
    return yaml.load(text, Loader=_Loader)  # noqa: S506 - _Loader is a SafeLoader subclass


# --------------------------------------------------------------------------------------------
# loading with line numbers
def _record_lines(node: yaml.Node, prefix: str, where: str, out: dict[str, str]) -> None:
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            key = str(key_node.value)
            path = f"{prefix}.{key}" if prefix else key
            out[path] = f"{where}:{key_node.start_mark.line + 1}"
            _record_lines(value_node, path, where, out)


def load_yaml(path: str | Path) -> tuple[dict[str, Any], dict[str, str]]:
    """Parse a YAML file safely; returns the mapping and ``{key.path: file:line}``."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"config file '{path}' does not exist") from None
    except (OSError, UnicodeDecodeError) as err:
        raise ConfigError(f"config file '{path}' cannot be read: {err}") from err
    try:
        node = yaml.compose(text, Loader=_Loader)
        data = safe_load(text)
    except yaml.MarkedYAMLError as err:
        mark = err.problem_mark or err.context_mark
        pos = f":{mark.line + 1}:{mark.column + 1}" if mark else ""
        raise ConfigError(f"invalid YAML in '{path}{pos}': {err.problem or err}"
                          f"{' (' + err.context + ')' if err.context else ''}") from None
    except yaml.YAMLError as err:
        raise ConfigError(f"invalid YAML in '{path}': {err}") from None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError(f"config file '{path}' must hold a mapping at the top, not {type(data).__name__}")
    origins: dict[str, str] = {}
    if node is not None:
        _record_lines(node, "", str(path), origins)
    return data, origins


# --------------------------------------------------------------------------------------------
# merging
def _resolve_source(ref: str, relative_to: Path | None, registry: Any) -> tuple[dict[str, Any], dict[str, str], str]:
    """Load a ``_base_`` reference: a path (relative to the including file) or a registered model."""
    candidates = []
    if relative_to is not None and not os.path.isabs(ref):
        candidates.append(relative_to.parent / ref)
    candidates.append(Path(ref))
    for cand in candidates:
        if cand.is_file():
            data, origins = load_yaml(cand)
            return data, origins, str(cand.resolve())
    if ref.endswith((".yaml", ".yml")) or os.sep in ref:
        raise ConfigError(f"config file '{ref}' does not exist"
                          f"{' (referenced from ' + str(relative_to) + ')' if relative_to else ''}")
    entry = registry.model.entry(ref, where=str(relative_to) if relative_to else None)
    spec = entry.obj
    if isinstance(spec, (str, Path)):
        data, origins = load_yaml(spec)
        return data, origins, str(Path(spec).resolve())
    if isinstance(spec, dict):
        data = copy.deepcopy(spec)
        return data, {p: f"model '{ref}' ({entry.source})" for p in leaf_paths(data)}, f"model:{ref}"
    raise ConfigError(f"model '{ref}' from {entry.source} is a {type(spec).__name__}; a registered model must be "
                      "a YAML path or a config mapping")


def _resolve(data: dict[str, Any], origins: dict[str, str], here: Path | None, ident: str,
             chain: list[str], registry: Any) -> tuple[dict[str, Any], dict[str, str]]:
    if ident in chain:
        cycle = " -> ".join(chain[chain.index(ident):] + [ident])
        raise ConfigError(f"_base_ cycle: {cycle}; a config cannot inherit from itself")
    bases = data.pop(BASE_KEY, None)
    if bases is None:
        return data, origins
    if isinstance(bases, str):
        bases = [bases]
    if not isinstance(bases, list) or not all(isinstance(b, str) for b in bases):
        raise ConfigError(f"{origins.get(BASE_KEY, ident)}: _base_ must be a name/path or a list of them, "
                          f"got {bases!r}")
    merged: dict[str, Any] = {}
    merged_origins: dict[str, str] = {}
    for ref in bases:
        bdata, borigins, bident = _resolve_source(ref, here, registry)
        bpath = Path(bident) if not bident.startswith("model:") else None
        bdata, borigins = _resolve(bdata, borigins, bpath, bident, chain + [ident], registry)
        merged = merge(merged, bdata)
        merged_origins.update(borigins)
    derived = leaf_paths({k: v for k, v in data.items() if k != "per_dataset"})
    for path in derived:
        if path.endswith("." + DELETE_KEY):  # a replaced mapping takes its bases' per-dataset values with it
            drop_per_dataset(merged, path.rsplit(".", 1)[0])
        elif not any(p.startswith(path + ".") for p in derived):  # a mapping merges: only its values win
            drop_per_dataset(merged, path)
    merged = merge(merged, data)
    origins.pop(BASE_KEY, None)
    merged_origins.update(origins)
    return merged, merged_origins


def load_config(ref: str | dict[str, Any], registry: Any) -> ResolvedConfig:
    """Load a config file, registered model or inline mapping and resolve its ``_base_`` chain (no overrides)."""
    if isinstance(ref, dict):
        data, origins, ident, here = copy.deepcopy(ref), {}, "<inline>", None
    else:
        data, origins, ident = _resolve_source(ref, None, registry)
        here = None if ident.startswith("model:") else Path(ident)
    data, origins = _resolve(data, origins, here, ident, [], registry)
    unknown = sorted(k for k in data if k not in TOP_LEVEL)
    if unknown:
        raise ConfigError(f"{ident}: unknown top-level key(s) {unknown}; allowed: {list(TOP_LEVEL)}")
    return ResolvedConfig(data, origins, name=ident)
