"""Checked construction: a part node or a config section is validated against the constructor's
signature (unknown keys with suggestions, loose type checks, file:line of the offending key) before
anything is built, so that every kind, protocols included, fails the same readable way.
"""

from __future__ import annotations

import inspect
import types
import typing
from collections.abc import Callable
from typing import Any

from .loading import ResolvedConfig
from .sections import SECTIONS, choices
from ..components.contracts import check_contract
from ..errors import ConfigError, close_matches

__all__ = ["build_part", "check_section", "check_sections", "check_kwargs"]


def _type_ok(value: Any, annotation: Any) -> bool:
    """Loose check of a YAML value against a simple annotation (unknown annotations pass)."""
    if annotation is inspect.Parameter.empty or annotation is Any:
        return True
    if isinstance(annotation, str):
        try:
            annotation = eval(annotation, vars(typing), {})  # noqa: S307 - annotation strings of our own modules
        except Exception:
            return True
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        return any(_type_ok(value, a) for a in typing.get_args(annotation))
    if origin is typing.Literal:
        return value in typing.get_args(annotation)
    if annotation is type(None):
        return value is None
    if annotation is float:
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if annotation is int:
        return isinstance(value, int) and not isinstance(value, bool)
    if annotation in (str, bool):
        return isinstance(value, annotation)
    base = origin or annotation
    if base in (list, tuple, typing.Sequence):
        return isinstance(value, (list, tuple))
    if base in (dict, typing.Mapping):
        return isinstance(value, dict)
    return True


def check_kwargs(target: Any, kwargs: dict[str, Any], path: str, where: str, what: str,
                 where_of: Callable[[str], str] | None = None) -> None:
    """Unknown, missing or mistyped keyword arguments of ``target`` → one ``ConfigError``; ``where_of(key)`` gives
    a key's own ``file:line`` where it is known (a wrong value is reported where it was written)."""
    try:
        sig = inspect.signature(target)
    except (TypeError, ValueError):
        return
    params = {n: p for n, p in sig.parameters.items() if p.kind not in (p.VAR_POSITIONAL,)}
    takes_any = any(p.kind == p.VAR_KEYWORD for p in params.values())
    allowed = sorted(n for n, p in params.items() if p.kind != p.VAR_KEYWORD)
    unknown = sorted(k for k in kwargs if k not in params)
    if unknown and not takes_any:
        paths = ", ".join(f"{path}.{k}" if path else k for k in unknown)
        hints = {k: close_matches(k, allowed, 1) for k in unknown}
        hint = "; ".join(f"'{k}' → did you mean '{h[0]}'?" for k, h in hints.items() if h)
        raise ConfigError(f"{where}: unknown key(s) {paths} for {what}{' (' + hint + ')' if hint else ''}. "
                          f"Allowed keys: {allowed}")
    hints_ = _hints(target)
    for k, v in kwargs.items():
        p = params.get(k)
        if p is None:
            continue
        ann = hints_.get(k, p.annotation)
        if v is not None and not _type_ok(v, ann):
            raise ConfigError(f"{where_of(k) if where_of else where}: {path + '.' if path else ''}{k} = {v!r} "
                              f"{_expected(ann)} for {what}")
    missing = sorted(n for n, p in params.items() if p.default is p.empty
                     and p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY) and n not in kwargs and n != "self")
    if missing:
        raise ConfigError(f"{where}: {what} needs the key(s) {[f'{path}.{m}' if path else m for m in missing]}, "
                          "which are not set")


def _expected(annotation: Any) -> str:
    """``is not one of [...]`` for a closed choice, else the wrong-type text."""
    allowed = choices(annotation)
    if allowed:
        return f"is not one of {list(allowed)}"
    return f"has the wrong type; expected {getattr(annotation, '__name__', None) or annotation}"


def _admits_none(target: Any, name: str) -> bool:
    """Whether ``target``'s parameter ``name`` is annotated to accept ``None`` (unannotated ones are not)."""
    try:
        param = inspect.signature(target).parameters.get(name)
    except (TypeError, ValueError):
        return False
    if param is None:
        return False
    ann = _hints(target).get(name, param.annotation)
    return ann not in (inspect.Parameter.empty, Any) and _type_ok(None, ann)


def _hints(target: Any) -> dict[str, Any]:
    """Resolved annotations of ``target``'s constructor or function; empty when they cannot be resolved."""
    try:
        return typing.get_type_hints(target.__init__ if inspect.isclass(target) else target)
    except Exception:
        return {}


def build_part(kind: str, node: Any, registry: Any, *, path: str, cfg: ResolvedConfig | None = None,
               inferred: dict[str, Any] | None = None) -> Any:
    """Build ``{type: name, **kwargs}`` from ``registry.<kind>`` after checking its keys; the result must
    satisfy its kind's contract (``contracts.py``).

    ``inferred`` values (e.g. ``in_dim``, ``num_classes``) are passed only when the constructor accepts
    them and the user did not set them. A ``null`` reaches the constructor where its annotation admits
    ``None`` (``pad_seconds: null`` means no padding grid); elsewhere it stands for the default.
    """
    where = cfg.where(path) if cfg is not None else path
    if isinstance(node, str):
        node = {"type": node}
    if not isinstance(node, dict) or not isinstance(node.get("type"), str):
        raise ConfigError(f"{where}: {path} must be a {kind} name or a mapping with a 'type' key, got {node!r}. "
                          f"Run `mer list {kind}` for the names.")
    name = node["type"]
    factory = registry.kind(kind).get(name, where=f"{where} {path}.type")
    kwargs = {k: v for k, v in node.items() if k != "type" and (v is not None or _admits_none(factory, k))}
    try:
        params = inspect.signature(factory).parameters
    except (TypeError, ValueError):
        params = {}
    for k, v in (inferred or {}).items():
        if k in params and kwargs.get(k) is None and v is not None:
            kwargs[k] = v
    try:
        accepted = inspect.signature(factory).parameters
        stray = [k for k in node if k != "type" and k not in accepted]
    except (TypeError, ValueError):
        stray = []
    key_where = cfg.where(f"{path}.{stray[0]}") if cfg is not None and stray else where
    check_kwargs(factory, kwargs, path, key_where, f"{kind} '{name}'")
    try:
        part = factory(**kwargs)
    except ConfigError:
        raise
    except (TypeError, ValueError) as err:
        raise ConfigError(f"{where}: building {kind} '{name}' at {path} failed: {err}") from err
    return check_contract(kind, part, name, where)


def check_section(name: str, values: Any, cfg: ResolvedConfig) -> Any:
    """Validate a ``train``/``data`` section against its dataclass and return the instance."""
    cls = SECTIONS[name]
    if values is None:
        values = {}
    if not isinstance(values, dict):
        raise ConfigError(f"{cfg.where(name)}: '{name}' must be a mapping, got {type(values).__name__}")
    check_kwargs(cls, values, name, cfg.where(name), f"section '{name}'", where_of=lambda k: cfg.where(f"{name}.{k}"))
    return cls(**values)


def check_sections(cfg: ResolvedConfig) -> None:
    """Check every section of ``cfg`` (unknown keys, types, closed choices) without building anything."""
    for name in SECTIONS:
        check_section(name, cfg.data.get(name), cfg)
