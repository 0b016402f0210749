"""The plugin hooks of mer-toolkit (pluggy project ``mer_toolkit``).

A plugin is a module with functions decorated by ``mer_toolkit.hookimpl`` and named like a hook
below; it is found through the ``mer_toolkit`` entry-point group. Builtins use the same hooks.
"""

from __future__ import annotations

from typing import Any

import pluggy

__all__ = ["hookspec", "hookimpl", "mer_register_parts", "mer_cli_commands", "mer_published_figures"]

hookspec = pluggy.HookspecMarker("mer_toolkit")
hookimpl = pluggy.HookimplMarker("mer_toolkit")


@hookspec
def mer_register_parts(registry: Any) -> None:
    """Register parts: ``registry.<kind>.register(name, obj)`` for encoders, fusions, models, ..."""


@hookspec
def mer_cli_commands(subparsers: Any) -> None:
    """Add sub-commands to the ``mer`` CLI: ``subparsers.add_parser(name, ...)`` with ``set_defaults(func=...)``."""


@hookspec
def mer_published_figures() -> Any:
    """Path of a YAML file (package data) of figures published elsewhere, shown beside ours, never mixed in."""
