"""One generic ``Registry`` per kind of part, grouped in a ``Registries`` set.

Plugins (builtins included) register parts through the ``mer_register_parts(registry)`` hook with
``registry.<kind>.register("name", obj)``. ``obj`` may be the class or factory itself, or its import
path ``"package.module:attr"`` (as in entry points): such a lazy entry is imported only when it is
built or inspected in detail, so listing, duplicate checks and "did you mean" never import torch;
its summary is read from the module's source. Names are unique across sources: a second
registration of a name from anywhere raises, unless ``override=True`` is given explicitly.

What a part declares besides itself is typed per kind (``DatasetInfo`` for datasets: its release layout,
validation metric and audio modalities) and an unknown key is refused; model configs live in their own
``ConfigRegistry`` (a YAML path or a mapping, never code).
"""

from __future__ import annotations

import ast
import fnmatch
import functools
import importlib
import importlib.util
import inspect
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from dataclasses import asdict, dataclass, field, fields
from typing import Any, Generic, TypeVar

from ..errors import PluginError, UnknownComponentError, close_matches

__all__ = ["KINDS", "DatasetInfo", "METADATA", "Entry", "Registry", "ConfigRegistry", "Registries", "StagedRegistries",
           "is_import_path"]

KINDS: tuple[str, ...] = (
    "encoder", "adapter", "interaction", "fusion", "head", "loss", "dataset", "protocol", "model",
)

T = TypeVar("T")


@dataclass(frozen=True)
class DatasetInfo:
    """What a dataset declares when it registers: the glob that recognises its folder in its release layout (so
    ``--dataset PATH`` finds the reader), the validation metric runs on it select on unless a config sets
    ``train.monitor`` (the one its papers report), and the modalities that hold audio files."""

    layout: str | None = None
    metric: str | None = None
    audio: tuple[str, ...] = ("audio",)

    def __post_init__(self) -> None:
        from ..config.metrics import MONITORS

        if self.layout is not None and (not isinstance(self.layout, str) or not self.layout):
            raise ValueError(f"layout= must be a glob such as 'Actor_*', got {self.layout!r}")
        if self.metric is not None and self.metric not in MONITORS:
            raise ValueError(f"metric= must be one of {list(MONITORS)}, got {self.metric!r}")
        audio = (self.audio,) if isinstance(self.audio, str) else self.audio
        if not isinstance(audio, (tuple, list)) or not all(isinstance(m, str) and m for m in audio):
            raise ValueError(f"audio= must name the modalities that hold audio files, e.g. ('audio',), got "
                             f"{self.audio!r}")
        object.__setattr__(self, "audio", tuple(audio))


# The metadata each kind accepts at registration; kinds not listed accept none.
METADATA: dict[str, type] = {"dataset": DatasetInfo}


def _metadata(kind: str, name: str, source: str, meta: dict[str, Any]) -> Any:
    """The kind's typed metadata built from ``register(..., **meta)``; unknown keys and bad values are errors."""
    cls = METADATA.get(kind)
    if cls is None:
        if meta:
            raise PluginError(f"{kind} '{name}' from {source}: unknown registration key(s) {sorted(meta)}; a {kind} "
                              f"declares no metadata (only datasets do: {sorted(METADATA)})", plugin=source)
        return None
    allowed = [f.name for f in fields(cls)]
    unknown = sorted(k for k in meta if k not in allowed)
    if unknown:
        hint = close_matches(unknown[0], allowed, 1)
        raise PluginError(f"{kind} '{name}' from {source}: unknown registration key(s) {unknown}"
                          f"{'; did you mean ' + repr(hint[0]) + '?' if hint else ''} Allowed: {allowed}",
                          plugin=source)
    try:
        return cls(**meta)
    except ValueError as err:
        raise PluginError(f"{kind} '{name}' from {source}: {err}", plugin=source) from None


IMPORT_PATH = re.compile(r"^[A-Za-z_]\w*(\.[A-Za-z_]\w*)*:[A-Za-z_]\w*(\.[A-Za-z_]\w*)*$")


def is_import_path(obj: Any) -> bool:
    """Is ``obj`` a ``"package.module:attr"`` string (a lazy registration)?"""
    return isinstance(obj, str) and IMPORT_PATH.match(obj) is not None


@functools.lru_cache(maxsize=None)
def _module_docs(module: str) -> dict[str, str]:
    """Docstrings of the top-level classes and functions of ``module``, read from its source without importing it."""
    spec = importlib.util.find_spec(module)
    if spec is None or not spec.origin or not spec.origin.endswith(".py"):
        return {}
    with open(spec.origin, encoding="utf-8") as f:
        tree = ast.parse(f.read(), spec.origin)
    return {node.name: ast.get_docstring(node) or "" for node in tree.body
            if isinstance(node, (ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef))}


@dataclass
class Entry:
    """A registered part: what it is (or where to import it from), where it was defined, which plugin supplied it."""

    kind: str
    name: str
    source: str
    origin: str
    lazy: bool = False
    meta: Any = None
    _obj: Any = field(default=None, repr=False)
    _doc: str | None = field(default=None, repr=False)

    @property
    def obj(self) -> Any:
        """The registered object; a lazy entry is imported on first access (an import failure is a ``PluginError``)."""
        if self._obj is None and self.lazy:
            self._obj = self._import()
        return self._obj

    @property
    def loaded(self) -> bool:
        """Has the object been imported (always true for an entry registered as an object)?"""
        return self._obj is not None

    @property
    def doc(self) -> str:
        """The docstring; for a lazy entry not imported yet, read from the module's source."""
        if self._doc is None:
            if self.lazy and not self.loaded:
                module, _, attr = self.origin.partition(":")
                try:
                    self._doc = _module_docs(module).get(attr, "")
                except (OSError, SyntaxError, ImportError):
                    self._doc = ""
            else:
                self._doc = (inspect.getdoc(self._obj) or "") if callable(self._obj) else ""
        return self._doc

    @property
    def summary(self) -> str:
        """First line of the docstring."""
        return self.doc.strip().splitlines()[0] if self.doc.strip() else ""

    def _import(self) -> Any:
        module, _, attr = self.origin.partition(":")
        try:
            obj: Any = importlib.import_module(module)
            for part in attr.split("."):
                obj = getattr(obj, part)
        except Exception as err:
            raise PluginError(f"{self.kind} '{self.name}' from {self.source}: importing {self.origin} failed: "
                              f"{type(err).__name__}: {err}", plugin=self.source) from err
        if not callable(obj):  # only parts (never model configs) are registered by import path
            raise PluginError(f"{self.kind} '{self.name}' from {self.source}: {self.origin} is "
                              f"{type(obj).__name__}, not a class or factory", plugin=self.source)
        return obj


def _origin(obj: Any) -> str:
    module = getattr(obj, "__module__", None)
    qualname = getattr(obj, "__qualname__", None)
    if module and qualname:
        return f"{module}:{qualname}"
    return type(obj).__name__


def _check_findable(kind: str, name: str, path: str, source: str) -> None:
    """A lazy entry's module must exist (found without importing it; its parent packages are imported)."""
    module = path.partition(":")[0]
    try:
        found = importlib.util.find_spec(module) is not None
    except ModuleNotFoundError:  # a parent package is missing
        found = False
    except Exception as err:  # a parent package that fails to import, or is not a package
        raise PluginError(f"{kind} '{name}' from {source}: cannot locate module of {path}: "
                          f"{type(err).__name__}: {err}", plugin=source) from err
    if not found:
        raise PluginError(f"{kind} '{name}' from {source}: module '{module}' of {path} is not installed",
                          plugin=source)


class Registry(Generic[T]):
    """Name → part mapping for one kind (``encoder``, ``fusion``, ...)."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self._entries: dict[str, Entry] = {}

    def register(self, name: str, obj: T | None = None, *, source: str = "builtin", override: bool = False,
                 doc: str | None = None, **meta: Any) -> Callable[[T], T] | T:
        """Register ``obj`` (or its ``"module:attr"`` import path) under ``name``; without ``obj``, a decorator.
        ``meta`` is the kind's typed registration metadata (``METADATA``)."""
        if obj is None:

            def decorator(o: T) -> T:
                self.register(name, o, source=source, override=override, doc=doc, **meta)
                return o

            return decorator
        if not isinstance(name, str) or not name or name != name.strip():
            raise PluginError(f"{self.kind} name {name!r} is not a non-empty string", plugin=source)
        self._add(Entry(kind=self.kind, name=name, source=source, meta=_metadata(self.kind, name, source, meta),
                        _doc=doc, **self._describe(name, obj, source)), override)
        return obj

    def _describe(self, name: str, obj: Any, source: str) -> dict[str, Any]:
        """``origin``, ``lazy`` and the stored object of a part: a class or factory, or its import path."""
        if is_import_path(obj):
            _check_findable(self.kind, name, str(obj), source)
            return {"origin": str(obj), "lazy": True, "_obj": None}
        if not callable(obj):
            raise PluginError(f"{self.kind} '{name}' from {source} is {type(obj).__name__}, not a class or factory "
                              "(nor a 'package.module:attr' import path)", plugin=source)
        return {"origin": _origin(obj), "lazy": False, "_obj": obj}

    def _add(self, entry: Entry, override: bool) -> None:
        old = self._entries.get(entry.name)
        if old is not None and not override:
            raise PluginError(f"{self.kind} '{entry.name}' is registered twice: by {old.source} ({old.origin}) and by "
                              f"{entry.source} ({entry.origin}); rename one of them or pass override=True",
                              plugin=entry.source)
        self._entries[entry.name] = entry

    def unregister(self, name: str) -> None:
        """Remove ``name`` (used to roll back a failed plugin)."""
        self._entries.pop(name, None)

    def get(self, name: str, where: str | None = None) -> T:
        """The registered object, or ``UnknownComponentError`` with close matches."""
        return self.entry(name, where).obj

    def entry(self, name: str, where: str | None = None) -> Entry:
        """The full ``Entry`` of ``name``."""
        try:
            return self._entries[name]
        except KeyError:
            raise UnknownComponentError(self.kind, name, self._entries, where) from None

    def info(self, name: str) -> dict[str, Any]:
        """Signature, docstring, defining module and source plugin of ``name``."""
        e = self.entry(name)
        sig = ""
        if callable(e.obj):
            try:
                sig = str(inspect.signature(e.obj))
            except (TypeError, ValueError):
                sig = "(...)"
        return {"kind": e.kind, "name": e.name, "signature": sig, "doc": e.doc, "origin": e.origin,
                "source": e.source, **(asdict(e.meta) if e.meta is not None else {})}

    def names(self, pattern: str | None = None, source: str | None = None) -> list[str]:
        """Sorted names, optionally filtered by fnmatch ``pattern`` and by source plugin."""
        out = [n for n, e in self._entries.items() if source is None or e.source == source]
        if pattern:
            out = [n for n in out if fnmatch.fnmatch(n, pattern)]
        return sorted(out)

    def entries(self) -> list[Entry]:
        """All entries, sorted by name."""
        return [self._entries[n] for n in sorted(self._entries)]

    def __contains__(self, name: object) -> bool:
        return name in self._entries

    def __iter__(self) -> Iterator[str]:
        return iter(self.names())

    def __len__(self) -> int:
        return len(self._entries)


class ConfigRegistry(Registry[Any]):
    """Named model configs: a YAML file's path or a config mapping each (data, never code), resolved by
    ``config.load_config`` when a run names them."""

    def _describe(self, name: str, obj: Any, source: str) -> dict[str, Any]:
        if isinstance(obj, (str, Path)):
            return {"origin": str(obj), "lazy": False, "_obj": str(obj)}
        if isinstance(obj, dict):
            return {"origin": "<inline config>", "lazy": False, "_obj": obj}
        raise PluginError(f"model '{name}' from {source} is {type(obj).__name__}; a model config is the path of a YAML "
                          "file or a mapping of model/data/train sections", plugin=source)


class Registries:
    """The set of registries, one attribute per kind: ``registries.encoder``, ``registries.fusion``..."""

    encoder: Registry
    adapter: Registry
    interaction: Registry
    fusion: Registry
    head: Registry
    loss: Registry
    dataset: Registry
    protocol: Registry
    model: ConfigRegistry

    def __init__(self) -> None:
        for kind in KINDS:
            setattr(self, kind, ConfigRegistry(kind) if kind == "model" else Registry(kind))

    def kind(self, kind: str) -> Registry:
        """The registry of ``kind``; an unknown kind is an error listing the kinds."""
        if kind not in KINDS:
            raise UnknownComponentError("kind", kind, KINDS)
        return getattr(self, kind)

    def find(self, name: str) -> list[Entry]:
        """Every entry called ``name``, whatever its kind."""
        return [self.kind(k).entry(name) for k in KINDS if name in self.kind(k)]

    def staged(self, source: str) -> StagedRegistries:
        """A view for one plugin: its registrations are kept apart until ``commit()``."""
        return StagedRegistries(self, source)


class _StagedRegistry:
    """Registry facade that records ``register`` calls for a later commit."""

    def __init__(self, target: Registry, stage: StagedRegistries) -> None:
        self._target = target
        self._stage = stage
        self.kind = target.kind

    def register(self, name: str, obj: Any = None, *, override: bool = False, **kw: Any) -> Any:
        kw.pop("source", None)
        if obj is None:

            def decorator(o: Any) -> Any:
                self.register(name, o, override=override, **kw)
                return o

            return decorator
        self._stage.pending.append((self._target, name, obj, override, kw))
        return obj

    def __getattr__(self, item: str) -> Any:  # read access (get, names, ...) goes to the target
        return getattr(self._target, item)


class StagedRegistries:
    """What a plugin's hook receives: ``registry.<kind>.register(...)``, committed all-or-nothing."""

    def __init__(self, registries: Registries, source: str) -> None:
        self.source = source
        self.pending: list[tuple[Registry, str, Any, bool, dict[str, Any]]] = []
        for kind in KINDS:
            setattr(self, kind, _StagedRegistry(registries.kind(kind), self))

    def commit(self) -> list[tuple[str, str]]:
        """Apply every staged registration; on the first error undo them all and re-raise."""
        done: list[tuple[Registry, str, Entry | None]] = []
        try:
            for target, name, obj, override, kw in self.pending:
                previous = target._entries.get(name)
                target.register(name, obj, source=self.source, override=override, **kw)
                done.append((target, name, previous))
        except Exception:
            for target, name, previous in reversed(done):
                target.unregister(name)
                if previous is not None:
                    target._entries[name] = previous
            raise
        return [(t.kind, n) for t, n, _ in done]
