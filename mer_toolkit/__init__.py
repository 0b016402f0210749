"""mer-toolkit: multimodal emotion recognition with registries, plugins and a benchmark runner.

Plugin authors import from ``mer_toolkit.api``; the names re-exported here are the everyday entry points.
"""

from __future__ import annotations

from . import _moved
from .api import create_model, get_registry, list_parts
from .plugins.hookspecs import hookimpl

_moved.install()

__version__ = "0.1.0"

__all__ = ["__version__", "hookimpl", "get_registry", "list_parts", "create_model"]
