"""Calls ``register(registry)`` of every module in a builtin package, so parts live one family per file."""

from __future__ import annotations

import importlib
import pkgutil
from typing import Any

__all__ = ["register_package_modules"]


def register_package_modules(package: str, path: list[str], registry: Any) -> None:
    """Import each non-private module of ``package`` (sorted) and call its ``register(registry)``."""
    for info in sorted(pkgutil.iter_modules(path), key=lambda i: i.name):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{package}.{info.name}")
        register = getattr(module, "register", None)
        if register is not None:
            register(registry)
