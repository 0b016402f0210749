"""Plugin loading: builtins and entry-point plugins through one pluggy manager, each one isolated.

A plugin that fails to import, to register with pluggy, or inside its hook is recorded as a
``PluginLoadFailure`` and skipped; its partial registrations are rolled back and every other
plugin keeps working. Environment switches:

- ``MER_DISABLE_PLUGINS=a,b``   skip these entry-point names;
- ``MER_LOAD_PLUGINS=a,b``      load only these entry-point names (allowlist);
- ``MER_PLUGINS_AUTOLOAD=0``    load no entry-point plugins (builtins only);
- ``MER_STRICT_PLUGINS=1``      re-raise the first plugin failure (for plugin authors);
- ``MER_TRACE_PLUGINS=1``       print every hook call.
"""

from __future__ import annotations

import importlib
import os
import sys
import warnings
from collections.abc import Iterable
from dataclasses import dataclass, field
from importlib import metadata
from typing import Any

import pluggy

from . import hookspecs
from ..results.published import PublishedFigures, read_published
from .registry import Registries

__all__ = [
    "ENTRY_POINT_GROUP",
    "DEFAULT_PLUGINS",
    "PluginInfo",
    "PluginLoadFailure",
    "PluginHost",
    "get_host",
    "installed_plugins",
    "get_registry",
    "reset",
]

ENTRY_POINT_GROUP = "mer_toolkit"

# Builtin parts live in these modules; each has a ``mer_register_parts`` hookimpl.
DEFAULT_PLUGINS: tuple[str, ...] = (
    "mer_toolkit.components",
    "mer_toolkit.data.datasets",
    "mer_toolkit.data.protocols",
    "mer_toolkit.encoders",
    "mer_toolkit.configs",
    "mer_toolkit.cli.commands",
)


@dataclass
class PluginInfo:
    """A plugin that loaded: its name, distribution, version, hooks and what it registered."""

    name: str
    dist: str
    version: str
    hooks: list[str]
    registered: list[tuple[str, str]] = field(default_factory=list)


@dataclass
class PluginLoadFailure:
    """A plugin that was skipped: where it failed and why."""

    name: str
    dist: str
    version: str
    stage: str
    error: str

    def describe(self) -> str:
        return f"plugin '{self.name}' ({self.dist} {self.version}) failed at {self.stage}: {self.error}"


def _env_list(name: str) -> list[str]:
    return [x.strip() for x in os.environ.get(name, "").split(",") if x.strip()]


def _strict() -> bool:
    return os.environ.get("MER_STRICT_PLUGINS", "") not in ("", "0")


class PluginHost:
    """Holds the pluggy manager, the registries and the load report."""

    def __init__(self, entry_points: Iterable[metadata.EntryPoint] | None = None) -> None:
        """``entry_points``: the plugins to consider (default: the installed ``mer_toolkit`` entry points;
        ``[]`` for builtins only); the ``MER_*`` switches still apply to them."""
        found = metadata.entry_points(group=ENTRY_POINT_GROUP) if entry_points is None else entry_points
        self.entry_points = sorted(found, key=lambda ep: ep.name)
        self.pm = pluggy.PluginManager("mer_toolkit")
        self.pm.add_hookspecs(hookspecs)
        self.registry = Registries()
        self.loaded: list[PluginInfo] = []
        self.failures: list[PluginLoadFailure] = []
        self.disabled: list[str] = []
        self._published: list[PublishedFigures] | None = None
        if os.environ.get("MER_TRACE_PLUGINS", "") not in ("", "0"):
            self.pm.trace.root.setwriter(lambda msg: print(msg, end="", file=sys.stderr))
            self.pm.enable_tracing()

    # -- loading -----------------------------------------------------------------------------
    def load(self) -> None:
        """Load builtins, then entry-point plugins (unless disabled)."""
        from .. import __version__

        for modname in DEFAULT_PLUGINS:
            self._add(modname, "mer-toolkit", __version__, lambda m=modname: importlib.import_module(m),
                      builtin=True)
        if os.environ.get("MER_PLUGINS_AUTOLOAD", "1") == "0":
            return
        allow = _env_list("MER_LOAD_PLUGINS")
        blocked = set(_env_list("MER_DISABLE_PLUGINS"))
        for ep in self.entry_points:
            if ep.name in blocked or (allow and ep.name not in allow):
                self.disabled.append(ep.name)
                self.pm.set_blocked(ep.name)
                continue
            self._add(*_describe(ep), ep.load)
        try:
            self.pm.check_pending()
        except pluggy.PluginValidationError as err:  # a misspelt hook name in some plugin
            self._fail(getattr(err, "plugin_name", "?"), "?", "?", "hook validation", err)

    def _fail(self, name: str, dist: str, version: str, stage: str, err: BaseException) -> None:
        failure = PluginLoadFailure(name, dist, version, stage, f"{type(err).__name__}: {err}")
        self.failures.append(failure)
        warnings.warn(failure.describe() + " (skipped; see `mer plugins`)", RuntimeWarning, stacklevel=3)
        if _strict():
            raise err

    def _fail_loaded(self, name: str, stage: str, err: BaseException) -> None:
        """Record a failure of a plugin that had loaded, with its distribution and version."""
        info = next((p for p in self.loaded if p.name == name), None)
        self._fail(name, info.dist if info else "?", info.version if info else "?", stage, err)

    def _add(self, name: str, dist: str, version: str, load: Any, builtin: bool = False) -> None:
        source = "builtin" if builtin else name
        try:
            module = load()
        except Exception as err:
            self._fail(name, dist, version, "import", err)
            return
        try:
            self.pm.register(module, name=name)
        except Exception as err:
            self._fail(name, dist, version, "pluggy registration", err)
            return
        unmarked = _unmarked_hooks(self.pm, module)
        if unmarked:
            self.pm.unregister(module)
            self._fail(name, dist, version, "pluggy registration", TypeError(
                f"{', '.join(unmarked)} defined without @mer_toolkit.hookimpl, so pluggy would never call it; "
                "decorate it with @hookimpl"))
            return
        staged = self.registry.staged(source)
        hooks = [h.name for h in (self.pm.get_hookcallers(module) or [])]
        try:
            self._hook_of(module, "mer_register_parts")(registry=staged)
            registered = staged.commit()
        except Exception as err:
            self.pm.unregister(module)
            self._fail(name, dist, version, "mer_register_parts", err)
            return
        self.loaded.append(PluginInfo(name, dist, version, hooks, registered))

    def _hook_of(self, plugin: Any, hook: str) -> Any:
        """``hook`` as pluggy calls it, restricted to one plugin: markers, tracing and hook wrappers apply,
        and a failure belongs to that plugin alone."""
        others = [p for p in self.pm.get_plugins() if p is not plugin]
        return self.pm.subset_hook_caller(hook, remove_plugins=others)

    # -- other hooks ---------------------------------------------------------------------------
    def _call_each(self, hook: str, **kwargs: Any) -> list[tuple[str, Any]]:
        """``(plugin name, result)`` of every implementation of ``hook``, in pluggy's call order (tryfirst and
        trylast honoured); a failing plugin is reported and skipped, the others still run."""
        results = []
        for impl in reversed(getattr(self.pm.hook, hook).get_hookimpls()):
            try:
                results += [(impl.plugin_name, r) for r in self._hook_of(impl.plugin, hook)(**kwargs)]
            except Exception as err:
                self._fail_loaded(impl.plugin_name, hook, err)
        return results

    def add_cli_commands(self, subparsers: Any) -> None:
        """Let every plugin add sub-commands; a failing plugin is reported, the CLI still starts."""
        self._call_each("mer_cli_commands", subparsers=subparsers)

    def published_figures(self) -> list[PublishedFigures]:
        """Figures published elsewhere that plugins provide (read once; a bad file is reported and skipped)."""
        if self._published is None:
            figures: list[PublishedFigures] = []
            for name, path in self._call_each("mer_published_figures"):
                try:
                    figures += read_published(path, name)
                except Exception as err:
                    self._fail_loaded(name, "mer_published_figures", err)
            self._published = figures
        return self._published


def _unmarked_hooks(pm: pluggy.PluginManager, module: Any) -> list[str]:
    """Functions of ``module`` named like a hook but not marked as its implementation (pluggy skips them)."""
    marked = {h.name for h in (pm.get_hookcallers(module) or [])}
    return [h for h in vars(pm.hook) if callable(getattr(module, h, None)) and h not in marked]


def _describe(ep: metadata.EntryPoint) -> tuple[str, str, str]:
    """``(entry point, distribution, version)``, read from metadata without importing the plugin."""
    dist = getattr(ep, "dist", None)
    return ep.name, dist.metadata["Name"] if dist is not None else "?", dist.version if dist is not None else "?"


def installed_plugins() -> list[tuple[str, str, str]]:
    """``(entry point, distribution, version)`` of every installed plugin, read from metadata without importing it."""
    return [_describe(ep) for ep in sorted(metadata.entry_points(group=ENTRY_POINT_GROUP), key=lambda e: e.name)]


_HOST: PluginHost | None = None


def get_host() -> PluginHost:
    """The process-wide plugin host, loaded on first use."""
    global _HOST
    if _HOST is None:
        host = PluginHost()
        _HOST = host
        try:
            host.load()
        except BaseException:
            _HOST = None
            raise
    return _HOST


def get_registry() -> Registries:
    """The registries with builtins and plugins loaded."""
    return get_host().registry


def reset() -> None:
    """Forget loaded plugins (tests, or after installing a plugin in the same process)."""
    global _HOST
    _HOST = None
