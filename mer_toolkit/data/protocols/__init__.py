"""Builtin split protocols, registered through the plugin hook."""

from __future__ import annotations

from ...hookspecs import hookimpl
from .official import OfficialSplit

__all__ = ["OfficialSplit"]


@hookimpl
def mer_register_parts(registry) -> None:  # noqa: ANN001 - the staged registry view
    registry.protocol.register("official", OfficialSplit)
