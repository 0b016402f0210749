"""Builtin CLI sub-commands: every module here defines ``register(subparsers)``."""

from __future__ import annotations

import importlib
import pkgutil

from ...plugins.hookspecs import hookimpl


@hookimpl
def mer_cli_commands(subparsers) -> None:  # noqa: ANN001 - argparse sub-parsers action
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda i: i.name):
        importlib.import_module(f"{__name__}.{info.name}").register(subparsers)
