"""Builtin datasets, registered through the plugin hook."""

from __future__ import annotations

from ...hookspecs import hookimpl
from .demo import make_demo

__all__ = ["make_demo"]


@hookimpl
def mer_register_parts(registry) -> None:  # noqa: ANN001 - the staged registry view
    registry.dataset.register("demo", make_demo)
