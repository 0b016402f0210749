"""Search spaces for ``mer tune``: ``search:`` files mapping config paths to distributions.

A model's space lives in ``search/<model>.yaml`` next to its config (or ``<config>.search.yaml`` beside a
user's YAML file); a config without one inherits the space of its ``_base_``, minus the paths it lacks.
"""

from __future__ import annotations

import inspect
import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..config.loading import ResolvedConfig, load_yaml
from ..config.tree import MODEL_SLOTS, part_type
from ..config.overrides import apply_overrides
from ..errors import ConfigError

__all__ = ["Param", "SearchSpace", "load_search_space", "find_search_space", "as_overrides", "nest"]

PART_KINDS = {key: kind for key, (kind, _) in MODEL_SLOTS.items()}
KINDS = {"float": ("low", "high", "log"), "int": ("low", "high", "log", "step"), "choice": ("values",)}


@dataclass
class Param:
    """One tuned config value: ``float``/``int`` in ``[low, high]`` (``log`` for log-uniform) or a ``choice``."""

    path: str
    kind: str
    low: float = 0.0
    high: float = 0.0
    log: bool = False
    step: int = 1
    values: list[Any] = field(default_factory=list)
    where: str = ""

    def suggest(self, trial: Any) -> Any:
        """Draw this value for an Optuna trial (choices are drawn by index, so lists and mappings work)."""
        if self.kind == "float":
            return trial.suggest_float(self.path, self.low, self.high, log=self.log)
        if self.kind == "int":
            return trial.suggest_int(self.path, int(self.low), int(self.high), log=self.log, step=self.step)
        labels = [json.dumps(v) for v in self.values]
        return self.values[labels.index(trial.suggest_categorical(self.path, labels))]

    def trial_value(self, value: Any) -> Any:
        """``value`` as an Optuna trial holds it (a choice by its label), or None when it lies outside the space."""
        if self.kind == "choice":
            return json.dumps(value) if value in self.values else None
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not self.low <= value <= self.high:
            return None
        return int(value) if self.kind == "int" else float(value)


@dataclass
class SearchSpace:
    """The parameters of one model's search and the file they came from."""

    params: list[Param]
    source: str
    dropped: list[str] = field(default_factory=list)

    def suggest(self, trial: Any) -> dict[str, Any]:
        return {p.path: p.suggest(trial) for p in self.params}

    def config_values(self, cfg: ResolvedConfig) -> dict[str, Any]:
        """The config's own values of the searched keys that lie in the space, as trial values."""
        values = {p.path: p.trial_value(cfg.get(p.path)) for p in self.params}
        return {path: v for path, v in values.items() if v is not None}


def _number(value: Any, key: str, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise ConfigError(f"{where}: {key} must be a number, got {value!r}")
    return float(value)


def _param(path: str, node: Any, where: str) -> Param:
    if not isinstance(node, dict) or node.get("type") not in KINDS:
        raise ConfigError(f"{where}: search.{path} must be a mapping with type float, int or choice, e.g. "
                          f"{{type: float, low: 1.0e-4, high: 1.0e-2, log: true}}; got {node!r}")
    kind = node["type"]
    extra = sorted(set(node) - {"type", *KINDS[kind]})
    if extra:
        raise ConfigError(f"{where}: search.{path} has unknown key(s) {extra}; a {kind} takes {list(KINDS[kind])}")
    if kind == "choice":
        values = node.get("values")
        if not isinstance(values, list) or not values:
            raise ConfigError(f"{where}: search.{path} needs 'values', a non-empty list of choices")
        return Param(path, kind, values=values, where=where)
    low, high = (_number(node.get(k), f"search.{path}.{k}", where) for k in ("low", "high"))
    log = node.get("log", False)
    if not isinstance(log, bool):
        raise ConfigError(f"{where}: search.{path}.log must be true or false, got {log!r}")
    if not low < high or (log and low <= 0):
        raise ConfigError(f"{where}: search.{path} needs low < high{' and low > 0 (log scale)' if log else ''}, "
                          f"got low={low:g}, high={high:g}")
    if kind == "int" and not (low.is_integer() and high.is_integer()):
        raise ConfigError(f"{where}: search.{path} is an int range; low and high must be whole numbers")
    step = node.get("step", 1)
    if kind == "int" and (not isinstance(step, int) or step < 1):
        raise ConfigError(f"{where}: search.{path}.step must be a whole number ≥ 1, got {step!r}")
    return Param(path, kind, low, high, log, step, where=where)


def load_search_space(path: str | Path) -> SearchSpace:
    """Parse and validate a ``search:`` file; errors name the file, line and key."""
    data, origins = load_yaml(path)
    space = data.get("search")
    if not isinstance(space, dict) or not space:
        raise ConfigError(f"search space '{path}': expected a top-level 'search:' mapping of config paths to "
                          "distributions")
    params = [_param(str(k), v, origins.get(f"search.{k}", str(path))) for k, v in space.items()]
    return SearchSpace(params, str(path))


def _space_file(config: Path) -> Path | None:
    for cand in (config.parent / "search" / config.name, config.with_name(f"{config.stem}.search.yaml")):
        if cand.is_file():
            return cand
    return None


def _config_file(ref: str, relative_to: Path | None, registry: Any) -> Path | None:
    """The YAML file behind a model name or path (``None`` for configs registered as mappings)."""
    for cand in ([relative_to.parent / ref] if relative_to else []) + [Path(ref)]:
        if cand.is_file():
            return cand
    obj = registry.model.entry(ref).obj
    return Path(obj) if isinstance(obj, (str, Path)) else None


def find_search_space(model: str, registry: Any, cfg: ResolvedConfig) -> SearchSpace:
    """The space of ``model``: its own file, else the nearest ``_base_``'s, keeping only paths ``cfg`` has."""
    seen: list[str] = []
    queue: list[tuple[str, Path | None]] = [(model, None)]
    while queue:
        ref, here = queue.pop(0)
        path = _config_file(ref, here, registry)
        if path is None or str(path) in seen:
            continue
        seen.append(str(path))
        found = _space_file(path)
        if found is not None:
            space = load_search_space(found)
            return space if not seen[1:] else _applicable(space, cfg)
        bases = load_yaml(path)[0].get("_base_") or []
        queue += [(b, path) for b in ([bases] if isinstance(bases, str) else bases)]
    own = Path(seen[0]).name if seen else f"{model}.yaml"
    raise ConfigError(f"model '{model}' has no search space: add search/{own} "
                      "next to its config (a 'search:' mapping of config paths to distributions) or pass --search FILE")


def _applicable(space: SearchSpace, cfg: ResolvedConfig) -> SearchSpace:
    """An inherited space without the paths this config does not have (e.g. ORL's size in a no-ORL ablation)."""
    keep = [p for p in space.params if isinstance(cfg.get(p.path.rpartition(".")[0]), dict)]
    return SearchSpace(keep, space.source, [p.path for p in space.params if p not in keep])


def check_space(space: SearchSpace, cfg: ResolvedConfig, registry: Any) -> None:
    """Every path must be settable in ``cfg`` and, inside a model part, be an argument of that part."""
    for p in space.params:
        value = p.values[0] if p.kind == "choice" else (int(p.low) if p.kind == "int" else p.low)
        trial = cfg.copy()
        try:
            apply_overrides(trial, as_overrides({p.path: value}))
        except ConfigError as err:
            raise ConfigError(f"{p.where}: search.{p.path} does not fit the config: {err}") from None
        keys = p.path.split(".")
        kind = PART_KINDS.get(keys[1]) if keys[0] == "model" and len(keys) > 2 else None
        name = part_type(trial.get(".".join(keys[:-1]))) if kind else None
        if name is None:
            continue
        params = inspect.signature(registry.kind(kind).get(name)).parameters
        if keys[-1] not in params and not any(a.kind == a.VAR_KEYWORD for a in params.values()):
            raise ConfigError(f"{p.where}: search.{p.path} does not fit the config: {kind} '{name}' takes no "
                              f"'{keys[-1]}' (it takes {sorted(params)})")


def as_overrides(params: dict[str, Any]) -> list[str]:
    """``{'train.lr': 0.001}`` → ``['train.lr=0.001']`` (JSON values are valid YAML)."""
    return [f"{k}={json.dumps(v)}" for k, v in params.items()]


def nest(params: dict[str, Any]) -> dict[str, Any]:
    """``{'a.b': 1, 'a.c': 2}`` → ``{'a': {'b': 1, 'c': 2}}``."""
    out: dict[str, Any] = {}
    for path, value in params.items():
        node = out
        *parents, last = path.split(".")
        for k in parents:
            node = node.setdefault(k, {})
        node[last] = value
    return out
