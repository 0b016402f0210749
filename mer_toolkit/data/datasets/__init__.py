"""Builtin datasets: one module per corpus, each with ``register(registry)``, found automatically."""

from __future__ import annotations

from ..._discovery import register_package_modules
from ...hookspecs import hookimpl


@hookimpl
def mer_register_parts(registry) -> None:  # noqa: ANN001 - the staged registry view
    register_package_modules(__name__, __path__, registry)
