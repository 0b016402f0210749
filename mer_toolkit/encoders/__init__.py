"""Builtin encoders of raw text and audio: one module per family, each with ``register(registry)``."""

from __future__ import annotations

from .._discovery import register_package_modules
from ..hookspecs import hookimpl


@hookimpl
def mer_register_parts(registry) -> None:  # noqa: ANN001 - the staged registry view
    register_package_modules(__name__, __path__, registry)
